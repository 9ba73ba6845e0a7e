//! The `[output]` settings: what each enriched record becomes (`format`), and for the `lss`
//! format where the enrichment goes and which keys it carries.

use serde::{Deserialize, Serialize};

use crate::checks::Problem;
use crate::enrich::{EcsOptions, FieldSet, HecOptions, OUTPUT_FIELDS, OutputFormat, OutputMode};
use crate::event::SourceField;
use crate::vocab::vocabulary;

/// `[output]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputSettings {
    /// `lss`, `ecs` or `splunk_hec`.
    pub format: FormatKind,
    /// `nested` or `flat` (the `lss` format and the `splunk_hec` event).
    pub mode: OutputKind,
    /// Key of the added object (nested mode).
    pub field: String,
    /// Prefix of the added keys (flat mode).
    pub flat_prefix: String,
    /// The keys the enrichment carries, a selection of `OUTPUT_FIELDS` (all by default).
    pub fields: Vec<String>,
    /// `[output.ecs]`
    pub ecs: EcsSettings,
    /// `[output.splunk_hec]`
    pub splunk_hec: HecSettings,
}

impl Default for OutputSettings {
    fn default() -> Self {
        Self {
            format: FormatKind::Lss,
            mode: OutputKind::Nested,
            field: "enrichment".into(),
            flat_prefix: "zpa_".into(),
            fields: OUTPUT_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
            ecs: EcsSettings::default(),
            splunk_hec: HecSettings::default(),
        }
    }
}

vocabulary! {
    /// What each enriched record becomes.
    FormatKind {
        /// The record as it came, with the enrichment added.
        Lss => "lss",
        /// An Elastic Common Schema document.
        Ecs => "ecs",
        /// A Splunk HTTP Event Collector envelope.
        SplunkHec => "splunk_hec",
    }
}

vocabulary! {
    /// Output shape.
    OutputKind {
        /// One added object.
        Nested => "nested",
        /// Prefixed top-level keys.
        Flat => "flat",
    }
}

/// `[output.ecs]`
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EcsSettings {
    /// Keep the record as received in `event.original`.
    pub keep_original: bool,
}

/// `[output.splunk_hec]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HecSettings {
    /// The envelope's `source`.
    pub source: String,
    /// The envelope's `host`; empty: left out (Splunk uses the collector's).
    pub host: String,
    /// The envelope's `index`; empty: left out (the token's default index).
    pub index: String,
}

impl Default for HecSettings {
    fn default() -> Self {
        let d = HecOptions::default();
        Self {
            source: d.source,
            host: d.host.unwrap_or_default(),
            index: d.index.unwrap_or_default(),
        }
    }
}

/// Longest Splunk index name.
const MAX_INDEX_NAME: usize = 80;

/// Why `name` cannot be a Splunk index name, if it cannot: lower-case ASCII letters, digits,
/// `_` and `-`, not starting with either of those two, at most 80 characters.
fn index_name_problem(name: &str) -> Option<String> {
    if name.len() > MAX_INDEX_NAME {
        return Some(format!(
            "{name:?} is longer than {MAX_INDEX_NAME} characters"
        ));
    }
    if name.starts_with(['_', '-']) {
        return Some(format!("{name:?} starts with {:?}", &name[..1]));
    }
    name.chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-')))
        .map(|c| {
            format!(
                "{name:?} has {c:?}; a Splunk index name has lower-case letters, digits, '_' and '-'"
            )
        })
}

impl OutputSettings {
    /// Every problem with these settings.
    pub(super) fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        match self.mode {
            OutputKind::Nested if self.field.trim().is_empty() => {
                problems.push(Problem::new(
                    "output.field",
                    "must not be empty in nested mode",
                ));
            }
            OutputKind::Flat if self.flat_prefix.trim().is_empty() => {
                problems.push(Problem::new(
                    "output.flat_prefix",
                    "must not be empty in flat mode (the added keys would collide with record keys)",
                ));
            }
            _ => {}
        }
        // The enrichment must not take the place of the field that holds the code. (Flat keys
        // cannot: the added names are lower case, the status fields' end in upper case.)
        if self.mode == OutputKind::Nested
            && SourceField::ALL.iter().any(|s| s.as_str() == self.field)
        {
            problems.push(Problem::new(
                "output.field",
                format!(
                    "{:?} is the record field that holds the status code, which the enrichment would replace; choose another name",
                    self.field
                ),
            ));
        }
        if let Err(e) = FieldSet::from_names(&self.fields) {
            problems.push(Problem::new("output.fields", e));
        }
        let hec = &self.splunk_hec;
        if hec.source.trim().is_empty() {
            problems.push(Problem::new(
                "output.splunk_hec.source",
                "must not be empty (Splunk searches and props.conf stanzas select events by it)",
            ));
        }
        for (key, value) in [
            ("output.splunk_hec.source", &hec.source),
            ("output.splunk_hec.host", &hec.host),
        ] {
            if value.chars().any(char::is_control) {
                problems.push(Problem::new(key, "must not contain control characters"));
            }
        }
        if !hec.index.is_empty()
            && let Some(why) = index_name_problem(&hec.index)
        {
            problems.push(Problem::new("output.splunk_hec.index", why));
        }
        problems
    }

    /// Where the enrichment goes in the `lss` format.
    pub(super) fn mode(&self) -> OutputMode {
        match self.mode {
            OutputKind::Nested => OutputMode::Nested {
                field: self.field.clone(),
            },
            OutputKind::Flat => OutputMode::Flat {
                prefix: self.flat_prefix.clone(),
            },
        }
    }

    /// The selected enrichment keys (all when the selection is invalid: validation reports it).
    pub(super) fn field_set(&self) -> FieldSet {
        FieldSet::from_names(&self.fields).unwrap_or_default()
    }

    /// The output format with its options.
    pub(super) fn format(&self) -> OutputFormat {
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        match self.format {
            FormatKind::Lss => OutputFormat::Lss,
            FormatKind::Ecs => OutputFormat::Ecs(EcsOptions {
                keep_original: self.ecs.keep_original,
            }),
            FormatKind::SplunkHec => OutputFormat::SplunkHec(HecOptions {
                source: self.splunk_hec.source.clone(),
                host: non_empty(&self.splunk_hec.host),
                index: non_empty(&self.splunk_hec.index),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splunk_index_names() {
        for good in ["main", "zpa", "zpa_logs-2", "a1"] {
            assert_eq!(index_name_problem(good), None, "{good}");
        }
        for bad in [
            "_internal",
            "-x",
            "Main",
            "zpa logs",
            "zpa.logs",
            &"a".repeat(81),
        ] {
            assert!(index_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn format_settings_become_options() {
        let mut s = OutputSettings::default();
        assert_eq!(s.format(), OutputFormat::Lss);
        s.format = FormatKind::SplunkHec;
        s.splunk_hec.index = "zpa".into();
        assert_eq!(
            s.format(),
            OutputFormat::SplunkHec(HecOptions {
                source: "zpa-enricher".into(),
                host: None,
                index: Some("zpa".into()),
            })
        );
        s.format = FormatKind::Ecs;
        s.ecs.keep_original = true;
        assert_eq!(
            s.format(),
            OutputFormat::Ecs(EcsOptions {
                keep_original: true
            })
        );
    }

    #[test]
    fn every_hec_problem_is_reported() {
        let mut s = OutputSettings::default();
        s.splunk_hec.source = " ".into();
        s.splunk_hec.host = "a\nb".into();
        s.splunk_hec.index = "Main".into();
        let keys: Vec<String> = s.problems().iter().map(|p| p.key().join(".")).collect();
        assert_eq!(
            keys,
            [
                "output.splunk_hec.source",
                "output.splunk_hec.host",
                "output.splunk_hec.index"
            ]
        );
    }
}
