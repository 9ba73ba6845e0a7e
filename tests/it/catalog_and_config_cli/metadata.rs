//! The catalog's metadata through the real binary: `catalog stats`, `show` by alias,
//! `list --log-type`, a user catalog with every field exported and loaded back, and an overlay
//! that names a built-in entry by its alias.

use pretty_assertions::assert_eq;
use serde_json::Value;
use zpa_enricher::catalog::{Catalog, Component, ENTRY_LOG_TYPES, Severity};
use zpa_enricher::event::LogType;

use crate::common;

/// A catalog of its own with every optional field, in TOML.
const META_CATALOG: &str = r#"catalog_version = "meta-1"

[[entry]]
code = "ZPN_STATUS_AUTH_FAILED"
status = "Authentication Failed"
description = "A sign-in failed."
severity = "medium"
component = "Authentication"
category = "error"
cause = "auth"
aliases = ["ZPN_STATUS_AUTH_FAIL"]
log_types = ["user_status", "zpn_ast_auth_log"]
source = "vendor_api"

[[entry.overrides]]
log_type = "zpn_ast_auth_log"
severity = "critical"
component = "App Connector"

[[entry]]
code = "OLD_REASON"
status = "Old reason"
description = "A code the vendor no longer documents."
severity = "low"
component = "Policy"
category = "policy_block"
retired = true
source = "local"
"#;

fn write_catalog(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `zpa-enricher --catalog PATH` in replace mode, with `args`.
fn run_replacing(path: &str, args: &[&str], stdin: &[u8]) -> std::process::Output {
    common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__CATALOG__MODE", "replace")
            .args(["--catalog", path])
            .args(args),
        stdin,
    )
}

#[test]
fn stats_count_the_builtin_catalog_in_json_with_stable_keys() {
    let out = common::run(&["catalog", "stats", "--format", "json"], b"");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let v: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    let catalog = Catalog::builtin();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "catalog_version",
            "entries",
            "aliases",
            "entries_with_overrides",
            "overrides",
            "severity",
            "category",
            "component",
            "cause",
            "vendor_status",
            "log_type",
            "retired",
            "source",
        ]
    );
    assert_eq!(v["catalog_version"], catalog.version());
    assert_eq!(v["entries"], catalog.len());
    let entries = catalog.entries();
    assert_eq!(
        v["aliases"],
        entries.iter().map(|e| e.aliases.len()).sum::<usize>()
    );
    assert_eq!(
        v["overrides"],
        entries.iter().map(|e| e.overrides.len()).sum::<usize>()
    );
    // Every value of a closed vocabulary is a key, in its order, zeros included.
    let severities: Vec<&str> = v["severity"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        severities,
        Severity::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()
    );
    for s in Severity::ALL {
        let n = entries.iter().filter(|e| e.severity == *s).count();
        assert_eq!(v["severity"][s.as_str()], n, "{s}");
    }
    for c in Component::ALL {
        let n = entries.iter().filter(|e| e.component == *c).count();
        assert_eq!(v["component"][c.as_str()], n, "{c}");
    }
    for t in ENTRY_LOG_TYPES {
        let n = entries.iter().filter(|e| e.log_types.contains(&t)).count();
        assert_eq!(v["log_type"][t.as_str()], n, "{t}");
    }
    let retired = entries.iter().filter(|e| e.retired).count();
    assert_eq!(v["retired"]["true"], retired);
    assert_eq!(v["retired"]["false"], catalog.len() - retired);
    let vendor_errors = entries
        .iter()
        .filter(|e| e.vendor_status.as_deref() == Some("Error"))
        .count();
    assert_eq!(v["vendor_status"]["Error"], vendor_errors);
}

#[test]
fn stats_text_is_an_aligned_table_of_the_active_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_catalog(&dir, "meta.toml", META_CATALOG);
    let out = run_replacing(&path, &["catalog", "stats"], b"");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(
        text.starts_with("catalog version meta-1: 2 entries, 1 alias, 1 override in 1 entry\n"),
        "{text}"
    );
    // Each group is a table: a header, then a row per value whose numbers end in one column.
    let section = |name: &str| -> Vec<&str> {
        text.split("\n\n")
            .find(|s| s.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} table in:\n{text}"))
            .lines()
            .collect()
    };
    let severity = section("severity");
    assert_eq!(
        severity,
        [
            "severity  entries   share",
            "info            0    0.0%",
            "low             1   50.0%",
            "medium          1   50.0%",
            "high            0    0.0%",
            "critical        0    0.0%",
        ]
    );
    let source = section("source");
    assert_eq!(
        source,
        [
            "source      entries   share",
            "vendor_api        1   50.0%",
            "local             1   50.0%",
            "(none)            0    0.0%",
        ]
    );
    let component = section("component");
    let width = component[0].len();
    assert!(component.iter().all(|l| l.len() == width), "{component:#?}");
    assert!(
        section("retired").contains(&"true           1   50.0%"),
        "{text}"
    );
}

#[test]
fn show_finds_an_alias_and_prints_the_metadata() {
    let out = common::run(
        &["catalog", "show", "ast_mt_setup_err_ast_cfg_disabled"],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(
        text.starts_with(
            "AST_MT_SETUP_ERR_AST_CFG_DISABLED is an alias of AST_MT_SETUP_ERR_AST_CFG_DISABLE\n"
        ),
        "{text}"
    );
    for row in [
        "code               AST_MT_SETUP_ERR_AST_CFG_DISABLE",
        "aliases            AST_MT_SETUP_ERR_AST_CFG_DISABLED",
        "log_types          user_activity",
        "retired            false",
    ] {
        assert!(text.contains(row), "{row:?} missing in:\n{text}");
    }

    let out = common::run(&["catalog", "show", "ZPN_STATUS_AUTH_FAILED"], b"");
    let text = common::stdout(&out);
    for row in [
        "log_types          user_status, app_connector_status, private_service_edge_status, private_cloud_controller_status",
        "overrides          in app_connector_status: severity critical, component App Connector",
        "                   in private_service_edge_status: severity critical, component Private Service Edge",
    ] {
        assert!(text.contains(row), "{row:?} missing in:\n{text}");
    }
    assert!(!text.contains("is an alias of"), "{text}");

    let out = common::run(
        &[
            "catalog",
            "show",
            "--json",
            "AST_MT_SETUP_ERR_AST_CFG_DISABLED",
        ],
        b"",
    );
    let v: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert_eq!(v["code"], "AST_MT_SETUP_ERR_AST_CFG_DISABLE");
    assert_eq!(v["found_by_alias"], "AST_MT_SETUP_ERR_AST_CFG_DISABLED");
    let out = common::run(&["catalog", "show", "--json", "EXPTR_FCONN_AUTH_FAIL"], b"");
    let v: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert_eq!(v["retired"], true);
    assert!(v.get("found_by_alias").is_none(), "{v}");
}

#[test]
fn list_by_log_type_shows_the_codes_as_that_log_type_has_them() {
    let list = |args: &[&str]| {
        let mut all = vec!["catalog", "list"];
        all.extend_from_slice(args);
        let out = common::run(&all, b"");
        assert!(out.status.success(), "{}", common::stderr(&out));
        common::stdout(&out)
    };
    // By the enrichment's name or the vendor's: the same three codes, as an App Connector's.
    for name in ["app_connector_status", "zpn_ast_auth_log"] {
        let text = list(&["--log-type", name]);
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .filter(|l| l.starts_with("ZPN_"))
            .map(|l| {
                l.split("  ")
                    .filter(|c| !c.is_empty())
                    .map(str::trim)
                    .collect()
            })
            .collect();
        assert_eq!(
            rows.iter().map(|r| &r[..3]).collect::<Vec<_>>(),
            [
                ["ZPN_STATUS_AUTHENTICATED", "info", "App Connector"],
                ["ZPN_STATUS_AUTH_FAILED", "critical", "App Connector"],
                ["ZPN_STATUS_DISCONNECTED", "low", "App Connector"],
            ],
            "{text}"
        );
        assert!(
            text.contains(&format!("\n3 of {} entries", Catalog::builtin().len())),
            "{text}"
        );
    }
    // Severity and component filters apply to the log type's values.
    let text = list(&[
        "--log-type",
        "app_connector_status",
        "--severity",
        "high",
        "--component",
        "app connector",
    ]);
    assert!(text.contains("ZPN_STATUS_AUTH_FAILED"), "{text}");
    assert!(!text.contains("ZPN_STATUS_DISCONNECTED"), "{text}");
    let text = list(&["--log-type", "user_status", "--component", "App Connector"]);
    assert!(
        text.starts_with("code") && text.contains("\n0 of "),
        "{text}"
    );
    // Browser Access: the EXPTR_ codes.
    let catalog = Catalog::builtin();
    let browser = catalog
        .entries()
        .iter()
        .filter(|e| e.log_types.contains(&LogType::BrowserAccess))
        .count();
    let text = list(&["--log-type", "browser_access"]);
    assert!(
        text.contains(&format!("{browser} of {} entries", catalog.len())),
        "{text}"
    );

    let out = common::run(&["catalog", "list", "--log-type", "connector"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(err.contains("app_connector_status"), "{err}");
}

#[test]
fn a_catalog_with_every_field_exports_and_loads_back_as_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_catalog(&dir, "meta.toml", META_CATALOG);
    let exported = dir.path().join("meta.json");
    let out = run_replacing(
        &path,
        &[
            "catalog",
            "export",
            "--format",
            "json",
            "--output",
            exported.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let bytes = std::fs::read(&exported).unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let first = &v[0];
    assert_eq!(
        first["aliases"],
        serde_json::json!(["ZPN_STATUS_AUTH_FAIL"])
    );
    // Log types are written by the enrichment's names, whichever the file used.
    assert_eq!(
        first["log_types"],
        serde_json::json!(["user_status", "app_connector_status"])
    );
    assert_eq!(first["source"], "vendor_api");
    assert_eq!(first["retired"], false);
    assert_eq!(
        first["overrides"],
        serde_json::json!([{
            "log_type": "app_connector_status",
            "severity": "critical",
            "component": "App Connector"
        }])
    );
    assert_eq!(v[1]["retired"], true);
    assert_eq!(v[1]["source"], "local");

    let again = run_replacing(
        exported.to_str().unwrap(),
        &["catalog", "export", "--format", "json"],
        b"",
    );
    assert!(again.status.success(), "{}", common::stderr(&again));
    assert!(
        again.stdout == bytes,
        "the exported catalog does not load back as itself"
    );

    // The file's override and alias are what the enrichment uses.
    let out = run_replacing(
        &path,
        &["enrich", "--stats", "none"],
        b"{\"Connector\":\"c\",\"SessionStatus\":\"ZPN_STATUS_AUTH_FAIL\"}\n",
    );
    let v: Value = serde_json::from_str(common::stdout(&out).trim()).unwrap();
    assert_eq!(v["enrichment"]["code"], "ZPN_STATUS_AUTH_FAILED");
    assert_eq!(v["enrichment"]["severity"], "critical");
    assert_eq!(v["enrichment"]["component"], "App Connector");
}

#[test]
fn a_user_entry_for_the_alias_spelling_replaces_the_builtin_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_catalog(
        &dir,
        "local.toml",
        r#"catalog_version = "acme-4"

[[entry]]
code = "AST_MT_SETUP_ERR_AST_CFG_DISABLED"
status = "AC: Disabled in Admin Portal"
description = "Our connectors are never disabled on purpose: page the network team."
severity = "critical"
component = "App Connector"
category = "error"
"#,
    );
    let out = common::run(
        &[
            "--catalog",
            &path,
            "catalog",
            "show",
            "--json",
            "AST_MT_SETUP_ERR_AST_CFG_DISABLE",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let v: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    // The file's entry, which keeps the built-in spelling it did not name as an alias.
    assert_eq!(v["code"], "AST_MT_SETUP_ERR_AST_CFG_DISABLED");
    assert_eq!(
        v["aliases"],
        serde_json::json!(["AST_MT_SETUP_ERR_AST_CFG_DISABLE"])
    );
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["found_by_alias"], "AST_MT_SETUP_ERR_AST_CFG_DISABLE");
    // One entry for both spellings, as in the built-in catalog.
    let out = common::run(
        &["--catalog", &path, "catalog", "stats", "--format", "json"],
        b"",
    );
    let stats: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert_eq!(stats["entries"], Catalog::builtin().len());

    // A misspelt log type in such a file is named with the nearest valid one.
    let broken = write_catalog(
        &dir,
        "broken.toml",
        "catalog_version = \"x\"\n\n[[entry]]\ncode = \"A_1\"\nstatus = \"S\"\ndescription = \"D\"\nseverity = \"low\"\ncomponent = \"Policy\"\ncategory = \"error\"\nlog_types = [\"user_actvity\"]\n",
    );
    let out = common::run(&["--catalog", &broken, "--check-config"], b"");
    assert_eq!(out.status.code(), Some(64));
    let err = common::stderr(&out);
    assert!(
        err.contains("line 10: entry A_1: unknown log type \"user_actvity\"")
            && err.contains("did you mean \"user_activity\"?"),
        "{err}"
    );
}
