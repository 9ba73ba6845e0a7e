//! Type checks the config crate does not make: it turns `true` into 1 for a number and rounds
//! `1.5` to 2 for a whole number. A count set to `true` or to a fraction is a mistake, so such
//! values are reported. (Booleans stay as the config crate reads them: `true`, `false`, and also
//! `1`/`0`, `yes`/`no`, `on`/`off`, as environment variables often say.)
//!
//! The expected type of each key is read from the defaults (`Settings::default()`); keys whose
//! default is not a number are left to serde.

use config::{Value, ValueKind};

use super::Settings;

/// Every key under `root` whose default is a number but whose value is a boolean, or a fraction
/// where a whole number is expected, as its path and a message. Values from the compiled-in
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
        _ => None,
    };
    if let Some(p) = problem {
        found.push((path.clone(), p));
    }
}
