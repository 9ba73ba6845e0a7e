//! The LSS template language, parsed: free text with placeholders that say which field goes
//! where and how it is printed.
//!
//! A placeholder is `%[flags][width][.precision]<spec>[(separator)]{Field[:modifier]}`:
//!
//! - flags are printf's (`-`, `0`, `+`, space, `#`), width and precision its numbers;
//! - the spec is one of `s` (text as it is), `j` (a JSON string, quotes included), `J` (a JSON
//!   string without its quotes), `d` (a decimal integer), `x` (a hexadecimal integer), `f` (a
//!   decimal fraction) and `o` (a one-way hash of the value, 64 hexadecimal digits);
//! - a separator in brackets makes it a list field, its items joined by that separator;
//! - the modifier says how a time is printed (`time`, `iso8601`, `epoch`, `epoch_ms`,
//!   `epoch_us`, or one component: `us`, `ms`, `ss`, `mm`, `hh`, `dd`, `mth`, `mon`, `yyy`,
//!   `day`).
//!
//! Everything else is literal text, with the escapes `\t`, `\n`, `\r` and `\\`, and `%%` for a
//! percent sign. A template ends with `\n`, the end of the line: it is the record's framing, not
//! part of the record, so the parsed template leaves it out. Any other line break would split a
//! record over two lines and is refused.
//!
//! One vendor defect is accepted on purpose: the LDAP JSON template writes `%j,{UserID}`, a
//! comma between the spec and its brace. The parser takes that comma as literal text written
//! just before the value (what a printf-style renderer that skips to the brace would print), so
//! every default template parses.

use std::fmt;

mod parser;

/// How many bytes a width or precision may ask for: more is a typing mistake, and rendering
/// would pad every record with it.
const MAX_WIDTH: usize = 4096;

/// A parsed LSS template: literal text and placeholders, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The template as given.
    text: Box<str>,
    /// Literal pieces (escapes decoded, the final line break removed) and fields, in order.
    /// Two literal pieces never follow each other.
    pieces: Box<[Piece]>,
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    /// Literal bytes, escapes decoded.
    Text(Box<[u8]>),
    /// A placeholder.
    Field(Field),
}

/// What a placeholder prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Spec {
    /// `%s`: the text as it is.
    Str,
    /// `%j`: a JSON string with its quotes.
    Json,
    /// `%J`: a JSON string without its quotes.
    JsonBare,
    /// `%d`: a decimal integer.
    Int,
    /// `%x`: a hexadecimal integer.
    Hex,
    /// `%f`: a decimal fraction.
    Float,
    /// `%o`: a one-way hash, hexadecimal.
    Hash,
}

impl Spec {
    /// The spec's letter.
    pub(super) fn letter(self) -> char {
        match self {
            Spec::Str => 's',
            Spec::Json => 'j',
            Spec::JsonBare => 'J',
            Spec::Int => 'd',
            Spec::Hex => 'x',
            Spec::Float => 'f',
            Spec::Hash => 'o',
        }
    }

    fn from_letter(c: u8) -> Option<Spec> {
        Some(match c {
            b's' => Spec::Str,
            b'j' => Spec::Json,
            b'J' => Spec::JsonBare,
            b'd' => Spec::Int,
            b'x' => Spec::Hex,
            b'f' => Spec::Float,
            b'o' => Spec::Hash,
            _ => return None,
        })
    }

    /// True for the specs that print a number.
    pub(super) fn is_number(self) -> bool {
        matches!(self, Spec::Int | Spec::Hex | Spec::Float)
    }
}

/// How a time field is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimeModifier {
    /// `time`: `Www Mmm dd hh:mm:ss yyyy`.
    Time,
    /// `iso8601`: `2019-05-30T08:20:42.230Z`.
    Iso8601,
    /// `epoch`: seconds since 1970.
    Epoch,
    /// `epoch_ms`: milliseconds since 1970.
    EpochMs,
    /// `epoch_us`: microseconds since 1970.
    EpochUs,
    /// One numeric component: `us`, `ms`, `ss`, `mm`, `hh`, `dd`, `mth`, `yyy`.
    Number,
    /// One named component: `mon` (month) or `day` (weekday), three letters.
    Name,
}

/// The modifiers the language knows, with what they print.
const MODIFIERS: [(&str, TimeModifier); 15] = [
    ("time", TimeModifier::Time),
    ("iso8601", TimeModifier::Iso8601),
    ("epoch", TimeModifier::Epoch),
    ("epoch_ms", TimeModifier::EpochMs),
    ("epoch_us", TimeModifier::EpochUs),
    ("us", TimeModifier::Number),
    ("ms", TimeModifier::Number),
    ("ss", TimeModifier::Number),
    ("mm", TimeModifier::Number),
    ("hh", TimeModifier::Number),
    ("dd", TimeModifier::Number),
    ("mth", TimeModifier::Number),
    ("yyy", TimeModifier::Number),
    ("mon", TimeModifier::Name),
    ("day", TimeModifier::Name),
];

/// printf flags of a placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(clippy::struct_excessive_bools)]
pub(super) struct Flags {
    /// `-`: pad on the right.
    pub(super) left: bool,
    /// `0`: pad numbers with zeros.
    pub(super) zero: bool,
    /// `+`: a sign on positive numbers.
    pub(super) plus: bool,
    /// ` `: a space before positive numbers.
    pub(super) space: bool,
    /// `#`: the alternate form (`0x` before hexadecimal).
    pub(super) alt: bool,
}

/// One placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    /// What it prints.
    pub(super) spec: Spec,
    /// printf flags.
    pub(super) flags: Flags,
    /// Minimum width, if any.
    pub(super) width: Option<usize>,
    /// Precision, if any.
    pub(super) precision: Option<usize>,
    /// For a list field, the separator between items.
    pub(super) list: Option<Box<[u8]>>,
    /// The template variable, e.g. `c2c`.
    pub(super) name: Box<str>,
    /// The time modifier, if any.
    pub(super) modifier: Option<TimeModifier>,
    /// Byte offset of its `%` in the template.
    pub(super) at: usize,
}

/// Why a template cannot be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template error at byte {at}: {problem}")]
pub struct TemplateError {
    /// Byte offset of the problem in the template text.
    at: usize,
    /// What is wrong.
    problem: TemplateProblem,
}

impl TemplateError {
    /// Byte offset of the problem in the template text.
    #[must_use]
    pub fn position(&self) -> usize {
        self.at
    }

    fn new(at: usize, problem: TemplateProblem) -> Self {
        Self { at, problem }
    }
}

/// What is wrong with a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateProblem {
    /// The template is empty or only a line break.
    #[error("the template is empty")]
    Empty,
    /// The template has no placeholder: every record would be the same text.
    #[error("the template has no placeholder such as %s{{Field}}")]
    NoField,
    /// A `%` is not followed by a known spec.
    #[error(
        "unknown spec {0:?} after '%' (expected one of s, j, J, d, x, f, o, or %% for a percent sign)"
    )]
    UnknownSpec(String),
    /// The text ends inside a placeholder.
    #[error("the template ends inside a placeholder")]
    Unfinished,
    /// A spec is not followed by `{`.
    #[error("expected '{{' after %{0}, found {1:?}")]
    MissingBrace(char, String),
    /// A `{` is never closed.
    #[error("'{{' is not closed by '}}'")]
    UnclosedBrace,
    /// `{}` or `{:modifier}`.
    #[error("empty field name")]
    EmptyFieldName,
    /// A field name holds a character other than letters, digits and `_`.
    #[error("invalid character {0:?} in a field name")]
    FieldNameCharacter(char),
    /// An unknown time modifier.
    #[error("unknown time modifier {0:?} (expected one of {1})")]
    UnknownModifier(String, &'static str),
    /// A list separator in brackets is never closed.
    #[error("'(' of a list separator is not closed by ')'")]
    UnclosedSeparator,
    /// `()`: a list separator must not be empty.
    #[error("empty list separator")]
    EmptySeparator,
    /// A backslash escape the language does not define.
    #[error("unknown escape {0:?} (expected \\t, \\n, \\r or \\\\)")]
    UnknownEscape(String),
    /// A line break before the end would split every record over two lines.
    #[error("a line break before the end of the template would split every record in two")]
    LineBreak,
    /// A width or precision beyond 4096.
    #[error("width or precision {0} is larger than {MAX_WIDTH}")]
    TooWide(usize),
}

/// The accepted modifiers, for the error message.
const MODIFIER_NAMES: &str =
    "time, iso8601, epoch, epoch_ms, epoch_us, us, ms, ss, mm, hh, dd, mth, mon, yyy, day";

impl Template {
    /// Parses an LSS template, as the vendor's formats API returns it (its JSON string
    /// decoded) or as typed in the log receiver's form.
    ///
    /// # Errors
    /// A [`TemplateError`] naming the byte position and the problem: an unknown spec or
    /// escape, an unclosed brace or list separator, an empty or malformed field name, an
    /// unknown time modifier, a line break before the end, or no placeholder at all.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let pieces = parser::parse(text)?;
        Ok(Template {
            text: text.into(),
            pieces: pieces.into(),
        })
    }

    /// The template text as given.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The template variables of its placeholders, in order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields().map(|f| &*f.name)
    }

    /// The pieces, in order.
    pub(super) fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The placeholders, in order.
    pub(super) fn fields(&self) -> impl Iterator<Item = &Field> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Field(f) => Some(f),
            Piece::Text(_) => None,
        })
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Template {
    type Err = TemplateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Template::parse(s)
    }
}

#[cfg(test)]
mod tests;
