//! How the problems of the settings are found and told: type problems collected one key at a
//! time, where each value came from (file, environment variable, flag), the wording of the
//! config files' syntax errors.

use std::path::Path;

use config::{Value, ValueKind};

use super::{ConfigError, ENV_PREFIX, Settings};
use crate::checks::Problem;
use crate::spelling::{nearest, nearest_by};

/// True when the value problem `p` is about a key whose own value was refused by a type
/// problem, and so only describes the default that stood in for it: with `protocol = "sasl"`
/// refused, "kafka.security: a password is set but protocol is plaintext" says nothing new.
pub(super) fn follows_from_type_problem(p: &Problem, type_problems: &[Problem]) -> bool {
    let key = p.key();
    type_problems.iter().any(|t| {
        let bad = t.key();
        let Some(leaf) = bad.last() else {
            return false;
        };
        // The refused key itself, or a problem that names it in full.
        if bad == key || p.text().contains(&t.dotted_key()) {
            return true;
        }
        bad.starts_with(key)
            && bad.len() > key.len()
            && p.text()
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == leaf)
    })
}

/// A key given twice in a JSON config file, which the config crate would decide silently by its
/// last occurrence (TOML refuses it as a syntax error, YAML as a parse error).
pub(super) fn repeated_json_keys(path: &Path) -> Vec<Problem> {
    let is_json = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("json"));
    let Some(text) = is_json
        .then(|| std::fs::read_to_string(path).ok())
        .flatten()
    else {
        return Vec::new();
    };
    let line = |l: Option<usize>| l.map(|l| format!(" at line {l}")).unwrap_or_default();
    crate::json_members::repeated_keys(&text)
        .into_iter()
        .map(|r| {
            Problem::new(
                &r.path,
                format!(
                    "given twice in {} ({}, first{}); give each key once",
                    path.display(),
                    line(r.line).trim_start(),
                    line(r.first)
                ),
            )
        })
        .collect()
}

/// Where the value of the setting at `path` came from, when the user gave it: the config
/// file, an environment variable. A librdkafka pass-through property
/// (`["kafka", "librdkafka", "linger.ms"]`) may be spelt with `_` for `.` in its map
/// (environment variables), so the map is searched for it.
pub(super) fn origin_of_setting(
    root: &Value,
    path: &[String],
    file: Option<&Path>,
) -> Option<String> {
    if let [kafka, map, name] = path
        && kafka == "kafka"
        && let Some(ValueKind::Table(kafka)) = root_table(root)?.get("kafka").map(|v| &v.kind)
        && let Some(ValueKind::Table(props)) = kafka.get(map).map(|v| &v.kind)
        && let Some(key) = props
            .keys()
            .find(|k| crate::kafka::property_name(k) == *name)
    {
        return origin_of(root, &["kafka".into(), map.clone(), key.clone()], file)
            .filter(|o| !o.is_empty());
    }
    origin_of(root, path, file).filter(|o| !o.is_empty())
}

fn root_table(root: &Value) -> Option<&config::Map<String, Value>> {
    match &root.kind {
        ValueKind::Table(t) => Some(t),
        _ => None,
    }
}

/// Deserialises the merged value, collecting every error: after each failure the offending key
/// is removed (so the default applies) and deserialisation is retried. Returns the settings with
/// the defaults in place of the offending keys, and the problems.
pub(super) fn deserialize_collecting(
    mut root: Value,
    file: Option<&Path>,
) -> Result<(Settings, Vec<Problem>), ConfigError> {
    let mut problems = Vec::new();
    for (path, message) in super::strict::mistyped(&root) {
        let origin = origin_of_setting(&root, &path, file);
        problems.push(Problem::at(path.clone(), message).with_origin(origin));
        remove_path(&mut root, &path);
    }
    // Each round removes one key, so this terminates; the bound is a safety net.
    for _ in 0..256 {
        match serde_path_to_error::deserialize::<_, Settings>(root.clone()) {
            Ok(settings) => return Ok((settings, problems)),
            Err(e) => {
                let mut path: Vec<String> = e
                    .path()
                    .iter()
                    .filter_map(|seg| match seg {
                        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                        _ => None,
                    })
                    .collect();
                let message = e.inner().to_string();
                let unknown = unknown_field_name(&message);
                if let Some(field) = &unknown
                    && path.last() != Some(field)
                {
                    path.push(field.clone());
                }
                let origin = origin_of(&root, &path, file);
                let shown = if path.is_empty() {
                    vec!["(top level)".to_owned()]
                } else {
                    path.clone()
                };
                let text = if unknown.is_some() {
                    let expected = message
                        .split_once(", expected ")
                        .map(|(_, rest)| format!(" (expected {})", strip_origin(rest)))
                        .unwrap_or_default();
                    let parent = &path[..path.len().saturating_sub(1)];
                    let siblings = known_keys(parent);
                    let guess = path
                        .last()
                        .and_then(|k| nearest(k, siblings.iter().map(String::as_str)))
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_default();
                    format!("unknown key{expected}{guess}")
                } else {
                    strip_origin(&message).to_owned()
                };
                problems.push(Problem::at(shown, text).with_origin(origin));
                if path.is_empty() || !remove_path(&mut root, &path) {
                    return Err(ConfigError::Invalid(problems));
                }
            }
        }
    }
    Err(ConfigError::Invalid(problems))
}

/// A settings source that cannot be read, named as the user gave it. (The config crate names a
/// file relative to the working directory, and loses the line of a TOML value it cannot
/// convert, such as an integer too large; the toml crate's own error has it.)
pub(super) fn source_error(e: config::ConfigError, file: Option<&Path>) -> ConfigError {
    match (e, file) {
        (config::ConfigError::FileParse { cause, .. }, Some(path)) => {
            let toml_error = || {
                let is_toml = path
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("toml"));
                let text = std::fs::read_to_string(path).ok().filter(|_| is_toml)?;
                toml::from_str::<toml::Table>(&text).err()
            };
            let detail =
                toml_error().map_or_else(|| yaml_wording(&cause.to_string()), |e| e.to_string());
            ConfigError::Source(format!(
                "config file {}: {}",
                path.display(),
                detail.trim_end()
            ))
        }
        (e, _) => ConfigError::Source(e.to_string()),
    }
}

/// The YAML parser names a repeated key by its Rust debug form (`String("mode"): duplicated key
/// in mapping ...`); say it as the other formats do.
fn yaml_wording(message: &str) -> String {
    if let Some((key, rest)) = message.split_once(": duplicated key in mapping")
        && let Some(name) = key
            .strip_prefix("String(")
            .and_then(|k| k.strip_suffix(')'))
    {
        return format!("{name} is given twice{rest}; give each key once");
    }
    message.to_owned()
}

/// `unknown field `x`, expected ...` -> `x`.
fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// The config crate appends the origin itself in some messages; we report it separately.
fn strip_origin(message: &str) -> &str {
    message.split(" for key `").next().unwrap_or(message)
}

/// Names the layer a value came from: an environment variable or the config file.
fn origin_of(root: &Value, path: &[String], file: Option<&Path>) -> Option<String> {
    let mut v = root;
    for key in path {
        let ValueKind::Table(t) = &v.kind else {
            return None;
        };
        v = t.get(key)?;
    }
    // A table (an unknown section, say) has no origin of its own: take its first value's.
    let mut path = path.to_vec();
    while v.origin().is_none() {
        let ValueKind::Table(t) = &v.kind else {
            return None;
        };
        let (key, first) = t.iter().min_by(|a, b| a.0.cmp(b.0))?;
        path.push(key.clone());
        v = first;
    }
    let origin = v.origin()?;
    Some(if origin == "the environment" {
        format!(
            "environment variable {ENV_PREFIX}__{}",
            path.iter()
                .map(|p| p.to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join("__")
        )
    } else {
        // The config crate reports file origins relative to the working directory; show the
        // path as the user gave it.
        file.map_or_else(|| origin.to_owned(), |f| f.display().to_string())
    })
}

fn remove_path(root: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut v = root;
    for key in parents {
        let ValueKind::Table(t) = &mut v.kind else {
            return false;
        };
        let Some(next) = t.get_mut(key) else {
            return false;
        };
        v = next;
    }
    match &mut v.kind {
        ValueKind::Table(t) => t.remove(last).is_some(),
        _ => false,
    }
}

/// The keys of the settings table at `parent` (`[]`: the sections), from the defaults.
fn known_keys(parent: &[String]) -> Vec<String> {
    let mut v = serde_json::to_value(Settings::default()).unwrap_or_default();
    for key in parent {
        v = v.get(key).cloned().unwrap_or_default();
    }
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The environment variable of every setting (`ZPA_ENRICHER__KAFKA__BROKERS`), from the
/// defaults. The librdkafka maps take any property, so they are named as a prefix.
fn setting_variables() -> Vec<String> {
    fn walk(v: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<String>) {
        match v.as_object() {
            Some(o) if !o.is_empty() => {
                for (k, child) in o {
                    path.push(k.to_ascii_uppercase());
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => out.push(format!("{ENV_PREFIX}__{}", path.join("__"))),
        }
    }
    let mut out = Vec::new();
    walk(
        &serde_json::to_value(Settings::default()).unwrap_or_default(),
        &mut Vec::new(),
        &mut out,
    );
    out
}

/// Warnings about environment variables that look meant for zpa-enricher but are not read:
/// settings are `ZPA_ENRICHER__SECTION__KEY`, with double underscores, and a variable spelt
/// otherwise (`ZPA_ENRICHER_KAFKA_BROKERS`) would be ignored without a word. (Variables with the
/// right prefix that name no setting are errors of the settings themselves.)
pub(super) fn stray_variables<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let prefix = format!("{ENV_PREFIX}__");
    let mut known: Option<Vec<String>> = None;
    let mut warnings = Vec::new();
    let mut names: Vec<&str> = names
        .into_iter()
        .filter(|n| {
            let upper = n.to_ascii_uppercase();
            upper.starts_with(ENV_PREFIX) && !upper.starts_with(&prefix)
        })
        .collect();
    names.sort_unstable();
    for name in names {
        let known = known.get_or_insert_with(setting_variables);
        // Compared without underscores, so that `_` for `__` costs nothing.
        let guess = nearest_by(name, known.iter().map(String::as_str), |s| {
            s.replace('_', "").to_ascii_uppercase()
        })
        .map(|k| format!("; did you mean {k}?"))
        .unwrap_or_default();
        warnings.push(format!(
            "environment variable {name} is not read: settings are {prefix}SECTION__KEY, with double underscores{guess}"
        ));
    }
    warnings
}
