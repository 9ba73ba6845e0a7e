use super::*;

fn entry(code: &str) -> CatalogEntry {
    CatalogEntry {
        code: code.into(),
        status: "S".into(),
        description: "D".into(),
        severity: Severity::Low,
        component: Component::AppConnector,
        category: Category::Error,
        cause: Some(Cause::Client),
        remediation: None,
        vendor_status: None,
        vendor_error_type: None,
        aliases: Vec::new(),
        log_types: Vec::new(),
        retired: false,
        source: None,
        overrides: Vec::new(),
    }
}

fn with_aliases(code: &str, aliases: &[&str]) -> CatalogEntry {
    CatalogEntry {
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        ..entry(code)
    }
}

#[test]
fn lookup_is_exact_then_case_insensitive() {
    let c = Catalog::new("1".into(), vec![entry("ABC_DEF"), entry("close")]).unwrap();
    assert_eq!(c.lookup("ABC_DEF").map(EntryId::index), Some(0));
    assert_eq!(c.lookup("abc_def").map(EntryId::index), Some(0));
    assert_eq!(c.lookup("Close").map(EntryId::index), Some(1));
    assert_eq!(c.lookup("CLOSE").map(EntryId::index), Some(1));
    assert_eq!(c.lookup("nope"), None);
    assert_eq!(c.lookup(&"x".repeat(500)), None);
    assert_eq!(c.lookup("é"), None);
}

#[test]
fn duplicate_codes_are_rejected_ignoring_case() {
    let err = Catalog::new("1".into(), vec![entry("A"), entry("B"), entry("a")]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("duplicate code"), "{text}");
    assert!(text.contains("\"A\""), "{text}");
}

#[test]
fn extend_replaces_and_appends() {
    let base = Catalog::new("2026.1".into(), vec![entry("A"), entry("B")]).unwrap();
    let mut b2 = entry("b");
    b2.description = "override".into();
    let merged = base
        .extend(CatalogFile {
            version: "local-3".into(),
            entries: vec![b2, entry("C")],
        })
        .unwrap();
    assert_eq!(merged.version(), "2026.1+local-3");
    assert_eq!(merged.len(), 3);
    assert_eq!(merged.get("B").unwrap().description, "override");
    assert!(merged.get("C").is_some());
}

#[test]
fn an_exported_catalog_loaded_back_keeps_its_version() {
    let base = Catalog::new("2026.1".into(), vec![entry("A")]).unwrap();
    let again = |version: &str| {
        base.extend(CatalogFile {
            version: version.into(),
            entries: vec![entry("A")],
        })
        .unwrap()
        .version()
        .to_owned()
    };
    // The export of the built-in catalog, and of one already extended.
    assert_eq!(again("2026.1"), "2026.1");
    assert_eq!(again("2026.1+site-3"), "2026.1+site-3");
    // A version that only starts alike is another version.
    assert_eq!(again("2026.10"), "2026.1+2026.10");
}

#[test]
fn severity_rule_is_monotonic_in_order() {
    assert!(Severity::Info < Severity::Low);
    assert!(Severity::High < Severity::Critical);
    assert_eq!(Cause::Service.severity(), Severity::High);
    assert_eq!(Cause::Normal.severity(), Severity::Info);
}

#[test]
fn component_guess_follows_prefixes() {
    assert_eq!(
        Component::guess_from_code("AST_MT_NEW"),
        Some(Component::AppConnector)
    );
    assert_eq!(
        Component::guess_from_code("BRK_MT_AUTH_NEW"),
        Some(Component::Authentication)
    );
    assert_eq!(
        Component::guess_from_code("BRK_MT_NEW"),
        Some(Component::ServiceEdge)
    );
    assert_eq!(Component::guess_from_code("WHATEVER"), None);
    // Letter case and leading blanks do not matter, as in lookups.
    assert_eq!(
        Component::guess_from_code(" brk_mt_auth_new"),
        Some(Component::Authentication)
    );
    assert_eq!(
        Component::guess_from_code("Ast_x"),
        Some(Component::AppConnector)
    );
    assert_eq!(Component::guess_from_code("é"), None);
}

#[test]
fn aliases_are_found_exactly_then_ignoring_case() {
    let c = Catalog::new(
        "1".into(),
        vec![entry("A_1"), with_aliases("CFG_DISABLE", &["CFG_DISABLED"])],
    )
    .unwrap();
    for spelling in [
        "CFG_DISABLE",
        "CFG_DISABLED",
        "cfg_disabled",
        "Cfg_Disabled",
    ] {
        assert_eq!(
            c.lookup(spelling).map(EntryId::index),
            Some(1),
            "{spelling}"
        );
    }
    assert_eq!(c.get("cfg_disabled").unwrap().code, "CFG_DISABLE");
    assert_eq!(c.lookup("CFG_DISABLEDX"), None);
}

#[test]
fn a_spelling_shared_by_two_entries_is_rejected_ignoring_case() {
    for (entries, needle) in [
        (
            vec![entry("A"), with_aliases("B", &["a"])],
            "alias \"a\" is a spelling of entry 1 (\"A\") already",
        ),
        (
            vec![with_aliases("B", &["X"]), entry("x")],
            "code \"x\" is a spelling of entry 1 (\"B\") already",
        ),
        (
            vec![with_aliases("B", &["X"]), with_aliases("C", &["X"])],
            "alias \"X\" is a spelling of entry 1 (\"B\") already",
        ),
        (
            vec![with_aliases("B", &["b"])],
            "alias \"b\" is a spelling of this entry already",
        ),
    ] {
        let err = Catalog::new("1".into(), entries).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle:?} missing in {err}");
    }
}

#[test]
fn overrides_apply_to_their_log_type_only() {
    let mut e = entry("ZPN_STATUS_AUTH_FAILED");
    e.severity = Severity::Medium;
    e.component = Component::Authentication;
    e.overrides = vec![
        LogTypeOverride {
            log_type: LogType::AppConnectorStatus,
            severity: Some(Severity::High),
            component: Some(Component::AppConnector),
        },
        LogTypeOverride {
            log_type: LogType::PrivateServiceEdgeStatus,
            severity: None,
            component: Some(Component::PrivateServiceEdge),
        },
    ];
    assert_eq!(e.severity_in(LogType::UserStatus), Severity::Medium);
    assert_eq!(
        e.component_in(LogType::UserStatus),
        Component::Authentication
    );
    assert_eq!(e.severity_in(LogType::AppConnectorStatus), Severity::High);
    assert_eq!(
        e.component_in(LogType::AppConnectorStatus),
        Component::AppConnector
    );
    // An override that sets only the component keeps the entry's severity.
    assert_eq!(
        e.severity_in(LogType::PrivateServiceEdgeStatus),
        Severity::Medium
    );
    assert_eq!(
        e.component_in(LogType::PrivateServiceEdgeStatus),
        Component::PrivateServiceEdge
    );
}

#[test]
fn entry_log_types_name_every_log_type_but_unknown() {
    assert_eq!(ENTRY_LOG_TYPES.len(), LogType::ALL.len() - 1);
    assert!(!ENTRY_LOG_TYPES.contains(&LogType::Unknown));
    assert_eq!(
        entry_log_type("zpn_ast_auth_log"),
        Some(LogType::AppConnectorStatus)
    );
    assert_eq!(
        entry_log_type("App_Connector_Status"),
        Some(LogType::AppConnectorStatus)
    );
    assert_eq!(entry_log_type("unknown"), None);
}

fn overlay(entries: Vec<CatalogEntry>) -> CatalogFile {
    CatalogFile {
        version: "local-1".into(),
        entries,
    }
}

fn codes_and_aliases(c: &Catalog) -> Vec<(String, Vec<String>)> {
    c.entries()
        .iter()
        .map(|e| (e.code.clone(), e.aliases.clone()))
        .collect()
}

fn described(code: &str, description: &str) -> CatalogEntry {
    CatalogEntry {
        description: description.into(),
        ..entry(code)
    }
}

#[test]
fn extend_replaces_an_entry_named_by_its_alias_and_keeps_the_other_spelling() {
    let base = Catalog::new(
        "2026.1".into(),
        vec![
            entry("A"),
            with_aliases("CFG_DISABLE", &["CFG_DISABLED"]),
            entry("B"),
        ],
    )
    .unwrap();
    // An overlay written for the other spelling (as the vendor's API spells it).
    let merged = base
        .extend(overlay(vec![described("cfg_disabled", "override")]))
        .unwrap();
    assert_eq!(merged.len(), 3);
    assert_eq!(
        codes_and_aliases(&merged)[1],
        ("cfg_disabled".to_owned(), vec!["CFG_DISABLE".to_owned()])
    );
    for spelling in ["CFG_DISABLE", "CFG_DISABLED"] {
        assert_eq!(merged.get(spelling).unwrap().description, "override");
    }
    // Written for the code, the entry keeps its alias in place.
    let merged = base
        .extend(overlay(vec![described("CFG_DISABLE", "again")]))
        .unwrap();
    assert_eq!(
        codes_and_aliases(&merged)[1],
        ("CFG_DISABLE".to_owned(), vec!["CFG_DISABLED".to_owned()])
    );
    assert_eq!(merged.get("CFG_DISABLED").unwrap().description, "again");
}

#[test]
fn extend_with_an_alias_of_two_entries_merges_them() {
    let base = Catalog::new(
        "2026.1".into(),
        vec![entry("A"), entry("B"), entry("C"), entry("D")],
    )
    .unwrap();
    // C's code is given as an alias of B: one entry for both, in B's place.
    let merged = base
        .extend(overlay(vec![with_aliases("B", &["C"])]))
        .unwrap();
    assert_eq!(
        codes_and_aliases(&merged),
        [
            ("A".to_owned(), vec![]),
            ("B".to_owned(), vec!["C".to_owned()]),
            ("D".to_owned(), vec![]),
        ]
    );
    assert_eq!(merged.lookup("C").map(EntryId::index), Some(1));
}

#[test]
fn extend_can_split_a_code_from_its_alias() {
    let base = Catalog::new(
        "2026.1".into(),
        vec![with_aliases("X", &["X2", "X3"]), entry("Y")],
    )
    .unwrap();
    // Two overlay entries name the one base entry: the first takes its place and the spelling
    // neither names; the second comes at the end.
    let merged = base
        .extend(overlay(vec![
            described("X", "first"),
            described("X2", "second"),
        ]))
        .unwrap();
    assert_eq!(
        codes_and_aliases(&merged),
        [
            ("X".to_owned(), vec!["X3".to_owned()]),
            ("Y".to_owned(), vec![]),
            ("X2".to_owned(), vec![]),
        ]
    );
    assert_eq!(merged.get("x3").unwrap().description, "first");
    assert_eq!(merged.get("x2").unwrap().description, "second");
}

#[test]
fn extend_keeps_an_exported_catalog_as_it_is() {
    let base = Catalog::new(
        "2026.1".into(),
        vec![entry("A"), with_aliases("B", &["B2"])],
    )
    .unwrap();
    let again = base.extend(overlay(base.entries().to_vec())).unwrap();
    assert_eq!(again.entries(), base.entries());
}
