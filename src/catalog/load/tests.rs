use super::*;
use crate::catalog::{Cause, Component, EntrySource, LogTypeOverride, Severity};
use crate::event::LogType;

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

[[entry]]
code = "STATUS_FAILED"
status = "Failed"
description = "A sign-in failed."
severity = "medium"
component = "Authentication"
category = "error"
aliases = ["STATUS_FAIL"]
log_types = ["user_status", "zpn_ast_auth_log"]
retired = false
source = "vendor_api"

[[entry.overrides]]
log_type = "app_connector_status"
severity = "high"
component = "App Connector"

[[entry]]
code = "OLD_CODE"
status = "Old"
description = "Gone."
severity = "low"
component = "Policy"
category = "policy_block"
retired = true
"#;

#[test]
fn parses_a_valid_file() {
    let f = parse_toml(GOOD, "t.toml").unwrap();
    assert_eq!(f.version, "test-1");
    assert_eq!(f.entries.len(), 4);
    assert_eq!(f.entries[0].severity, Severity::High);
    assert_eq!(f.entries[0].cause, Some(Cause::Service));
    assert_eq!(f.entries[1].remediation, None);
    // Metadata: absent is empty, false or none.
    assert!(f.entries[0].aliases.is_empty() && f.entries[0].log_types.is_empty());
    assert!(!f.entries[0].retired && f.entries[0].source.is_none());
    let e = &f.entries[2];
    assert_eq!(e.aliases, ["STATUS_FAIL"]);
    // The vendor's sourceLogType names the same log type.
    assert_eq!(
        e.log_types,
        [LogType::UserStatus, LogType::AppConnectorStatus]
    );
    assert_eq!(e.source, Some(EntrySource::VendorApi));
    assert_eq!(
        e.overrides,
        [LogTypeOverride {
            log_type: LogType::AppConnectorStatus,
            severity: Some(Severity::High),
            component: Some(Component::AppConnector),
        }]
    );
    assert!(f.entries[3].retired);
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

#[test]
fn metadata_problems_name_the_entry_the_line_and_the_nearest_name() {
    let bad = r#"catalog_version = "x"

[[entry]]
code = "A_1"
status = "S"
description = "D"
severity = "medium"
component = "Authentication"
category = "error"
aliases = ["A_2", "a_2", "A 3", "a_1"]
log_types = ["user_status", "app_conector_status", "zpn_auth_log", "unknown"]
retired = "yes"
source = "vendor-api"
alias = "x"

[[entry.overrides]]
log_type = "private_service_edge_status"
severity = "hihg"

[[entry.overrides]]
log_type = "user_status"
colour = "red"

[[entry.overrides]]
log_type = "user_status"
severity = "medium"

[[entry]]
code = "B_1"
status = "S"
description = "D"
severity = "low"
component = "Policy"
category = "error"
aliases = ["A_2", "B_2"]
log_types = []

[[entry]]
code = "b_2"
status = "S"
description = "D"
severity = "low"
component = "Policy"
category = "error"
overrides = []
"#;
    let err = parse_toml(bad, "bad.toml").unwrap_err();
    let CatalogError::Invalid { problems, .. } = &err else {
        panic!("{err}")
    };
    let found: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{}: {}: {}",
                p.line.unwrap_or(0),
                p.entry.as_deref().unwrap_or("-"),
                p.message
            )
        })
        .collect();
    for needle in [
        "10: A_1: alias \"a_2\" is listed twice, ignoring case",
        "10: A_1: alias \"A 3\" contains ' '",
        "11: A_1: unknown log type \"app_conector_status\" (expected one of: user_activity,",
        "; did you mean \"app_connector_status\"?",
        "11: A_1: log type user_status is listed twice",
        "11: A_1: log type \"unknown\" is what records of no known log type are called",
        "12: A_1: retired must be true or false, not string",
        "13: A_1: unknown source \"vendor-api\" (expected one of: vendor_api, local); did you mean \"vendor_api\"?",
        "14: A_1: unknown field \"alias\"",
        "did you mean \"aliases\"?",
        "18: A_1: unknown severity \"hihg\" (expected one of: info, low, medium, high, critical); did you mean \"high\"?",
        "22: A_1: unknown field \"colour\" in an override (expected log_type, severity, component)",
        "20: A_1: an override needs a severity, a component or both",
        "24: A_1: override for log type user_status changes nothing",
        "10: A_1: alias \"a_1\" is the entry's own code, ignoring case",
        "35: B_1: alias \"A_2\" is already an alias of entry A_1 (#1 at line 10), ignoring case",
        "36: B_1: log_types is empty; leave it out",
        "39: b_2: code \"b_2\" is already an alias of entry B_1 (#2 at line 35), ignoring case",
        "45: b_2: overrides is empty",
    ] {
        assert!(
            found.iter().any(|f| f.contains(needle)),
            "missing {needle:?} in:\n{}",
            found.join("\n")
        );
    }
    assert_eq!(found.len(), 17, "{}", found.join("\n"));
}

#[test]
fn overrides_are_checked_against_each_other_and_the_log_types() {
    let text = r#"catalog_version = "x"

[[entry]]
code = "A_1"
status = "S"
description = "D"
severity = "medium"
component = "Authentication"
category = "error"
log_types = ["user_status", "app_connector_status"]
overrides = [
  { log_type = "zpn_ast_auth_log", severity = "high" },
  { log_type = "app_connector_status", component = "App Connector" },
  { log_type = "browser_access", severity = "low" },
  { severity = "low" },
  "high",
]
"#;
    let err = parse_toml(text, "t.toml").unwrap_err().to_string();
    for needle in [
        "line 11: entry A_1: a second override for log type app_connector_status; give one per log type",
        "line 11: entry A_1: override for log type browser_access, which log_types does not list",
        "line 11: entry A_1: an override needs a log_type",
        "line 11: entry A_1: an override must be a table of log_type, severity and component, not string",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert_eq!(err.matches("\n  ").count(), 4, "{err}");
}

#[test]
fn json_metadata_problems_carry_the_lines_of_their_items() {
    let text = r#"{
  "catalog_version": "acme-1",
  "entry": [
    {
      "code": "A_1",
      "status": "S",
      "description": "D",
      "severity": "medium",
      "component": "Policy",
      "category": "error",
      "log_types": [
        "user_activity",
        "user_actvity"
      ],
      "overrides": [
        {
          "log_type": "user_activity",
          "severity": "low",
          "severity": "high"
        }
      ],
      "retired": 1
    }
  ]
}"#;
    let err = parse_json(text, "j.json").unwrap_err().to_string();
    for needle in [
        "line 13: entry A_1: unknown log type \"user_actvity\"",
        "did you mean \"user_activity\"?",
        "line 19: entry A_1: \"severity\" is given twice (first at line 18)",
        "line 22: entry A_1: retired must be true or false, not number",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}
