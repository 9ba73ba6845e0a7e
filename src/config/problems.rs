//! How the problems of the settings are found and told: type problems collected one key at a
//! time, where each value came from (file, environment variable, flag), the wording of the
//! config files' syntax errors, and the checks of single values used by the validation.

use std::path::Path;

use config::{Value, ValueKind};

use super::{ConfigError, ENV_PREFIX, Settings};

/// True when the value problem `p` is about a key whose own value was refused by a type
/// problem, and so only describes the default that stood in for it: with `protocol = "sasl"`
/// refused, "kafka.security: a password is set but protocol is plaintext" says nothing new.
pub(super) fn follows_from_type_problem(p: &str, type_problems: &[String]) -> bool {
    let Some((key, text)) = p.split_once(": ") else {
        return false;
    };
    type_problems.iter().any(|t| {
        let Some((bad, _)) = t.split_once(": ") else {
            return false;
        };
        let leaf = bad.rsplit('.').next().unwrap_or(bad);
        // The refused key itself, or a problem that names it in full.
        if bad == key || text.contains(bad) {
            return true;
        }
        bad.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with('.'))
            && text
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == leaf)
    })
}

/// The problem of a path setting that names no file. A relative path is taken from the working
/// directory (not from the config file's folder), which the message says.
pub(crate) fn not_a_file(path: &Path) -> String {
    let mut problem = format!("{} does not exist or is not a file", path.display());
    if path.is_relative()
        && let Ok(cwd) = std::env::current_dir()
    {
        problem.push_str(&format!(
            " (a relative path is taken from the working directory, {})",
            cwd.display()
        ));
    }
    problem
}

/// A key given twice in a JSON config file, which the config crate would decide silently by its
/// last occurrence (TOML refuses it as a syntax error, YAML as a parse error).
pub(super) fn repeated_json_keys(path: &Path) -> Vec<String> {
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
            format!(
                "{}: given twice in {} ({}, first{}); give each key once",
                r.path,
                path.display(),
                line(r.line).trim_start(),
                line(r.first)
            )
        })
        .collect()
}

/// Why `addr` is not an address to listen on (`IP:PORT`, or `HOST:PORT` with a host name that
/// resolves), or `None`.
pub(super) fn listen_address_problem(addr: &str) -> Option<String> {
    use std::net::ToSocketAddrs;
    if addr.parse::<std::net::SocketAddr>().is_ok() {
        return None;
    }
    let expected = "like 0.0.0.0:9464, [::]:9464 or localhost:9464";
    if !is_host_port(addr) {
        return Some(format!("is not an address {expected}"));
    }
    match addr.to_socket_addrs() {
        Ok(found) if found.len() > 0 => None,
        Ok(_) => Some(format!("names a host without addresses ({expected})")),
        Err(e) => Some(format!("names a host that does not resolve: {e}")),
    }
}

/// True when `s` has the shape `HOST:PORT`: something, a colon, and a port number.
pub(crate) fn is_host_port(s: &str) -> bool {
    s.rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

/// Where the property of a problem about a librdkafka pass-through map (`kafka.librdkafka."x.y"
/// = ...: ...`) came from. Its key in the map may be written with `_` for `.` (environment
/// variables), so the map is searched for it.
pub(super) fn pass_through_origin(
    root: &Value,
    problem: &str,
    file: Option<&Path>,
) -> Option<String> {
    let rest = problem.strip_prefix("kafka.")?;
    let (map, rest) = rest.split_once(".\"")?;
    let (name, _) = rest.split_once('"')?;
    let ValueKind::Table(kafka) = &root_table(root)?.get("kafka")?.kind else {
        return None;
    };
    let ValueKind::Table(props) = &kafka.get(map)?.kind else {
        return None;
    };
    let key = props
        .keys()
        .find(|k| crate::kafka::property_name(k) == name)?;
    origin_of(root, &["kafka".into(), map.into(), key.clone()], file).filter(|o| !o.is_empty())
}

fn root_table(root: &Value) -> Option<&config::Map<String, Value>> {
    match &root.kind {
        ValueKind::Table(t) => Some(t),
        _ => None,
    }
}

/// Appends where the value came from to a problem of [`Settings::validate`], which starts with
/// the key's dotted path (`enrich.max_depth: ...`).
pub(super) fn with_origin(root: &Value, problem: String, file: Option<&Path>) -> String {
    let Some((key, _)) = problem.split_once(": ") else {
        return problem;
    };
    if key.contains(' ') || problem.contains(" [from ") {
        return problem;
    }
    let path: Vec<String> = key.split('.').map(str::to_owned).collect();
    match origin_of(root, &path, file) {
        // The compiled-in defaults are not a source the user chose; say nothing then.
        Some(o) if !o.is_empty() => format!("{problem} [from {o}]"),
        _ => problem,
    }
}

/// Deserialises the merged value, collecting every error: after each failure the offending key
/// is removed (so the default applies) and deserialisation is retried. Returns the settings with
/// the defaults in place of the offending keys, and the problems.
pub(super) fn deserialize_collecting(
    mut root: Value,
    file: Option<&Path>,
) -> Result<(Settings, Vec<String>), ConfigError> {
    let mut problems = Vec::new();
    for (path, message) in super::strict::mistyped(&root) {
        problems.push(with_origin(
            &root,
            format!("{}: {message}", path.join(".")),
            file,
        ));
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
                    "(top level)".to_owned()
                } else {
                    path.join(".")
                };
                let message = if unknown.is_some() {
                    let expected = message
                        .split_once(", expected ")
                        .map(|(_, rest)| format!(" (expected {})", strip_origin(rest)))
                        .unwrap_or_default();
                    format!("{shown}: unknown key{expected}")
                } else {
                    format!("{shown}: {}", strip_origin(&message))
                };
                problems.push(match origin {
                    Some(o) => format!("{message} [from {o}]"),
                    None => message,
                });
                if path.is_empty() || !remove_path(&mut root, &path) {
                    return Err(ConfigError::Invalid(problems));
                }
            }
        }
    }
    Err(ConfigError::Invalid(problems))
}

/// The problem of `section.key = value` outside `lo..=hi`, if it is.
pub(crate) fn out_of_range(
    section: &str,
    key: &str,
    value: u64,
    lo: u64,
    hi: u64,
) -> Option<String> {
    (!(lo..=hi).contains(&value))
        .then(|| format!("{section}.{key}: {value} is out of range ({lo} to {hi})"))
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
