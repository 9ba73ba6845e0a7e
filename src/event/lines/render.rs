//! Rendering a JSON record as a line of a template, the way LSS prints it: for the generator
//! (`generate --template csv`) and for the tests that read such lines back.
//!
//! A field missing from the record (or `null`) prints as nothing (`""` for `%j`). `%d` takes an
//! integer or a string of digits, `%f` any number (six decimals unless a precision says
//! otherwise, as printf), `%x` an integer; `%s` prints strings as they are and other values as
//! their JSON text; a list field joins the items of an array with its separator. Time fields
//! print the record's text as it is, except the `epoch` modifiers, which convert a time the
//! record holds as text. `%o` (the vendor's hash) is not rendered.

use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::LineFormat;
use super::error::{Quote, RenderError};
use super::fields;
use super::template::{Field, Piece, Spec, Template, TimeModifier};
use super::vendor::{self, Kind};
use crate::event::{LogType, parse_timestamp};
use crate::json_string::escape_into;

/// The default CSV and TSV template of each log type, parsed once.
static TEMPLATES: LazyLock<Vec<Option<(Template, Template)>>> = LazyLock::new(|| {
    LogType::ALL
        .iter()
        .map(|&t| {
            let source = vendor::primary_source(t)?;
            let parse = |kind| Template::parse(vendor::text(source, kind)?).ok();
            Some((parse(Kind::Csv)?, parse(Kind::Tsv)?))
        })
        .collect()
});

/// Renders a JSON record as the vendor's default CSV or TSV line for its log type (no line
/// break). With [`LineFormat::Json`] or [`LineFormat::Auto`] the record is appended as it is.
///
/// # Errors
/// The record is not a JSON object, the log type has no default template, or a value cannot be
/// printed by its field's placeholder (a `%d` field holding text).
pub fn render(
    log_type: LogType,
    format: LineFormat,
    json: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), RenderError> {
    let record: Map<String, Value> =
        serde_json::from_slice(json).map_err(|e| RenderError::NotObject(e.to_string().into()))?;
    let tsv = match format {
        LineFormat::Json | LineFormat::Auto => {
            out.extend_from_slice(json);
            return Ok(());
        }
        LineFormat::Csv => false,
        LineFormat::Tsv => true,
    };
    let template = TEMPLATES[log_type as usize]
        .as_ref()
        .map(|(csv, tsv_template)| if tsv { tsv_template } else { csv })
        .ok_or(RenderError::NoTemplate {
            log_type: log_type.as_str(),
            format: format.as_str(),
        })?;
    render_template(template, &record, out)
}

/// Renders `record` with any template.
///
/// # Errors
/// As [`render`].
pub(super) fn render_template(
    template: &Template,
    record: &Map<String, Value>,
    out: &mut Vec<u8>,
) -> Result<(), RenderError> {
    let mut text = Vec::new();
    for piece in template.pieces() {
        match piece {
            Piece::Text(t) => out.extend_from_slice(t),
            Piece::Field(f) => {
                let value = record
                    .get(fields::json_key(&f.name))
                    .or_else(|| record.get(&*f.name))
                    .filter(|v| !v.is_null());
                text.clear();
                field(f, value, &mut text)?;
                pad(f, &text, out);
            }
        }
    }
    Ok(())
}

/// The text of one placeholder, before padding.
fn field(f: &Field, value: Option<&Value>, out: &mut Vec<u8>) -> Result<(), RenderError> {
    let Some(value) = value else {
        if f.spec == Spec::Json && f.list.is_none() {
            out.extend_from_slice(b"\"\"");
        }
        return Ok(());
    };
    if let Some(sep) = &f.list {
        let items: &[Value] = match value {
            Value::Array(items) => items,
            Value::String(s) if s.is_empty() => &[],
            other => std::slice::from_ref(other),
        };
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(sep);
            }
            one(f, item, out)?;
        }
        return Ok(());
    }
    one(f, value, out)
}

/// The text of one value.
fn one(f: &Field, value: &Value, out: &mut Vec<u8>) -> Result<(), RenderError> {
    let wrong = || RenderError::Value {
        field: fields::json_key(&f.name).into(),
        spec: f.spec.letter(),
        found: Quote::new(value.to_string().as_bytes()),
    };
    match f.spec {
        Spec::Int | Spec::Hex => {
            let n = integer(value).ok_or_else(wrong)?;
            let n = match f.modifier {
                Some(m @ (TimeModifier::Epoch | TimeModifier::EpochMs | TimeModifier::EpochUs)) => {
                    epoch(value, m).unwrap_or(n)
                }
                _ => n,
            };
            let text = if f.spec == Spec::Int {
                let sign = if n >= 0 && f.flags.plus { "+" } else { "" };
                format!("{sign}{n}")
            } else if f.flags.alt {
                format!("0x{n:x}")
            } else {
                format!("{n:x}")
            };
            out.extend_from_slice(text.as_bytes());
        }
        Spec::Float => {
            let v = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) if s.trim().is_empty() => return Ok(()),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|v| v.is_finite())
            .ok_or_else(wrong)?;
            let text = format!("{v:.*}", f.precision.unwrap_or(6));
            out.extend_from_slice(text.as_bytes());
        }
        Spec::Str => {
            let text = plain(f, value);
            let text = match f.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            };
            out.extend_from_slice(text.as_bytes());
        }
        Spec::Json => {
            out.push(b'"');
            escape_into(out, plain(f, value).as_bytes());
            out.push(b'"');
        }
        Spec::JsonBare => escape_into(out, plain(f, value).as_bytes()),
        Spec::Hash => return Err(RenderError::Unsupported('o')),
    }
    Ok(())
}

/// A value as plain text: a string as it is, anything else as its JSON text; an epoch modifier
/// turns a time held as text into its number.
fn plain(f: &Field, value: &Value) -> String {
    if let Some(m @ (TimeModifier::Epoch | TimeModifier::EpochMs | TimeModifier::EpochUs)) =
        f.modifier
        && let Some(n) = epoch(value, m)
    {
        return n.to_string();
    }
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An integer from a JSON integer, a whole float, or a string of digits.
fn integer(value: &Value) -> Option<i128> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                n.as_f64()
                    .filter(|v| v.fract() == 0.0 && v.abs() < 1e18)
                    // Whole and below 10^18: the conversion is exact.
                    .map(
                        #[allow(clippy::cast_possible_truncation)]
                        |v| v as i128,
                    )
            }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A time held as text, in the unit of an epoch modifier.
fn epoch(value: &Value, m: TimeModifier) -> Option<i128> {
    let Value::String(s) = value else {
        return None;
    };
    let millis = i128::from(parse_timestamp(s.as_bytes())?);
    Some(match m {
        TimeModifier::Epoch => millis / 1000,
        TimeModifier::EpochMs => millis,
        _ => millis * 1000,
    })
}

/// Writes `text` padded to the field's width.
fn pad(f: &Field, text: &[u8], out: &mut Vec<u8>) {
    let len = std::str::from_utf8(text).map_or(text.len(), |s| s.chars().count());
    let fill = f.width.unwrap_or(0).saturating_sub(len);
    if fill == 0 {
        out.extend_from_slice(text);
    } else if f.flags.left {
        out.extend_from_slice(text);
        out.resize(out.len() + fill, b' ');
    } else if f.flags.zero && f.spec.is_number() {
        let (sign, digits) = match text.first() {
            Some(b'-' | b'+') => text.split_at(1),
            _ => (&text[..0], text),
        };
        out.extend_from_slice(sign);
        out.resize(out.len() + fill, b'0');
        out.extend_from_slice(digits);
    } else {
        out.resize(out.len() + fill, b' ');
        out.extend_from_slice(text);
    }
}
