//! A checker of Splunk HTTP Event Collector envelopes against the Splunk app we ship and the CIM
//! data models: what Splunk would do with an envelope, short of running Splunk.
//!
//! [`check_hec_envelope`] checks the envelope's shape and JSON types, finds the eventtypes of
//! `deploy/splunk/zpa_enricher/default/eventtypes.conf` whose search matches the event, gives it
//! their tags (`tags.conf`), and for every data model dataset those tags (and the dataset's
//! search constraint) select, checks the dataset's fields as the model files in
//! `tests/data/splunk-cim/` describe them: a required field is present, a conditional one is
//! present when its condition holds, and a field with expected values has one of them.
//!
//! Searches and conditions are evaluated the way Splunk reads the simple ones: `field=value`
//! (`*` a wildcard, values compared without regard to case), `field!=value`, `tag=...`, `NOT`,
//! `OR`, `AND` or juxtaposition, parentheses. Anything more is refused loudly, so that the app
//! keeps its searches simple. Conditions of the form `| where match(field, "<regex>")` (the
//! models' "is an IP address" and "is a MAC address") are recognised by their regex.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

/// Required (or conditional) fields LSS records cannot fill, by data model, field and sourcetype (`*`: every
/// one; a search such as `sourcetype=... action=...`: the events it matches), with the reason. The counterpart of pytest-splunk-addon's "missing recommended
/// fields": documented in docs/splunk.md.
pub const NOT_APPLICABLE: &[(&str, &str, &str, &str)] = &[
    (
        "Network_Sessions",
        "dest_mac",
        "*",
        "LSS records carry no MAC address",
    ),
    (
        "Web",
        "category",
        "zscalerlss-zpa-bba",
        "Browser Access records carry no URL category",
    ),
    (
        "Authentication",
        "src",
        "zscalerlss-zpa-audit",
        "audit records carry no client address",
    ),
    (
        "Change",
        "src",
        "zscalerlss-zpa-audit",
        "audit records carry no client address",
    ),
    (
        "Web",
        "status",
        "sourcetype=zscalerlss-zpa-bba action=blocked",
        "a request a policy refused before any response has no HTTP status",
    ),
    (
        "Network_Traffic",
        "icmp_type",
        "zscalerlss-zpa-microsegmentation",
        "flow records carry no ICMP type",
    ),
    (
        "Network_Traffic",
        "icmp_code",
        "zscalerlss-zpa-microsegmentation",
        "flow records carry no ICMP code",
    ),
];

/// Splunk's default `[spath] extraction_cutoff` (`limits.conf`): automatic JSON extraction
/// (`KV_MODE = json`) reads only this many bytes of an event.
pub const EXTRACTION_CUTOFF: usize = 5000;

/// The keys an envelope may have.
const ENVELOPE_KEYS: [&str; 7] = [
    "time",
    "host",
    "source",
    "sourcetype",
    "index",
    "event",
    "fields",
];

/// One eventtype of the app, with its tags.
#[derive(Debug)]
pub struct EventType {
    pub name: String,
    pub search: String,
    pub tags: Vec<String>,
}

/// A data model dataset and its children.
#[derive(Debug)]
struct Dataset {
    /// `Model.Dataset`.
    name: String,
    model: String,
    /// The dataset applies when the event has every tag of one of these lists.
    tags: Vec<Vec<String>>,
    constraint: String,
    fields: Vec<Field>,
    children: Vec<Dataset>,
}

#[derive(Debug)]
struct Field {
    name: String,
    kind: String,
    expected: Vec<String>,
    condition: String,
    validity: String,
}

/// The app's eventtypes and the data models, loaded once.
#[derive(Debug)]
pub struct Cim {
    pub eventtypes: Vec<EventType>,
    datasets: Vec<Dataset>,
}

/// The app and the models, from the repository.
pub fn cim() -> &'static Cim {
    static CIM: OnceLock<Cim> = OnceLock::new();
    CIM.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        Cim::load(
            &root.join("deploy/splunk/zpa_enricher/default"),
            &root.join("tests/data/splunk-cim"),
        )
    })
}

/// Reads a `.conf` file: stanzas of `key = value` lines.
pub fn read_conf(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut conf: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut stanza: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            assert!(
                conf.insert(name.to_owned(), BTreeMap::new()).is_none(),
                "{}: stanza [{name}] twice",
                path.display()
            );
            stanza = Some(name.to_owned());
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{}:{}: not key = value", path.display(), n + 1));
        let s = stanza
            .as_ref()
            .unwrap_or_else(|| panic!("{}:{}: outside a stanza", path.display(), n + 1));
        conf.get_mut(s)
            .expect("stanza")
            .insert(key.trim().to_owned(), value.trim().to_owned());
    }
    conf
}

impl Cim {
    fn load(app_default: &Path, models: &Path) -> Cim {
        let eventtypes = read_conf(&app_default.join("eventtypes.conf"));
        let tags = read_conf(&app_default.join("tags.conf"));
        for stanza in tags.keys() {
            let et = stanza
                .strip_prefix("eventtype=")
                .unwrap_or_else(|| panic!("tags.conf: [{stanza}] is not an eventtype stanza"));
            assert!(eventtypes.contains_key(et), "tags.conf: no eventtype {et}");
        }
        let eventtypes = eventtypes
            .into_iter()
            .map(|(name, keys)| {
                let search = keys
                    .get("search")
                    .unwrap_or_else(|| panic!("eventtype {name} has no search"))
                    .clone();
                let tags = tags
                    .get(&format!("eventtype={name}"))
                    .map(|t| {
                        t.iter()
                            .map(|(tag, state)| {
                                assert_eq!(state, "enabled", "{name}: tag {tag}");
                                tag.clone()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                EventType { name, search, tags }
            })
            .collect();
        let mut datasets = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(models)
            .unwrap_or_else(|e| panic!("{}: {e}", models.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let model: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).expect("a model file"))
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let name = model["model_name"].as_str().expect("model_name");
            for object in model["objects"].as_array().expect("objects") {
                datasets.push(Dataset::from_json(name, object));
            }
        }
        assert!(
            !datasets.is_empty(),
            "no data model in {}",
            models.display()
        );
        Cim {
            eventtypes,
            datasets,
        }
    }

    /// Every `Model.Dataset` name.
    pub fn dataset_names(&self) -> Vec<String> {
        fn walk(d: &Dataset, out: &mut Vec<String>) {
            out.push(d.name.clone());
            d.children.iter().for_each(|c| walk(c, out));
        }
        let mut out = Vec::new();
        self.datasets.iter().for_each(|d| walk(d, &mut out));
        out
    }
}

impl Dataset {
    fn from_json(model: &str, o: &Value) -> Dataset {
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        Dataset {
            name: format!("{model}.{}", o["name"].as_str().expect("dataset name")),
            model: model.to_owned(),
            tags: o["tags"]
                .as_array()
                .map(|a| a.iter().map(strings).collect())
                .unwrap_or_default(),
            constraint: o["search_constraints"].as_str().unwrap_or("").to_owned(),
            fields: o["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .map(|f| Field {
                    name: f["name"].as_str().expect("field name").to_owned(),
                    kind: f["type"].as_str().expect("field type").to_owned(),
                    expected: strings(&f["expected_values"]),
                    condition: f["condition"].as_str().unwrap_or("").to_owned(),
                    validity: f["validity"].as_str().unwrap_or("").to_owned(),
                })
                .collect(),
            children: o["child_dataset"]
                .as_array()
                .map(|a| a.iter().map(|c| Dataset::from_json(model, c)).collect())
                .unwrap_or_default(),
        }
    }
}

/// What Splunk sees of one event: its fields (multivalue) and tags.
#[derive(Debug, Default)]
pub struct Event {
    pub fields: BTreeMap<String, Vec<String>>,
    pub tags: BTreeSet<String>,
    pub eventtypes: Vec<String>,
}

impl Event {
    /// The event's search-time fields: the top-level keys of `event` (lists as multivalue
    /// fields) that end within the first [`EXTRACTION_CUTOFF`] bytes of the event's text, the
    /// envelope's metadata and its indexed fields.
    fn of(env: &Value) -> Event {
        let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let mut add = |k: &str, v: &Value| {
            let values: Vec<String> = match v {
                Value::Array(a) => a.iter().filter_map(scalar).collect(),
                other => scalar(other).into_iter().collect(),
            };
            let values: Vec<String> = values
                .into_iter()
                .filter(|s| !s.trim().is_empty())
                .collect();
            if !values.is_empty() {
                fields.entry(k.to_owned()).or_default().extend(values);
            }
        };
        if let Some(event) = env["event"].as_object() {
            // `{` and, per member, `"key":value` and a comma: the compact text the writer sends.
            let mut start = 1;
            for (k, v) in event {
                let end =
                    start + Value::String(k.clone()).to_string().len() + 1 + v.to_string().len();
                if end > EXTRACTION_CUTOFF {
                    break;
                }
                add(k, v);
                start = end + 1;
            }
        }
        for k in ["sourcetype", "source", "host", "index"] {
            add(k, &env[k]);
        }
        if let Some(indexed) = env["fields"].as_object() {
            for (k, v) in indexed {
                add(k, v);
            }
        }
        Event {
            fields,
            ..Event::default()
        }
    }

    fn values(&self, field: &str) -> &[String] {
        self.fields.get(field).map_or(&[], Vec::as_slice)
    }
}

/// Checks one envelope; every problem found, none when it is fine.
pub fn check_hec_envelope(env: &Value) -> Vec<String> {
    let mut problems = shape(env);
    if !problems.is_empty() {
        return problems;
    }
    let cim = cim();
    let event = tagged(cim, env);
    let sourcetype = env["sourcetype"].as_str().unwrap_or_default();
    for d in &cim.datasets {
        check_dataset(d, &event, sourcetype, &mut problems);
    }
    problems
}

/// The event of an envelope with the tags of the eventtypes that match it.
pub fn tagged(cim: &Cim, env: &Value) -> Event {
    let mut event = Event::of(env);
    for et in &cim.eventtypes {
        if eval(&et.search, &event) {
            event.eventtypes.push(et.name.clone());
            event.tags.extend(et.tags.iter().cloned());
        }
    }
    event
}

/// The datasets (`Model.Dataset`) an envelope's event belongs to.
pub fn datasets(env: &Value) -> Vec<String> {
    fn walk(d: &Dataset, e: &Event, out: &mut Vec<String>) {
        if applies(d, e) {
            out.push(d.name.clone());
            d.children.iter().for_each(|c| walk(c, e, out));
        }
    }
    let cim = cim();
    let event = tagged(cim, env);
    let mut out = Vec::new();
    cim.datasets.iter().for_each(|d| walk(d, &event, &mut out));
    out
}

fn shape(env: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(object) = env.as_object() else {
        return vec!["the envelope is not a JSON object".into()];
    };
    for k in object.keys() {
        if !ENVELOPE_KEYS.contains(&k.as_str()) {
            problems.push(format!("the envelope has an unknown key {k:?}"));
        }
    }
    match env.get("time") {
        Some(Value::Number(n)) if n.as_f64().is_some_and(|t| t > 0.0) => {}
        other => problems.push(format!("time is not a positive number: {other:?}")),
    }
    match env.get("sourcetype") {
        Some(Value::String(s)) if !s.is_empty() => {}
        other => problems.push(format!("sourcetype is not a non-empty string: {other:?}")),
    }
    for k in ["host", "source", "index"] {
        if let Some(v) = env.get(k).filter(|v| !v.is_string()) {
            problems.push(format!("{k} is not a string: {v}"));
        }
    }
    if !env.get("event").is_some_and(Value::is_object) {
        problems.push("event is not a JSON object".into());
    }
    match env.get("fields") {
        None => {}
        Some(Value::Object(fields)) => {
            for (k, v) in fields {
                let flat = match v {
                    Value::String(_) => true,
                    Value::Array(a) => a.iter().all(Value::is_string),
                    _ => false,
                };
                if !flat {
                    problems.push(format!(
                        "indexed field {k} is not a string or a list of strings: {v}"
                    ));
                }
            }
        }
        Some(other) => problems.push(format!("fields is not an object: {other}")),
    }
    problems
}

fn applies(d: &Dataset, e: &Event) -> bool {
    d.tags
        .iter()
        .any(|set| set.iter().all(|t| e.tags.contains(t)))
        && (d.constraint.is_empty() || eval(&d.constraint, e))
}

fn not_applicable(model: &str, field: &str, sourcetype: &str, e: &Event) -> bool {
    NOT_APPLICABLE.iter().any(|&(m, f, s, _)| {
        m == model && f == field && (s == "*" || s == sourcetype || (s.contains('=') && eval(s, e)))
    })
}

fn check_dataset(d: &Dataset, e: &Event, sourcetype: &str, problems: &mut Vec<String>) {
    if !applies(d, e) {
        return;
    }
    for f in &d.fields {
        let values = e.values(&f.name);
        let needed = match f.kind.as_str() {
            "required" => !not_applicable(&d.model, &f.name, sourcetype, e),
            "conditional" => {
                !f.condition.is_empty()
                    && !not_applicable(&d.model, &f.name, sourcetype, e)
                    && eval(&f.condition, e)
            }
            "not_allowed_in_search" => {
                if !values.is_empty() {
                    problems.push(format!("{}: {} must not be set", d.name, f.name));
                }
                false
            }
            _ => false,
        };
        if values.is_empty() {
            if needed {
                problems.push(format!(
                    "{}: {} field {} is missing",
                    d.name, f.kind, f.name
                ));
            }
            continue;
        }
        for v in values {
            if !f.expected.is_empty() && !f.expected.iter().any(|x| x == v) {
                problems.push(format!(
                    "{}: {}={v:?} is none of {:?}",
                    d.name, f.name, f.expected
                ));
            }
        }
        if let Some(p) = validity(f, e) {
            problems.push(format!("{}: {}", d.name, p));
        }
    }
    for c in &d.children {
        check_dataset(c, e, sourcetype, problems);
    }
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

/// The validity expressions of the models, as far as they say something checkable without
/// Splunk: a number, no double quote, a sum, a length, an equality.
fn validity(f: &Field, e: &Event) -> Option<String> {
    let v = &f.validity;
    let name = &f.name;
    let values = e.values(name);
    let first = values.first()?;
    if v.contains(&format!("isnum({name})")) && values.iter().any(|x| number(x).is_none()) {
        return Some(format!("{name}={first:?} is not a number"));
    }
    if v.contains(&format!("like({name},'%\"%')")) && values.iter().any(|x| x.contains('"')) {
        return Some(format!("{name}={first:?} contains a double quote"));
    }
    if v.contains("bytes == (bytes_in+bytes_out)") && name == "bytes" {
        let sum = |k: &str| e.values(k).first().and_then(|x| number(x));
        if let (Some(b), Some(i), Some(o)) = (number(first), sum("bytes_in"), sum("bytes_out"))
            && (b - (i + o)).abs() > f64::EPSILON
        {
            return Some(format!("bytes={b} is not bytes_in+bytes_out={}", i + o));
        }
    }
    if v.contains("len(http_user_agent)") {
        let agent = e.values("http_user_agent").first()?;
        if number(first) != Some(agent.chars().count() as f64) {
            return Some(format!("{name}={first} is not the length of {agent:?}"));
        }
    }
    // `if((!isnull(dest_ip) AND dest == dest_ip), ...)`: the address is the destination.
    if let Some(rest) = v.strip_prefix(&format!("if((!isnull({name}) AND ")) {
        let other = rest.split(" == ").next().unwrap_or_default();
        if !e.values(other).contains(first) {
            return Some(format!("{name}={first:?} is not {other}"));
        }
    }
    None
}

// ---- search expressions -------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
}

fn lex(search: &str) -> Vec<Token> {
    let search = search.replace(" != ", "!=").replace(" = ", "=");
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    for c in search.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.push(c);
            }
            c if quoted => word.push(c),
            '(' | ')' => {
                flush(&mut word, &mut tokens);
                tokens.push(if c == '(' { Token::Open } else { Token::Close });
            }
            c if c.is_whitespace() => flush(&mut word, &mut tokens),
            c => word.push(c),
        }
    }
    assert!(!quoted, "unbalanced quotes in {search:?}");
    flush(&mut word, &mut tokens);
    tokens
}

/// Evaluates a search, a search constraint or a field condition against an event.
pub fn eval(search: &str, e: &Event) -> bool {
    let search = search.trim();
    if search.starts_with('|') {
        return eval_where(search, e);
    }
    let tokens = lex(search);
    let mut p = Parser {
        tokens: &tokens,
        at: 0,
        search,
    };
    let result = p.or(e);
    assert_eq!(p.at, tokens.len(), "cannot read {search:?}");
    result
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    search: &'t str,
}

impl Parser<'_> {
    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn or(&mut self, e: &Event) -> bool {
        let mut value = self.and(e);
        while self.peek_word() == Some("OR") {
            self.at += 1;
            let rhs = self.and(e);
            value = value || rhs;
        }
        value
    }

    fn and(&mut self, e: &Event) -> bool {
        let mut value = self.unary(e);
        loop {
            match self.tokens.get(self.at) {
                None | Some(Token::Close) => return value,
                Some(Token::Word(w)) if w == "OR" => return value,
                Some(Token::Word(w)) if w == "AND" => self.at += 1,
                _ => {}
            }
            let rhs = self.unary(e);
            value = value && rhs;
        }
    }

    fn unary(&mut self, e: &Event) -> bool {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) if w == "NOT" => {
                self.at += 1;
                !self.unary(e)
            }
            Some(Token::Open) => {
                self.at += 1;
                let value = self.or(e);
                assert_eq!(
                    self.tokens.get(self.at),
                    Some(&Token::Close),
                    "unbalanced parentheses in {:?}",
                    self.search
                );
                self.at += 1;
                value
            }
            Some(Token::Word(w)) => {
                let w = w.clone();
                self.at += 1;
                term(&w, e, self.search)
            }
            other => panic!("unexpected {other:?} in {:?}", self.search),
        }
    }
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

fn term(word: &str, e: &Event, search: &str) -> bool {
    let (field, negated, value) = if let Some((f, v)) = word.split_once("!=") {
        (f, true, v)
    } else if let Some((f, v)) = word.split_once('=') {
        (f, false, v)
    } else {
        panic!("{word:?} in {search:?} is no field=value term: keep searches simple");
    };
    let value = unquote(value);
    if field == "tag" {
        let hit = e.tags.iter().any(|t| glob(value, t));
        return hit != negated;
    }
    let values = e.values(field);
    let hit = values.iter().any(|v| glob(value, v));
    if negated {
        !values.is_empty() && !hit
    } else {
        hit
    }
}

/// `pattern` (with `*` wildcards) matches `text`, without regard to case.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_lowercase(), text.to_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

/// `| where match(field, "<regex>") [or match(...)]`: the models use it only to ask whether a
/// field is an IP address or a MAC address.
fn eval_where(condition: &str, e: &Event) -> bool {
    let mut any = false;
    for part in condition.split("match(").skip(1) {
        let field = part.split(',').next().unwrap_or_default().trim();
        let is_mac = part.contains("{5}");
        any |= e.values(field).iter().any(|v| {
            if is_mac {
                let v = v.replace('-', ":");
                v.len() == 17
                    && v.split(':')
                        .all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()))
            } else {
                v.parse::<IpAddr>().is_ok()
            }
        });
    }
    any
}
