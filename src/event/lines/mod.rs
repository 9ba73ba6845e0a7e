//! LSS lines as a log receiver gets them, turned into JSON records: JSON lines as they are,
//! and lines of the vendor's default CSV and TSV templates or of a custom template converted
//! to JSON objects with the LSS field names and types.
//!
//! A [`LineReader`] is built once per listener from its format (`auto`, `json`, `csv`, `tsv`)
//! and log type (or none: detected per line), or from a custom [`Template`]. Its
//! [`read`](LineReader::read) takes one line and appends one JSON object to the caller's
//! buffer, telling what it read ([`Line`]) or why it could not ([`LineError`], whose
//! [`reason`](LineError::reason) is a metric label).
//!
//! # Layout
//! - `template/`: the template language, parsed ([`Template`]).
//! - `vendor/`: the vendor's default templates as data, their known defects, and the older
//!   User Activity templates.
//! - `fields.rs`: the JSON key of each template variable and what its values look like.
//! - `pattern.rs`: a template turned around for reading; `matcher/`: where each field of a
//!   line starts and ends, the surplus separators of CSV cells placed by cost, glued fields
//!   split, parallel lists shared out; `value.rs`: one field's text checked and written as
//!   JSON; `record.rs`: the whole object.
//! - `json.rs`: JSON lines (the main path); `delimited.rs`: default CSV and TSV lines.
//! - `notes.rs`: what the reader decided, told in the record; `render.rs`: records back to
//!   lines; `error.rs`: the errors.
//!
//! Pure: nothing here does I/O or knows the receiver around it.

mod delimited;
mod error;
mod fields;
mod json;
mod matcher;
mod notes;
mod pattern;
mod record;
mod render;
mod template;
mod value;
mod vendor;

#[cfg(test)]
mod tests;

use std::ops::Range;

pub use error::{FieldProblem, LineError, Quote, RenderError};
pub use notes::{LineNote, Notes};
pub use render::render;
pub use template::{Template, TemplateError, TemplateProblem};

use super::LogType;
use crate::vocab::vocabulary;
use pattern::Pattern;

vocabulary! {
    /// The format of a listener's lines.
    LineFormat {
        /// JSON, CSV or TSV, told apart per line: a line that starts with `{` (after an
        /// optional `<PRI>` header) is JSON, one with a `<Type> zpa-lss:` prefix CSV or TSV.
        Auto => "auto",
        /// One JSON object per line, as the LSS JSON templates write it.
        Json => "json",
        /// The vendor's default CSV templates.
        Csv => "csv",
        /// The vendor's default TSV templates.
        Tsv => "tsv",
    }
}

vocabulary! {
    /// The format a line was read in.
    SeenFormat {
        /// A JSON object.
        Json => "json",
        /// A default CSV template.
        Csv => "csv",
        /// A default TSV template.
        Tsv => "tsv",
        /// A custom template.
        Custom => "custom",
    }
}

/// What [`LineReader::read`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The format of the line.
    pub format: SeenFormat,
    /// The log type: the configured one, else the one the line's prefix or keys name
    /// ([`LogType::Unknown`] when neither tells).
    pub log_type: LogType,
    /// Where the record's key is in the output buffer: the text of `SessionID` (inside its
    /// quotes, escapes as written), else of `ConnectionID`, when not empty.
    pub key: Option<Range<usize>>,
    /// What the reader had to decide (also written into the record as `lss_line`); empty for
    /// nearly every line.
    pub notes: Notes,
}

/// Reads the lines of one listener. Built once, shared by its connections (`Send + Sync`).
#[derive(Debug, Clone)]
pub struct LineReader {
    format: LineFormat,
    log_type: Option<LogType>,
    /// The custom template, if any.
    template: Option<Template>,
    custom: Option<Custom>,
}

/// A custom template, as read.
#[derive(Debug, Clone)]
enum Custom {
    /// A template that writes one JSON object: its lines are read as JSON lines.
    Json,
    /// Any other template.
    Pattern(Box<Pattern>),
}

impl LineReader {
    /// A reader of lines in `format`, of `log_type` (`None`: detected per line).
    #[must_use]
    pub fn new(format: LineFormat, log_type: Option<LogType>) -> LineReader {
        if format != LineFormat::Json {
            // Parse the default templates now rather than on the first line.
            std::sync::LazyLock::force(&delimited::DEFAULTS);
        }
        LineReader {
            format,
            log_type,
            template: None,
            custom: None,
        }
    }

    /// A reader of lines written by a custom `template`, of `log_type` (`None`: the log type
    /// the template's keys name). A template that writes a JSON object (its text starts with
    /// `{`, possibly after a `<PRI>` header, and ends with `}`) has its lines read as JSON
    /// lines, which also reads the vendor's JSON templates and their defects.
    #[must_use]
    pub fn with_template(template: Template, log_type: Option<LogType>) -> LineReader {
        let custom = if is_json_template(&template) {
            Custom::Json
        } else {
            let pattern = Pattern::new(&template, "custom", None).expect("no last field to end at");
            Custom::Pattern(Box::new(pattern))
        };
        LineReader {
            format: LineFormat::Auto,
            log_type,
            template: Some(template),
            custom: Some(custom),
        }
    }

    /// The custom template the reader was built with, if any.
    #[must_use]
    pub fn template(&self) -> Option<&Template> {
        self.template.as_ref()
    }

    /// Reads one line, without its `\n` (a trailing `\r` is dropped), and appends its record,
    /// a JSON object, to `out` (a JSON line: its object's bytes unchanged).
    ///
    /// # Errors
    /// A [`LineError`] when the line is empty, not UTF-8, or does not fit its format; `out` is
    /// then as it was.
    pub fn read(&self, line: &[u8], out: &mut Vec<u8>) -> Result<Line, LineError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let first = line.iter().position(|b| !b.is_ascii_whitespace());
        let Some(first) = first else {
            return Err(LineError::EmptyLine);
        };
        if simdutf8::basic::from_utf8(line).is_err() {
            let at = std::str::from_utf8(line)
                .err()
                .map_or(0, |e| e.valid_up_to());
            return Err(LineError::InvalidUtf8 { at });
        }
        match (&self.custom, self.format) {
            (Some(Custom::Json), _) | (None, LineFormat::Json) => {
                json::read(line, self.log_type, out)
            }
            (Some(Custom::Pattern(p)), _) => self.read_custom(p, line, out),
            (None, LineFormat::Csv | LineFormat::Tsv) => {
                delimited::read(line, self.format, self.log_type, out)
            }
            (None, LineFormat::Auto) => match line[first] {
                b'{' => json::read(line, self.log_type, out),
                b'<' if !delimited::has_prefix(line) => json::read(line, self.log_type, out),
                b'[' | b'"' => json::read(line, self.log_type, out),
                _ => delimited::read(line, LineFormat::Auto, self.log_type, out),
            },
        }
    }

    fn read_custom(&self, p: &Pattern, line: &[u8], out: &mut Vec<u8>) -> Result<Line, LineError> {
        let split = matcher::find(p, line).map_err(|f| record::error(p, line, &f, 0))?;
        let written =
            record::write(p, line, &split, out).map_err(|f| record::error(p, line, &f, 0))?;
        Ok(Line {
            format: SeenFormat::Custom,
            log_type: self.log_type.unwrap_or(p.log_type),
            key: written.key,
            notes: written.notes,
        })
    }
}

/// True when `template` writes one JSON object per line.
fn is_json_template(template: &Template) -> bool {
    fn text(p: Option<&template::Piece>) -> Option<&[u8]> {
        match p {
            Some(template::Piece::Text(t)) => Some(t.trim_ascii()),
            _ => None,
        }
    }
    let pieces = template.pieces();
    let (Some(first), Some(last)) = (text(pieces.first()), text(pieces.last())) else {
        return false;
    };
    let opens =
        first.first() == Some(&b'{') || (first.first() == Some(&b'<') && first.contains(&b'{'));
    opens && last.last() == Some(&b'}')
}
