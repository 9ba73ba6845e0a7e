//! `catalog list | show | export | stats`, user catalogs, and `--check-config` /
//! `--print-config`, through the real binary. The catalog's metadata (aliases, log types,
//! overrides) and `catalog stats` are in [`metadata`].

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use pretty_assertions::assert_eq;
use serde_json::Value;
use zpa_enricher::catalog::Catalog;
use zpa_enricher::catalog::export::CSV_COLUMNS;

use crate::common;

mod metadata;

#[test]
fn csv_export_is_a_complete_lookup_table() {
    let out = common::run(&["catalog", "export", "--format", "csv"], b"");
    assert!(out.status.success());
    let rows = common::parse_csv(&common::stdout(&out));
    let catalog = Catalog::builtin();
    assert_eq!(rows[0], CSV_COLUMNS.map(String::from).to_vec());
    // A row per spelling: each entry, then each of its aliases.
    let spellings: Vec<(&str, &str)> = catalog
        .entries()
        .iter()
        .flat_map(|e| e.spellings().map(move |s| (s, e.code.as_str())))
        .collect();
    assert_eq!(rows.len(), spellings.len() + 1);
    let column = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
    for (row, (spelling, code)) in rows[1..].iter().zip(&spellings) {
        let e = catalog.get(code).unwrap();
        assert_eq!(row.len(), CSV_COLUMNS.len());
        assert_eq!(row[0], *spelling);
        assert_eq!(row[1], e.status);
        assert_eq!(row[2], e.description);
        assert_eq!(row[3], e.severity.as_str());
        assert_eq!(row[4], e.component.as_str());
        assert_eq!(row[5], e.category.as_str());
        assert_eq!(row[7], e.remediation.clone().unwrap_or_default());
        assert_eq!(row[10], catalog.version());
        let log_types: Vec<&str> = e.log_types.iter().map(|t| t.as_str()).collect();
        assert_eq!(row[column("log_types")], log_types.join(";"));
        assert_eq!(row[column("retired")], e.retired.to_string());
        if spelling == code {
            assert_eq!(row[column("aliases")], e.aliases.join(";"));
            assert_eq!(row[column("alias_of")], "");
        } else {
            assert_eq!(row[column("aliases")], "");
            assert_eq!(row[column("alias_of")], *code);
        }
    }
    // The overrides cell of a code with three.
    let row = rows
        .iter()
        .find(|r| r[0] == "ZPN_STATUS_AUTH_FAILED")
        .unwrap();
    assert_eq!(
        row[column("overrides")],
        "app_connector_status:critical:App Connector;\
         private_service_edge_status:critical:Private Service Edge;\
         private_cloud_controller_status:critical:Private Cloud Controller"
    );
}

#[test]
fn json_export_round_trips_to_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.json");
    let out = common::run(
        &[
            "catalog",
            "export",
            "--format",
            "json",
            "--output",
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let arr = v.as_array().unwrap();
    let catalog = Catalog::builtin();
    assert_eq!(arr.len(), catalog.len());
    for (item, e) in arr.iter().zip(catalog.entries()) {
        assert_eq!(item["catalog_version"], catalog.version());
        let mut item = item.clone();
        item.as_object_mut().unwrap().remove("catalog_version");
        let back: zpa_enricher::catalog::CatalogEntry = serde_json::from_value(item).unwrap();
        assert_eq!(&back, e);
    }

    // The export is a catalog file too: loaded alone, it exports the same bytes again.
    let again = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__CATALOG__MODE", "replace")
            .args(["--catalog", path.to_str().unwrap()])
            .args(["catalog", "export", "--format", "json"]),
        b"",
    );
    assert!(again.status.success(), "{}", common::stderr(&again));
    assert!(
        again.stdout == std::fs::read(&path).unwrap(),
        "the exported catalog does not load back as itself"
    );
}

#[test]
fn show_prints_an_entry_and_suggests_on_a_miss() {
    let out = common::run(&["catalog", "show", "app_not_reachable"], b"");
    assert!(out.status.success());
    let text = common::stdout(&out);
    assert!(
        text.contains("code               APP_NOT_REACHABLE"),
        "{text}"
    );
    assert!(text.contains("severity           high"), "{text}");

    let out = common::run(&["catalog", "show", "NOT_REACH"], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(err.contains("\"NOT_REACH\" is not in the catalog"), "{err}");
    assert!(err.contains("APP_NOT_REACHABLE"), "{err}");

    // A misspelling gets the nearest codes; a long list says that it is cut.
    let out = common::run(
        &["catalog", "show", "BRK_MT_SETUP_FAIL_REJECTED_BY_POLCY"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains("did you mean: BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"),
        "{err}"
    );
    let containing = Catalog::builtin()
        .entries()
        .iter()
        .filter(|e| e.code.contains("TIMEOUT"))
        .count();
    assert!(containing > 10, "{containing}");
    let out = common::run(&["catalog", "show", "TIMEOUT"], b"");
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!("and {} more", containing - 10)),
        "{err}"
    );

    let out = common::run(&["catalog", "show", "--json", "close"], b"");
    let v: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert_eq!(v["code"], "close");
    assert_eq!(v["catalog_version"], Catalog::builtin().version());
}

#[test]
fn list_filters_by_severity_and_component() {
    let out = common::run(
        &[
            "catalog",
            "list",
            "--severity",
            "critical",
            "--component",
            "app connector",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    let catalog = Catalog::builtin();
    let expected: Vec<&str> = catalog
        .entries()
        .iter()
        .filter(|e| e.severity.as_str() == "critical" && e.component.as_str() == "App Connector")
        .map(|e| e.code.as_str())
        .collect();
    assert!(!expected.is_empty());
    for code in &expected {
        assert!(text.contains(code), "{code} missing");
    }
    assert!(
        text.contains(&format!("{} of {} entries", expected.len(), catalog.len())),
        "{text}"
    );
}

const USER_CATALOG: &str = r#"
catalog_version = "acme-3"

[[entry]]
code = "BRK_MT_SETUP_FAIL_BRAND_NEW_REASON"
status = "SE: Brand new reason"
description = "A code Zscaler added after this catalog was released; described locally by the SOC."
severity = "high"
component = "Service Edge"
category = "error"

[[entry]]
code = "APP_NOT_REACHABLE"
status = "CA: Application is not reachable"
description = "Our override: the legacy ERP is often down at night; page the on-call app team."
severity = "critical"
component = "Central Authority"
category = "error"
"#;

#[test]
fn a_user_catalog_extends_or_replaces_the_builtin_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.toml");
    std::fs::write(&path, USER_CATALOG).unwrap();
    let input = b"{\"InternalReason\":\"BRK_MT_SETUP_FAIL_BRAND_NEW_REASON\"}\n{\"InternalReason\":\"APP_NOT_REACHABLE\"}\n{\"InternalReason\":\"BRK_MT_TERMINATED\"}\n";

    let out = common::run(
        &[
            "--catalog",
            path.to_str().unwrap(),
            "enrich",
            "--stats",
            "none",
        ],
        input,
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let stdout = common::stdout(&out);
    let v: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let version = format!("{}+acme-3", Catalog::builtin().version());
    assert_eq!(v[0]["enrichment"]["known"], true);
    assert_eq!(v[0]["enrichment"]["severity"], "high");
    assert_eq!(v[1]["enrichment"]["severity"], "critical");
    assert_eq!(v[2]["enrichment"]["known"], true);
    assert_eq!(v[2]["enrichment"]["catalog_version"], version.as_str());

    // The same file in replace mode, set through the environment.
    let out = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__CATALOG__PATH", &path)
            .env("ZPA_ENRICHER__CATALOG__MODE", "replace")
            .args(["enrich", "--stats", "none"]),
        input,
    );
    let stdout = common::stdout(&out);
    let v: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v[2]["enrichment"]["known"], false);
    assert_eq!(v[2]["enrichment"]["catalog_version"], "acme-3");

    // A file without entries may extend (a no-op) but not replace: nothing would be known.
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "catalog_version = \"none\"\n").unwrap();
    let check = |mode: &str| {
        common::run_with(
            common::bin()
                .env("ZPA_ENRICHER__CATALOG__PATH", &empty)
                .env("ZPA_ENRICHER__CATALOG__MODE", mode)
                .arg("--check-config"),
            b"",
        )
    };
    assert!(check("extend").status.success());
    let out = check("replace");
    assert_eq!(out.status.code(), Some(64));
    assert!(
        common::stderr(&out).contains("no entries, and catalog.mode = \"replace\""),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn a_broken_user_catalog_fails_at_start_listing_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    let broken = USER_CATALOG
        .replace("severity = \"high\"", "severity = \"urgent\"")
        .replace("component = \"Central Authority\"", "component = \"CA\"");
    // Drop the last entry's category.
    let broken = broken.trim_end().trim_end_matches("category = \"error\"");
    std::fs::write(&path, broken).unwrap();
    let out = common::run(
        &["--catalog", path.to_str().unwrap(), "--check-config"],
        b"",
    );
    assert_eq!(out.status.code(), Some(64));
    let err = common::stderr(&out);
    assert!(err.contains("3 problem(s)"), "{err}");
    assert!(
        err.contains(
            "line 8: entry BRK_MT_SETUP_FAIL_BRAND_NEW_REASON: unknown severity \"urgent\""
        ),
        "{err}"
    );
    assert!(
        err.contains("line 17: entry APP_NOT_REACHABLE: unknown component \"CA\""),
        "{err}"
    );
    assert!(
        err.contains("line 12: entry APP_NOT_REACHABLE: category is missing"),
        "{err}"
    );
    assert!(err.contains(path.to_str().unwrap()), "{err}");
}

#[test]
fn check_config_reports_every_settings_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[output]\nmode = \"sideways\"\n[enrich]\nmax_depht = 3\n",
    )
    .unwrap();
    let out = common::run_with(
        common::bin().env("ZPA_ENRICHER__LOG__FORMAT", "xml").args([
            "--config",
            cfg.to_str().unwrap(),
            "--check-config",
        ]),
        b"",
    );
    assert_eq!(out.status.code(), Some(64));
    let err = common::stderr(&out);
    assert!(err.contains("3 problem(s)"), "{err}");
    assert!(
        err.contains("output.mode: unknown value \"sideways\""),
        "{err}"
    );
    assert!(err.contains("enrich.max_depht: unknown key"), "{err}");
    assert!(
        err.contains("[from environment variable ZPA_ENRICHER__LOG__FORMAT]"),
        "{err}"
    );

    let ok = common::run(&["--check-config"], b"");
    assert!(ok.status.success());
    assert!(common::stdout(&ok).starts_with("configuration OK: catalog version"));
}

#[test]
fn print_config_shows_the_effective_settings() {
    let out = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__OUTPUT__FIELD", "zpa")
            .args(["--print-config", "--log-format", "json"]),
        b"",
    );
    assert!(out.status.success());
    let v: toml::Table = toml::from_str(&common::stdout(&out)).unwrap();
    assert_eq!(v["output"]["field"].as_str(), Some("zpa"));
    assert_eq!(v["log"]["format"].as_str(), Some("json"));
    assert_eq!(v["enrich"]["max_depth"].as_integer(), Some(64));
}

#[test]
fn commands_that_write_to_discarded_output_succeed() {
    for args in [
        &["catalog", "list"][..],
        &["catalog", "show", "BRK_MT_RESET_FROM_SERVER"],
        &["catalog", "export", "--format", "csv"],
        &["--print-config"],
        &["generate", "-n", "3"],
    ] {
        for redirect in ["> /dev/null", ">&-", "1<>/dev/null"] {
            let out = common::run_redirected(args, redirect);
            assert!(
                out.status.success(),
                "{args:?} {redirect}: {}",
                common::stderr(&out)
            );
        }
    }
}

#[test]
fn write_errors_say_what_was_being_written() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    for args in [
        &["catalog", "list"][..],
        &["catalog", "export", "--format", "json"],
        &["--print-config"],
        &["generate", "-n", "50000"],
    ] {
        let out = common::run_redirected(args, "> /dev/full");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = common::stderr(&out);
        assert!(
            stderr.contains("error: writing standard output: "),
            "{args:?}: {stderr}"
        );
    }
    for args in [
        &["catalog", "export", "--format", "csv", "-o", "/dev/full"][..],
        &["generate", "-n", "50000", "-o", "/dev/full"],
    ] {
        let out = common::run(args, b"");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = common::stderr(&out);
        assert!(
            stderr.contains("error: writing /dev/full: "),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn no_command_is_a_usage_error() {
    let out = common::run(&[], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("--help"));
}

#[test]
fn healthcheck_fails_clearly_when_nothing_answers() {
    // A port that was just free: nothing listens there.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    // The address comes from metrics.addr (here from the environment, as in a container), and
    // a wildcard listen address is reached over loopback.
    let wildcard = format!("0.0.0.0:{}", addr.port());
    let out = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__METRICS__ADDR", &wildcard)
            .args(["healthcheck", "--timeout-ms", "2000"]),
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!("cannot reach 127.0.0.1:{}", addr.port())),
        "{err}"
    );
    // An address without a port is a bad command line.
    let out = common::run(&["healthcheck", "--addr", "127.0.0.1"], b"");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        common::stderr(&out).contains("\"127.0.0.1\" is not HOST:PORT"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn misspelt_settings_variables_are_warned_about_at_start() {
    let out = common::run_with(
        common::bin()
            .args(["--check-config"])
            .env("ZPA_ENRICHER_KAFKA_BROKERS", "kafka:9092")
            .env("ZPA_ENRICHER__SERVICE__STATISTICS_INTERVAL_MS", "2000"),
        b"",
    );
    let err = common::stderr(&out);
    assert!(
        out.status.success(),
        "a variable that is not read is a warning, not an error: {err}"
    );
    assert!(
        err.contains("ZPA_ENRICHER_KAFKA_BROKERS is not read")
            && err.contains("did you mean ZPA_ENRICHER__KAFKA__BROKERS?"),
        "the warning should name the variable and the right spelling: {err}"
    );
    assert!(
        err.contains("service.statistics_interval_ms is deprecated"),
        "a deprecated key should be warned about: {err}"
    );
    // The deprecated key's value is in effect under its new name.
    let out = common::run_with(
        common::bin()
            .args(["--print-config"])
            .env("ZPA_ENRICHER__SERVICE__STATISTICS_INTERVAL_MS", "2000"),
        b"",
    );
    let printed = common::stdout(&out);
    assert!(
        printed.contains("statistics_interval_ms = 2000")
            && !printed.contains("[service]\nstatistics"),
        "{printed}"
    );
}
