//! Why a line cannot be read ([`LineError`]) or rendered ([`RenderError`]).

use std::fmt;

/// How much of a line's text a message quotes.
const QUOTE_CHARS: usize = 48;

/// A piece of a line quoted in a message: at most 48 characters, marked when cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote(Box<str>);

impl Quote {
    /// Quotes `bytes` (lossily, as the line may not be UTF-8).
    pub(super) fn new(bytes: &[u8]) -> Self {
        let text = String::from_utf8_lossy(bytes);
        let mut chars = text.chars();
        let mut s: String = chars.by_ref().take(QUOTE_CHARS).collect();
        if chars.next().is_some() {
            s.push('…');
        }
        Self(s.into())
    }

    /// The quoted text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Quote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

/// A field whose text is not what its placeholder writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The template it was read with, e.g. `zpn_trans_log CSV`.
    pub template: Box<str>,
    /// The field's JSON key.
    pub field: Box<str>,
    /// Its number in the template (1 for the first placeholder).
    pub number: usize,
    /// Byte offset of its text in the line.
    pub offset: usize,
    /// The text found.
    pub found: Quote,
    /// What its placeholder writes.
    pub expected: &'static str,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "field {} (placeholder {} of the {} template, byte {}): found {}, expected {}",
            self.field, self.number, self.template, self.offset, self.found, self.expected
        )
    }
}

/// Why a line cannot be read. [`LineError::reason`] is a short, stable label (a metric label
/// value); the `Display` form says what was found and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The line is empty or only whitespace.
    #[error("empty line")]
    EmptyLine,
    /// The line is not valid UTF-8.
    #[error("invalid UTF-8 at byte {at}")]
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        at: usize,
    },
    /// A JSON line (or a line read as JSON) that is not one valid JSON object.
    #[error("not a JSON object: {message}")]
    NotJson {
        /// What the JSON scanner found, with its byte offset.
        message: Box<str>,
    },
    /// With format `auto`: neither a JSON object nor an LSS CSV/TSV line.
    #[error(
        "neither a JSON object nor a CSV/TSV line with an LSS prefix (\"<Type> zpa-lss:\"): starts with {start}"
    )]
    UnknownFormat {
        /// The start of the line.
        start: Quote,
    },
    /// The CSV/TSV prefix names a log type the reader does not know.
    #[error("unknown log type {name} in the line's prefix (\"{name} zpa-lss:\")", name = .name.as_str())]
    UnknownLogType {
        /// The name found before `zpa-lss:`.
        name: Quote,
    },
    /// The CSV/TSV prefix is missing, or contradicts the configured log type or format.
    #[error("the line's prefix {found} does not match: expected {expected}")]
    PrefixMismatch {
        /// What the line has where the prefix should be.
        found: Quote,
        /// What the configuration asks for.
        expected: Box<str>,
    },
    /// Fewer separators than the template's fields need.
    #[error(
        "too few fields: the line has {found} '{sep}' separators where the {template} template writes {needed} for its {fields} fields",
        sep = .separator.escape_ascii()
    )]
    FieldCount {
        /// The template, e.g. `zpn_trans_log CSV`.
        template: Box<str>,
        /// How many fields it has.
        fields: usize,
        /// The separator.
        separator: u8,
        /// Separators in the line.
        found: usize,
        /// Separators the template writes.
        needed: usize,
    },
    /// A `%d`, `%x` or `%f` field whose text is not a number.
    #[error("bad number: {0}")]
    BadNumber(Box<FieldProblem>),
    /// A time field whose text is not a time of its form.
    #[error("bad time: {0}")]
    BadTime(Box<FieldProblem>),
    /// A `%j` or `%J` field whose text is not a JSON string.
    #[error("bad string: {0}")]
    BadString(Box<FieldProblem>),
    /// The line does not have the template's literal text where it should.
    #[error("the line does not match the {template} template: {detail}")]
    TemplateMismatch {
        /// The template.
        template: Box<str>,
        /// What is missing where.
        detail: Box<str>,
    },
}

impl LineError {
    /// Every reason label, in declaration order (for metrics registered up front).
    pub const REASONS: [&'static str; 11] = [
        "empty_line",
        "invalid_utf8",
        "not_json",
        "unknown_format",
        "unknown_log_type",
        "prefix_mismatch",
        "field_count",
        "bad_number",
        "bad_time",
        "bad_string",
        "template_mismatch",
    ];

    /// The reason as a short, stable label, one of [`LineError::REASONS`].
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            LineError::EmptyLine => "empty_line",
            LineError::InvalidUtf8 { .. } => "invalid_utf8",
            LineError::NotJson { .. } => "not_json",
            LineError::UnknownFormat { .. } => "unknown_format",
            LineError::UnknownLogType { .. } => "unknown_log_type",
            LineError::PrefixMismatch { .. } => "prefix_mismatch",
            LineError::FieldCount { .. } => "field_count",
            LineError::BadNumber(_) => "bad_number",
            LineError::BadTime(_) => "bad_time",
            LineError::BadString(_) => "bad_string",
            LineError::TemplateMismatch { .. } => "template_mismatch",
        }
    }
}

/// Why a record cannot be rendered as a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The record is not a JSON object.
    #[error("the record is not a JSON object: {0}")]
    NotObject(Box<str>),
    /// The log type has no default template (an unknown log type).
    #[error("no default {format} template for log type {log_type}")]
    NoTemplate {
        /// The log type asked for.
        log_type: &'static str,
        /// The format asked for.
        format: &'static str,
    },
    /// A value the field's placeholder cannot print.
    #[error("field {field}: {found} cannot be printed by %{spec}")]
    Value {
        /// The JSON key.
        field: Box<str>,
        /// The placeholder's spec letter.
        spec: char,
        /// The value, quoted.
        found: Quote,
    },
    /// A placeholder rendering does not support.
    #[error("%{0} cannot be rendered (the vendor's hash is not known)")]
    Unsupported(char),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_is_listed_once() {
        let errors = [
            LineError::EmptyLine,
            LineError::InvalidUtf8 { at: 0 },
            LineError::NotJson {
                message: "x".into(),
            },
            LineError::UnknownFormat {
                start: Quote::new(b"x"),
            },
            LineError::UnknownLogType {
                name: Quote::new(b"x"),
            },
            LineError::PrefixMismatch {
                found: Quote::new(b"x"),
                expected: "y".into(),
            },
            LineError::FieldCount {
                template: "t".into(),
                fields: 3,
                separator: b',',
                found: 1,
                needed: 2,
            },
            LineError::BadNumber(Box::new(problem())),
            LineError::BadTime(Box::new(problem())),
            LineError::BadString(Box::new(problem())),
            LineError::TemplateMismatch {
                template: "t".into(),
                detail: "d".into(),
            },
        ];
        let reasons: Vec<&str> = errors.iter().map(LineError::reason).collect();
        assert_eq!(reasons, LineError::REASONS);
    }

    fn problem() -> FieldProblem {
        FieldProblem {
            template: "zpn_trans_log CSV".into(),
            field: "IPProtocol".into(),
            number: 7,
            offset: 120,
            found: Quote::new(b"open"),
            expected: "an integer",
        }
    }

    #[test]
    fn messages_say_what_was_found_and_expected() {
        let e = LineError::BadNumber(Box::new(problem()));
        assert_eq!(
            e.to_string(),
            "bad number: field IPProtocol (placeholder 7 of the zpn_trans_log CSV template, byte \
             120): found \"open\", expected an integer"
        );
        let e = LineError::FieldCount {
            template: "zpn_trans_log CSV".into(),
            fields: 69,
            separator: b',',
            found: 40,
            needed: 68,
        };
        assert_eq!(
            e.to_string(),
            "too few fields: the line has 40 ',' separators where the zpn_trans_log CSV template \
             writes 68 for its 69 fields"
        );
    }

    #[test]
    fn quotes_are_cut() {
        let q = Quote::new("é".repeat(100).as_bytes());
        assert_eq!(q.as_str().chars().count(), QUOTE_CHARS + 1);
        assert!(q.as_str().ends_with('…'));
    }
}
