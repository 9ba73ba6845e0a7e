//! Checks a document against the ECS 8.11 field definitions (`tests/data/ecs/`): every field
//! exists, its JSON value fits the field's type, and `event.kind`, `event.category`,
//! `event.type` and `event.outcome` hold allowed values in allowed pairs.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::LazyLock;

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

/// The vendor namespace, where any field is allowed.
const FREE: &str = "zscaler_zpa";

/// One ECS field, as far as the checks need it.
#[derive(Debug)]
struct Field {
    ty: String,
    /// `normalize` includes `array`: a list of values is allowed.
    array: bool,
    /// The allowed values, when ECS lists them.
    allowed: Option<Vec<String>>,
}

#[derive(Debug)]
struct Schema {
    fields: HashMap<String, Field>,
    /// Every proper prefix of a field's path (`event`, `client.geo`): objects on the way.
    parents: HashSet<String>,
    /// `event.category` value → the `event.type` values ECS expects with it.
    expected_types: HashMap<String, Vec<String>>,
}

fn strings(y: &Yaml) -> Vec<String> {
    y.as_vec()
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The schema, read once (the file is large).
static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ecs/ecs_flat-8.11.0.yml"
    );
    let text = std::fs::read_to_string(path).expect("read the ECS field definitions");
    let docs = YamlLoader::load_from_str(&text).expect("parse the ECS field definitions");
    let root = docs[0].as_hash().expect("a mapping of fields");
    let mut schema = Schema {
        fields: HashMap::new(),
        parents: HashSet::new(),
        expected_types: HashMap::new(),
    };
    for (name, def) in root {
        let name = name.as_str().expect("field names are strings").to_owned();
        let ty = def["type"]
            .as_str()
            .expect("every field has a type")
            .to_owned();
        let array = strings(&def["normalize"]).iter().any(|n| n == "array");
        let allowed = def["allowed_values"].as_vec().map(|values| {
            values
                .iter()
                .map(|v| {
                    let value = v["name"]
                        .as_str()
                        .expect("allowed values are named")
                        .to_owned();
                    if name == "event.category" {
                        schema
                            .expected_types
                            .insert(value.clone(), strings(&v["expected_event_types"]));
                    }
                    value
                })
                .collect()
        });
        let mut at = 0;
        while let Some(dot) = name[at..].find('.') {
            schema.parents.insert(name[..at + dot].to_owned());
            at += dot + 1;
        }
        schema.fields.insert(name, Field { ty, array, allowed });
    }
    schema
});

/// Every problem of `doc` as an ECS 8.11 document, each naming its field; empty when it
/// passes. Fields under `zscaler_zpa.` are not checked.
pub fn check_ecs_document(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    match doc.as_object() {
        Some(obj) => {
            for (k, v) in obj {
                walk(k, v, &mut problems);
            }
        }
        None => problems.push("the document is not a JSON object".to_owned()),
    }
    check_categorization(doc, &mut problems);
    problems
}

fn walk(path: &str, value: &Value, problems: &mut Vec<String>) {
    let schema = &*SCHEMA;
    if path == FREE || path.starts_with("zscaler_zpa.") {
        return;
    }
    if let Some(field) = schema.fields.get(path) {
        check_field(path, field, value, problems);
        return;
    }
    if schema.parents.contains(path) {
        match value.as_object() {
            Some(obj) => {
                for (k, v) in obj {
                    walk(&format!("{path}.{k}"), v, problems);
                }
            }
            None => problems.push(format!(
                "{path}: an ECS object, but the value is {}",
                describe(value)
            )),
        }
        return;
    }
    // Below an object, flattened or nested field, any children are allowed.
    let mut at = path.len();
    while let Some(dot) = path[..at].rfind('.') {
        if let Some(f) = schema.fields.get(&path[..dot])
            && matches!(f.ty.as_str(), "object" | "flattened" | "nested")
        {
            return;
        }
        at = dot;
    }
    match value.as_object() {
        // Name the fields inside an object ECS does not know.
        Some(obj) if !obj.is_empty() => {
            for (k, v) in obj {
                walk(&format!("{path}.{k}"), v, problems);
            }
        }
        _ => problems.push(format!("{path}: not an ECS 8.11 field")),
    }
}

fn check_field(path: &str, field: &Field, value: &Value, problems: &mut Vec<String>) {
    match field.ty.as_str() {
        "object" | "flattened" | "nested" => {}
        _ => match value {
            Value::Array(items) => {
                if !field.array {
                    problems.push(format!(
                        "{path}: a list, but the field holds one value (type {})",
                        field.ty
                    ));
                }
                for item in items {
                    check_value(path, field, item, problems);
                }
            }
            v => check_value(path, field, v, problems),
        },
    }
}

fn check_value(path: &str, field: &Field, value: &Value, problems: &mut Vec<String>) {
    let ty = field.ty.as_str();
    let fits = match ty {
        "keyword" | "constant_keyword" | "wildcard" | "match_only_text" | "text" => {
            value.is_string()
        }
        "long" | "integer" | "short" | "byte" | "unsigned_long" => value.is_i64() || value.is_u64(),
        "float" | "double" | "scaled_float" | "half_float" => value.is_number(),
        "boolean" => value.is_boolean(),
        "ip" => value.as_str().is_some_and(|s| s.parse::<IpAddr>().is_ok()),
        "date" => value.as_str().is_some_and(is_rfc3339),
        "geo_point" => is_geo_point(value),
        other => {
            problems.push(format!("{path}: ECS type {other} is not checked"));
            return;
        }
    };
    if !fits {
        problems.push(format!(
            "{path}: {} does not fit ECS type {ty}",
            describe(value)
        ));
    }
}

fn describe(value: &Value) -> String {
    let s = value.to_string();
    if s.len() > 60 {
        format!("{}...", &s[..s.floor_char_boundary(57)])
    } else {
        s
    }
}

/// `{"lat": <-90..90>, "lon": <-180..180>}` and nothing else.
fn is_geo_point(value: &Value) -> bool {
    let Some(obj) = value.as_object() else {
        return false;
    };
    let coord = |k: &str, limit: f64| {
        obj.get(k)
            .and_then(Value::as_f64)
            .is_some_and(|v| (-limit..=limit).contains(&v))
    };
    obj.len() == 2 && coord("lat", 90.0) && coord("lon", 180.0)
}

/// `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z` or `±HH:MM`, with fields in range.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|d| d.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0')))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(_), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    if !(at(4, b'-')
        && at(7, b'-')
        && (at(10, b'T') || at(10, b't'))
        && at(13, b':')
        && at(16, b':'))
    {
        return false;
    }
    if !((1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && sec < 61) {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && at(i + 3, b':')
                && digits(i + 1..i + 3).is_some_and(|h| h < 24)
                && digits(i + 4..i + 6).is_some_and(|m| m < 60)
        }
        _ => false,
    }
}

/// The values of `event.<name>`: one string, or a list of them.
fn values(doc: &Value, name: &str) -> Vec<String> {
    match doc.get("event").and_then(|e| e.get(name)) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn check_categorization(doc: &Value, problems: &mut Vec<String>) {
    let schema = &*SCHEMA;
    for name in ["kind", "category", "type", "outcome"] {
        let path = format!("event.{name}");
        let allowed = schema.fields[&path]
            .allowed
            .as_ref()
            .expect("ECS lists the allowed values of the categorization fields");
        for v in values(doc, name) {
            if !allowed.contains(&v) {
                problems.push(format!(
                    "{path}: {v:?} is not an allowed value ({})",
                    allowed.join(", ")
                ));
            }
        }
    }
    for category in values(doc, "category") {
        let Some(expected) = schema.expected_types.get(&category) else {
            continue;
        };
        for t in values(doc, "type") {
            if !expected.contains(&t) {
                problems.push(format!(
                    "event.type: {t:?} is not expected with event.category {category:?} ({})",
                    expected.join(", ")
                ));
            }
        }
    }
}
