use super::*;
use crate::catalog::{Cause, Severity};

const GOOD: &str = r#"
catalog_version = "test-1"

[[entry]]
code = "A_CODE"
status = "AC: Something"
description = "Something happened."
severity = "high"
component = "App Connector"
category = "error"
cause = "service"
remediation = "Check it."

[[entry]]
code = "close"
status = "Close"
description = "Closed."
severity = "info"
component = "Service Edge"
category = "info"
"#;

#[test]
fn parses_a_valid_file() {
    let f = parse_toml(GOOD, "t.toml").unwrap();
    assert_eq!(f.version, "test-1");
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.entries[0].severity, Severity::High);
    assert_eq!(f.entries[0].cause, Some(Cause::Service));
    assert_eq!(f.entries[1].remediation, None);
}

#[test]
fn json_of_the_same_shape_parses_to_the_same_entries() {
    let toml_file = parse_toml(GOOD, "t.toml").unwrap();
    let json = serde_json::json!({
        "catalog_version": "test-1",
        "entry": toml_file.entries,
    });
    let json_file = parse_json(&json.to_string(), "t.json").unwrap();
    assert_eq!(json_file, toml_file);
}

#[test]
fn every_problem_is_listed_with_entry_and_line() {
    let bad = r#"
catalog_version = "x"
colour = "red"

[[entry]]
code = "DUP"
status = "S"
description = "D"
severity = "hihg"
component = "Connector"
category = "error"

[[entry]]
code = "dup"
status = ""
description = "D"
severity = "low"
component = "App Connector"
category = "error"
shade = "x"

[[entry]]
status = "S"
description = "D"
severity = "low"
component = "App Connector"
"#;
    let err = parse_toml(bad, "bad.toml").unwrap_err();
    let text = err.to_string();
    for needle in [
        "line 3: unknown top-level key \"colour\"",
        "line 9: entry DUP: unknown severity \"hihg\"",
        "line 10: entry DUP: unknown component \"Connector\"",
        "entry dup: status is empty",
        "entry dup: unknown field \"shade\"",
        "line 14: entry dup: duplicate code (already defined by entry #1 at line 6)",
        "entry #3: code is missing",
        "entry #3: category is missing",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let CatalogError::Invalid { problems, .. } = err else {
        panic!("expected Invalid")
    };
    assert_eq!(problems.len(), 8, "{text}");
}

#[test]
fn unknown_top_level_tables_carry_a_line() {
    let text = "catalog_version = \"x\"\n\n[extra]\na = 1\n\n[[more]]\nb = 2\n";
    let err = parse_toml(text, "t.toml").unwrap_err().to_string();
    for needle in [
        "line 3: unknown top-level key \"extra\"",
        "line 6: unknown top-level key \"more\"",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn a_byte_order_mark_is_skipped_and_json_in_a_toml_file_is_named() {
    let json = "\u{feff}{\"catalog_version\": \"b\", \"entry\": [{\"code\": \"X_1\", \"status\": \"S\", \"description\": \"D\", \"severity\": \"low\", \"component\": \"Service Edge\", \"category\": \"error\"}]}";
    let file = parse_json(json, "bom.json").unwrap();
    assert_eq!(file.entries.len(), 1);
    let err = parse_toml(json.trim_start_matches('\u{feff}'), "c.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("this looks like a JSON catalog: name the file .json"),
        "{err}"
    );
}

#[test]
fn problems_of_one_toml_entry_come_in_line_order() {
    let text = "catalog_version = \"x\"\n\n[[entry]]\nstatus = \"\"\ncode = \"A\"\nseverity = \"urgent\"\ncomponent = \"X\"\ncategory = \"bad\"\ndescription = \"\"\n";
    let CatalogError::Invalid { problems, .. } = parse_toml(text, "t.toml").unwrap_err() else {
        panic!("expected Invalid")
    };
    let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [Some(4), Some(6), Some(7), Some(8), Some(9)]);
}

#[test]
fn toml_syntax_errors_name_the_key() {
    for (text, line, message) in [
        (
            "catalog_version = \"x\"\n[[entry]]\ncode = \"A\"\ncategory = \"error\"\ncategory = \"info\"\n",
            5,
            "key category is given twice in one table; give each key once",
        ),
        (
            "catalog_version = \"x\"\nentry = \"x\"\n",
            2,
            "entry: invalid type: string \"x\", expected a sequence",
        ),
    ] {
        let err = parse_toml(text, "t.toml").unwrap_err();
        let CatalogError::Syntax {
            line: got_line,
            message: got,
            ..
        } = err
        else {
            panic!("{err}")
        };
        assert_eq!((got_line, got.as_str()), (Some(line), message));
    }
}

#[test]
fn syntax_errors_carry_a_line() {
    let err = parse_toml("catalog_version = \"x\"\n[[entry]\ncode=1\n", "s.toml").unwrap_err();
    assert!(
        matches!(err, CatalogError::Syntax { line: Some(2), .. }),
        "{err}"
    );
    let err = parse_json("{\n\"catalog_version\": \n}", "s.json").unwrap_err();
    assert!(
        matches!(err, CatalogError::Syntax { line: Some(3), .. }),
        "{err}"
    );
}

#[test]
fn wrong_types_and_missing_version_are_reported() {
    let err = parse_json(r#"{"entry":[{"code":"X","status":"S","description":"D","severity":3,"component":"Policy","category":"error"}, 7]}"#, "j.json").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("catalog_version is missing"), "{text}");
    assert!(
        text.contains("entry X: severity must be a string, not number"),
        "{text}"
    );
    assert!(text.contains("entry #2: entry must be an object"), "{text}");
    assert!(!text.contains("severity is missing"), "{text}");
}

#[test]
fn codes_with_spaces_are_rejected() {
    let text = GOOD.replace("A_CODE", "A CODE");
    let err = parse_toml(&text, "t.toml").unwrap_err().to_string();
    assert!(err.contains("contains ' '"), "{err}");
}

#[test]
fn unknown_extension_is_an_error() {
    let err = from_path(Path::new("catalog.yaml")).unwrap_err();
    assert!(err.to_string().contains(".toml or .json"), "{err}");
}

#[test]
fn json_problems_carry_lines_and_keys_given_twice_are_reported() {
    let text = r#"{
  "catalog_version": "acme-1",
  "entry": [
    {
      "code": "A_CODE",
      "status": "S",
      "description": "D",
      "severity": "urgent",
      "component": "Policy",
      "category": "error"
    },
    {
      "code": "B_CODE",
      "status": "S",
      "description": "D",
      "severity": "high",
      "severity": "low",
      "component": "Policy",
      "category": "error",
      "colour": 1
    },
    7
  ],
  "extra": 1,
  "catalog_version": "acme-2"
}"#;
    let err = parse_json(text, "j.json").unwrap_err();
    let CatalogError::Invalid { problems, .. } = &err else {
        panic!("{err}")
    };
    let found: Vec<(Option<usize>, Option<&str>, &str)> = problems
        .iter()
        .map(|p| (p.line, p.entry.as_deref(), p.message.as_str()))
        .collect();
    for (line, entry, start) in [
        (
            Some(25),
            None,
            "\"catalog_version\" is given twice (first at line 2)",
        ),
        (Some(24), None, "unknown top-level key \"extra\""),
        (Some(8), Some("A_CODE"), "unknown severity \"urgent\""),
        (
            Some(17),
            Some("B_CODE"),
            "\"severity\" is given twice (first at line 16)",
        ),
        (Some(20), Some("B_CODE"), "unknown field \"colour\""),
        (Some(22), Some("#3"), "entry must be an object"),
    ] {
        assert!(
            found
                .iter()
                .any(|(l, e, m)| *l == line && *e == entry && m.starts_with(start)),
            "no {start:?} at line {line:?} for {entry:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), 6, "{found:#?}");
    // The whole message, as a user sees it.
    assert!(
        err.to_string()
            .contains("line 17: entry B_CODE: \"severity\" is given twice (first at line 16); give each key once"),
        "{err}"
    );
}

#[test]
fn json_that_is_not_an_object_is_a_clear_error() {
    for text in ["[]", "\"catalog\"", "7"] {
        let err = parse_json(text, "j.json").unwrap_err().to_string();
        assert!(
            err.contains("expected an object with catalog_version and entry"),
            "{text}: {err}"
        );
    }
    let err = parse_json(r#"{"catalog_version":"v","entry":{"code":"X"}}"#, "j.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1: \"entry\" must be an array"), "{err}");
}
