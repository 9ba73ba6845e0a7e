//! Type checks the config crate does not make: it turns `true` into 1 for a number, rounds
//! `1.5` to 2 for a whole number, and saturates a whole number too large for 64 bits. A count
//! set to `true` or to a fraction is a mistake, and a saturated number is not what was written,
//! so such values are reported. It also takes any number for a boolean; booleans are `true`,
//! `false`, and also `1`/`0`, `yes`/`no`, `on`/`off`, as environment variables often say, but no
//! other number.
//!
//! The expected type of each key is read from the defaults (`Settings::default()`); keys whose
//! default is not a number are left to serde.

use config::{Value, ValueKind};

use super::Settings;

/// 2^63: whole numbers from here on do not fit the integers settings are read as.
const TOO_LARGE: f64 = 9_223_372_036_854_775_808.0;

/// Every key under `root` whose default is a number but whose value is a boolean, or a fraction
/// where a whole number is expected, or whose default is a boolean but whose value is a number
/// other than 1 and 0, as its path and a message. Values from the compiled-in
/// defaults are not looked at.
pub(super) fn mistyped(root: &Value) -> Vec<(Vec<String>, String)> {
    let defaults = serde_json::to_value(Settings::default()).expect("settings serialise to JSON");
    let mut found = Vec::new();
    walk(root, &defaults, &mut Vec::new(), &mut found);
    found
}

fn walk(
    value: &Value,
    default: &serde_json::Value,
    path: &mut Vec<String>,
    found: &mut Vec<(Vec<String>, String)>,
) {
    if let (ValueKind::Table(table), serde_json::Value::Object(expected)) = (&value.kind, default) {
        for (key, child) in table {
            if let Some(d) = expected.get(key) {
                path.push(key.clone());
                walk(child, d, path, found);
                path.pop();
            }
        }
        return;
    }
    if value.origin().is_none() {
        return;
    }
    let problem = match (default, &value.kind) {
        (serde_json::Value::Number(_), ValueKind::Boolean(b)) => {
            Some(format!("expected a number, found {b}"))
        }
        (serde_json::Value::Number(n), ValueKind::Float(f)) if !n.is_f64() && f.fract() != 0.0 => {
            Some(format!("expected a whole number, found {f}"))
        }
        // A whole number past 64 bits reaches us as a float (the environment's text is tried
        // as an integer, then as a float); the conversion would saturate it silently.
        (serde_json::Value::Number(n), ValueKind::Float(f))
            if !n.is_f64() && f.abs() >= TOO_LARGE =>
        {
            Some(format!("a number of about {f:e} is too large"))
        }
        // The config crate takes any number as a boolean (nonzero is true); only 1 and 0 are
        // the spellings a person means.
        (serde_json::Value::Bool(_), kind) => match kind {
            ValueKind::I64(n) if !matches!(n, 0 | 1) => Some(n.to_string()),
            ValueKind::U64(n) if !matches!(n, 0 | 1) => Some(n.to_string()),
            ValueKind::Float(f) => Some(f.to_string()),
            _ => None,
        }
        .map(|n| format!("expected true or false (or 1/0, yes/no, on/off), found {n}")),
        _ => None,
    };
    if let Some(p) = problem {
        found.push((path.clone(), p));
    }
}
