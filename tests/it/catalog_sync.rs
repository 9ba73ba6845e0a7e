//! `catalog sync` against a scripted HTTP server on 127.0.0.1 standing in for ZIdentity and the
//! ZPA API, and `catalog diff` on two files, through the real binary.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::{Value, json};
use zpa_enricher::catalog::Catalog;

use crate::common::{self, http::Reply, http::Server};

const CLIENT_ID: &str = "client-7";
const SECRET: &str = "s3cret-of-the-test";
const TOKEN: &str = "token-of-the-test";
const TOKEN_PATH: &str = "/oauth2/v1/token";
const CODES_PATH: &str = "/zpa/mgmtconfig/v2/admin/lssConfig/statusCodes";
/// A code no catalog knows.
const NEW_CODE: &str = "BRK_MT_SETUP_FAIL_SOMETHING_NEW";

/// The vendor's list as the built-in catalog knows it: every entry with a vendor status, with
/// its title, status and error type, so that nothing differs.
fn vendor_list() -> Value {
    let mut codes = serde_json::Map::new();
    for e in Catalog::builtin().entries() {
        if let Some(status) = &e.vendor_status {
            codes.insert(
                e.code.clone(),
                json!({
                    "errorType": e.vendor_error_type.as_deref().unwrap_or("NA"),
                    "name": e.status,
                    "adminAction": "NA",
                    "status": status,
                }),
            );
        }
    }
    json!({ "zpn_trans_log": codes })
}

/// The list with one code more, one reclassified and one no longer listed.
fn changed_vendor_list() -> (Value, &'static str, &'static str) {
    let mut list = vendor_list();
    let codes = list["zpn_trans_log"].as_object_mut().unwrap();
    let reclassified = "AST_MT_SETUP_ERR_OPEN_SERVER_CONN";
    let removed = "AST_MT_SETUP_ERR_HASH_TBL_FULL";
    assert_eq!(
        codes[reclassified]["status"], "Error",
        "the fixture changed"
    );
    codes[reclassified]["status"] = "Info".into();
    assert!(codes.remove(removed).is_some(), "the fixture changed");
    codes.insert(
        NEW_CODE.into(),
        json!({
            "errorType": "ActionableError",
            "name": "SE: Something new went wrong ",
            "adminAction": "Look at the new thing first.",
            "status": "Error",
        }),
    );
    (list, reclassified, removed)
}

fn token_reply() -> Reply {
    Reply::json(
        200,
        json!({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}).to_string(),
    )
}

/// A server that signs in and answers `list`.
fn serving(list: &Value) -> Server {
    let server = Server::start();
    server.route("POST", TOKEN_PATH, vec![token_reply()]);
    server.route("GET", CODES_PATH, vec![Reply::json(200, list.to_string())]);
    server
}

/// `catalog sync` against `server`, with the credentials in the environment, a short backoff,
/// and `args` after the command.
fn sync_cmd(server: &Server, args: &[&str]) -> Command {
    let mut cmd = common::bin();
    cmd.env("ZPA_ENRICHER__CATALOG__SYNC__CLIENT_ID", CLIENT_ID)
        .env("ZPA_ENRICHER__CATALOG__SYNC__CLIENT_SECRET", SECRET)
        .env("ZPA_ENRICHER__CATALOG__SYNC__RETRY_BASE_MS", "10")
        .args(["catalog", "sync"])
        .args(["--api-url", &format!("{}/zpa", server.url())])
        .args(["--token-url", &format!("{}{TOKEN_PATH}", server.url())])
        .args(args);
    cmd
}

fn sync(server: &Server, args: &[&str]) -> Output {
    common::run_with(&mut sync_cmd(server, args), b"")
}

/// Neither the secret nor the token ever shows.
fn assert_no_secret(out: &Output) {
    for text in [common::stdout(out), common::stderr(out)] {
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
    }
}

#[test]
fn the_same_codes_exit_0_after_a_oneapi_sign_in() {
    let server = serving(&vendor_list());
    let out = sync(&server, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(text.starts_with("no differences: catalog "), "{text}");
    assert!(text.contains(CODES_PATH), "{text}");
    assert_no_secret(&out);

    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let token = &requests[0];
    assert_eq!(
        (token.method.as_str(), token.path.as_str()),
        ("POST", TOKEN_PATH)
    );
    assert_eq!(
        token.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form = token.form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], SECRET);
    assert_eq!(form["audience"], "https://api.zscaler.com");
    let codes = &requests[1];
    assert_eq!(
        (codes.method.as_str(), codes.path.as_str()),
        ("GET", CODES_PATH)
    );
    assert_eq!(codes.headers["authorization"], format!("Bearer {TOKEN}"));
    // No tenant id given, none sent.
    assert_eq!(codes.query, "");
}

#[test]
fn a_legacy_api_key_signs_in_at_the_api_and_names_its_tenant() {
    let server = Server::start();
    let legacy_token = json!({"token_type": "Bearer", "access_token": TOKEN, "expires_in": "3600"});
    server.route(
        "POST",
        "/signin",
        vec![Reply::json(200, legacy_token.to_string())],
    );
    server.route(
        "GET",
        "/mgmtconfig/v2/admin/lssConfig/statusCodes",
        vec![Reply::json(200, vendor_list().to_string())],
    );
    let out = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__CATALOG__SYNC__AUTH", "legacy")
            .env("ZPA_ENRICHER__CATALOG__SYNC__CLIENT_ID", CLIENT_ID)
            .env("ZPA_ENRICHER__CATALOG__SYNC__CLIENT_SECRET", SECRET)
            .env(
                "ZPA_ENRICHER__CATALOG__SYNC__CUSTOMER_ID",
                "72057594037927936",
            )
            .args([
                "catalog",
                "sync",
                "--api-url",
                &format!("{}/", server.url()),
            ]),
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].path, "/signin");
    let form = requests[0].form();
    assert_eq!(
        (form["client_id"].as_str(), form["client_secret"].as_str()),
        (CLIENT_ID, SECRET)
    );
    assert!(!form.contains_key("grant_type"), "{form:?}");
    assert_eq!(
        requests[1].headers["authorization"],
        format!("Bearer {TOKEN}")
    );
    assert_eq!(requests[1].query, "customerId=72057594037927936");
    assert_no_secret(&out);
}

#[test]
fn new_changed_and_removed_codes_exit_3_in_text_and_json() {
    let (list, reclassified, removed) = changed_vendor_list();
    let server = serving(&list);

    let out = sync(&server, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    let new_at = text.find("new (1):\n").expect(&text);
    let changed_at = text.find("changed (1):\n").expect(&text);
    let removed_at = text.find("removed (1):\n").expect(&text);
    assert!(new_at < changed_at && changed_at < removed_at, "{text}");
    assert!(
        text.contains(&format!("+ {NEW_CODE}")) && text.contains("SE: Something new went wrong  ["),
        "{text}"
    );
    assert!(text.contains(&format!("~ {reclassified}")), "{text}");
    assert!(
        text.contains("vendor_status: \"Error\" -> \"Info\""),
        "{text}"
    );
    assert!(text.contains(&format!("- {removed}")), "{text}");
    assert!(
        text.contains("1 new, 1 changed, 1 removed: catalog "),
        "{text}"
    );

    let out = sync(&server, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["summary"],
        json!({"new": 1, "changed": 1, "removed": 1})
    );
    let new = &report["new"][0];
    assert_eq!(new["code"], NEW_CODE);
    // The vendor's title without its stray space, its classification, severity by the rule.
    assert_eq!(new["status"], "SE: Something new went wrong");
    assert_eq!(new["vendor_status"], "Error");
    assert_eq!(new["vendor_error_type"], "ActionableError");
    assert_eq!(new["severity"], "medium");
    assert_eq!(new["category"], "error");
    assert_eq!(new["component"], "Service Edge");
    assert_eq!(new["remediation"], "Look at the new thing first.");
    assert_eq!(
        report["changed"][0]["changes"],
        json!([{"field": "vendor_status", "old": "Error", "new": "Info"}])
    );
    assert_eq!(report["removed"][0]["code"], removed);
    assert_no_secret(&out);
}

#[test]
fn titles_can_be_left_out_of_the_comparison() {
    let mut list = vendor_list();
    list["zpn_trans_log"]["APP_NOT_REACHABLE"]["name"] = "CA: Worded otherwise".into();
    let server = serving(&list);
    let out = sync(&server, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out)
            .contains("status: \"CA: Application is not reachable\" -> \"CA: Worded otherwise\"")
    );
    let out = sync(&server, &["--ignore-titles"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout(&out));
}

/// `catalog show CODE --json` with `FILE` as the catalog, parsed.
fn show(file: &Path, code: &str) -> Value {
    let out = common::run(
        &[
            "--catalog",
            file.to_str().unwrap(),
            "catalog",
            "show",
            code,
            "--json",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn write_makes_a_catalog_file_that_later_syncs_add_to() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vendor.toml");
    let (mut list, _, _) = changed_vendor_list();
    let server = serving(&list);
    let out = sync(&server, &["--write", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    assert_no_secret(&out);

    // It loads as the service loads catalog.path (extend mode), and knows the new code.
    let catalog = zpa_enricher::catalog::load::load(Some(&file), false).unwrap();
    assert_eq!(catalog.len(), Catalog::builtin().len() + 1);
    assert!(
        catalog.version().ends_with("+vendor-api.1"),
        "{}",
        catalog.version()
    );
    let entry = show(&file, NEW_CODE);
    assert_eq!(entry["status"], "SE: Something new went wrong");
    assert_eq!(entry["severity"], "medium");
    assert!(
        entry["description"]
            .as_str()
            .unwrap()
            .contains("vendor's LSS status-code API"),
        "{entry}"
    );
    assert_eq!(entry["source"], "vendor_api");
    assert_eq!(entry["log_types"], json!(["user_activity"]));

    // The next sync, with the file as catalog.path: the first code is known now; a second
    // new code is added beside it, and the first one, reclassified, is updated.
    let second = "ZPN_ERR_ANOTHER_NEW_ONE";
    let codes = list["zpn_trans_log"].as_object_mut().unwrap();
    codes.insert(
        second.into(),
        json!({"errorType": "InternalError", "name": "SE: Another", "adminAction": "NA", "status": "Error"}),
    );
    codes[NEW_CODE]["status"] = "PolicyBlock".into();
    let server = serving(&list);
    let out = common::run_with(
        sync_cmd(
            &server,
            &["--write", file.to_str().unwrap(), "--format", "json"],
        )
        .env("ZPA_ENRICHER__CATALOG__PATH", &file),
        b"",
    );
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["new"][0]["code"], second);
    assert!(
        report["changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == NEW_CODE),
        "{report}"
    );
    let catalog = zpa_enricher::catalog::load::load(Some(&file), false).unwrap();
    assert_eq!(catalog.len(), Catalog::builtin().len() + 2);
    assert!(
        catalog.version().ends_with("+vendor-api.2"),
        "{}",
        catalog.version()
    );
    assert_eq!(show(&file, second)["severity"], "high");
    let updated = show(&file, NEW_CODE);
    assert_eq!(updated["vendor_status"], "PolicyBlock");
    assert_eq!(updated["category"], "policy_block");

    // A third sync finds nothing new for the file, which stays as it is.
    let before = std::fs::read(&file).unwrap();
    let out = common::run_with(
        sync_cmd(&server, &["--write", file.to_str().unwrap()])
            .env("ZPA_ENRICHER__CATALOG__PATH", &file),
        b"",
    );
    // The built-in code reclassified and the one removed are still differences, but not the
    // file's to write.
    assert_eq!(out.status.code(), Some(3), "{}", common::stdout(&out));
    let text = common::stdout(&out);
    assert!(text.contains("0 new, 1 changed, 1 removed"), "{text}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn entries_written_by_hand_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.toml");
    let by_hand = format!(
        "catalog_version = \"site-4\"\n\n[[entry]]\ncode = \"{NEW_CODE}\"\nstatus = \"Ours\"\n\
         description = \"Described by us.\"\nseverity = \"low\"\ncomponent = \"Policy\"\n\
         category = \"error\"\n\n[[entry]]\ncode = \"LOCAL_ONLY\"\nstatus = \"Local\"\n\
         description = \"Ours too.\"\nseverity = \"info\"\ncomponent = \"Policy\"\ncategory = \"info\"\n"
    );
    std::fs::write(&file, &by_hand).unwrap();
    let (list, _, _) = changed_vendor_list();
    let server = serving(&list);
    let out = sync(&server, &["--write", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    // Nothing new for the file: the one new code is described there by hand.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), by_hand);
    assert!(
        common::stderr(&out).contains("left as they are"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn refused_credentials_fail_with_the_endpoint_and_status_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vendor.toml");

    let server = Server::start();
    server.route(
        "POST",
        TOKEN_PATH,
        vec![Reply::json(401, r#"{"error":"invalid_client"}"#)],
    );
    let out = sync(&server, &["--write", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!(
            "error: the token endpoint {}{TOKEN_PATH} answered 401 Unauthorized; check catalog.sync.client_id and client_secret",
            server.url()
        )),
        "{err}"
    );
    assert!(err.contains("invalid_client"), "{err}");
    assert_eq!(server.requests().len(), 1, "a refusal is not retried");
    assert!(!file.exists());
    assert_no_secret(&out);

    // A 403 of the status-code endpoint leaves an existing file as it was.
    std::fs::write(&file, "catalog_version = \"mine\"\n").unwrap();
    let server = Server::start();
    server.route("POST", TOKEN_PATH, vec![token_reply()]);
    server.route(
        "GET",
        CODES_PATH,
        vec![Reply::json(403, r#"{"id":"authz.denied"}"#)],
    );
    let out = sync(&server, &["--write", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!(
            "the status-code endpoint {}{CODES_PATH} answered 403 Forbidden; the API client may not read this",
            server.url()
        )),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "catalog_version = \"mine\"\n"
    );
    assert_eq!(server.requests_to(CODES_PATH).len(), 1);
    assert_no_secret(&out);
}

#[test]
fn too_many_requests_waits_as_retry_after_says() {
    let server = Server::start();
    server.route("POST", TOKEN_PATH, vec![token_reply()]);
    server.route(
        "GET",
        CODES_PATH,
        vec![
            Reply::json(429, "{}").header("Retry-After", "1"),
            Reply::json(200, vendor_list().to_string()),
        ],
    );
    let out = sync(&server, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let tries = server.requests_to(CODES_PATH);
    assert_eq!(tries.len(), 2);
    let waited = tries[1].at - tries[0].at;
    // Retry-After (1 s), not the 10 ms backoff.
    assert!(waited.as_millis() >= 1000, "waited only {waited:?}");
}

#[test]
fn server_errors_are_retried_with_backoff_then_given_up() {
    // Two failures, then an answer: the retries carry it.
    let server = Server::start();
    server.route("POST", TOKEN_PATH, vec![token_reply()]);
    server.route(
        "GET",
        CODES_PATH,
        vec![
            Reply::text(503, "busy"),
            Reply::text(502, "bad gateway"),
            Reply::json(200, vendor_list().to_string()),
        ],
    );
    let out = sync(&server, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let tries = server.requests_to(CODES_PATH);
    assert_eq!(tries.len(), 3);
    // The wait doubles: about 10 ms, then about 20 ms.
    assert!(tries[2].at - tries[1].at >= std::time::Duration::from_millis(20));

    // Failing every time: the budget (1 + max_retries attempts) is spent, then a clear failure.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vendor.toml");
    let server = Server::start();
    server.route("POST", TOKEN_PATH, vec![token_reply()]);
    server.route("GET", CODES_PATH, vec![Reply::text(503, "busy")]);
    let out = common::run_with(
        sync_cmd(&server, &["--write", file.to_str().unwrap()])
            .env("ZPA_ENRICHER__CATALOG__SYNC__MAX_RETRIES", "2"),
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!(
            "error: the status-code endpoint {}{CODES_PATH} answered 503 Service Unavailable on every one of 3 attempt(s)",
            server.url()
        )),
        "{err}"
    );
    assert_eq!(server.requests_to(CODES_PATH).len(), 3);
    assert!(!file.exists());
}

#[test]
fn an_endpoint_that_never_answers_times_out() {
    let server = Server::start();
    server.route("POST", TOKEN_PATH, vec![Reply::Silence]);
    let started = Instant::now();
    let out = common::run_with(
        sync_cmd(&server, &[])
            .env("ZPA_ENRICHER__CATALOG__SYNC__TIMEOUT_SECS", "1")
            .env("ZPA_ENRICHER__CATALOG__SYNC__MAX_RETRIES", "1"),
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!(
            "error: the token endpoint {}{TOKEN_PATH} did not answer within 1 s (catalog.sync.timeout_secs) (after 2 attempts)",
            server.url()
        )),
        "{err}"
    );
    assert_eq!(server.requests().len(), 2, "one retry after the timeout");
    // Two waits of the 1 s set, not of the 30 s default: far apart even on a busy machine.
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
    assert_no_secret(&out);
}

#[test]
fn malformed_and_oversized_answers_fail_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vendor.toml");
    for (reply, limit, expected) in [
        (
            Reply::text(200, "<html>please log in</html>"),
            "8388608",
            "sent a response that is not what the API documents: not JSON",
        ),
        (
            Reply::json(200, r#"{"zpn_trans_log": {"A_CODE": {"status": 1}}}"#),
            "8388608",
            "zpn_trans_log.A_CODE.status: expected a string, found a number",
        ),
        (
            Reply::json(200, vendor_list().to_string()),
            "1024",
            "sent more than 1024 bytes (catalog.sync.max_response_bytes)",
        ),
    ] {
        let server = Server::start();
        server.route("POST", TOKEN_PATH, vec![token_reply()]);
        server.route("GET", CODES_PATH, vec![reply]);
        let out = common::run_with(
            sync_cmd(&server, &["--write", file.to_str().unwrap()])
                .env("ZPA_ENRICHER__CATALOG__SYNC__MAX_RESPONSE_BYTES", limit),
            b"",
        );
        assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
        let err = common::stderr(&out);
        assert!(
            err.contains(&format!(
                "the status-code endpoint {}{CODES_PATH} ",
                server.url()
            )),
            "{err}"
        );
        assert!(err.contains(expected), "{err}");
        assert!(!file.exists());
        // A bad answer is not retried.
        assert_eq!(server.requests_to(CODES_PATH).len(), 1);
    }

    // A token answer without a token.
    let server = Server::start();
    server.route(
        "POST",
        TOKEN_PATH,
        vec![Reply::json(200, r#"{"token_type":"Bearer"}"#)],
    );
    let out = sync(&server, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("no access_token"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn bad_settings_exit_64_with_every_problem_and_no_request() {
    let server = serving(&vendor_list());
    // Nothing but a URL: every missing credential is named.
    let out = common::run_with(
        common::bin().args(["catalog", "sync", "--api-url", &server.url()]),
        b"",
    );
    assert_eq!(out.status.code(), Some(64));
    let err = common::stderr(&out);
    for key in ["client_id", "client_secret", "token_url"] {
        assert!(
            err.contains(&format!("catalog.sync.{key}: is not set")),
            "{key}: {err}"
        );
    }
    assert!(err.contains("3 problem(s)"), "{err}");

    // Bad values, from the environment and the flags, all at once.
    let out = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__CATALOG__SYNC__TIMEOUT_SECS", "0")
            .env("ZPA_ENRICHER__CATALOG__SYNC__AUTH", "kerberos")
            .args(["catalog", "sync", "--api-url", &server.url()])
            .args(["--token-url", "zslogin.net/token"]),
        b"",
    );
    assert_eq!(out.status.code(), Some(64));
    let err = common::stderr(&out);
    for needle in [
        "catalog.sync.timeout_secs: 0 is out of range (1 to 600)",
        "catalog.sync.auth: unknown value \"kerberos\", expected one of: oneapi, legacy",
        "catalog.sync.token_url: \"zslogin.net/token\" is not an http:// or https:// URL (like https://example.com/oauth2/v1/token) [from the command line]",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }

    // A --write target that cannot take a catalog.
    let dir = tempfile::tempdir().unwrap();
    for (target, why) in [
        (dir.path().join("vendor.json"), "must end in .toml"),
        (dir.path().join("missing/vendor.toml"), "does not exist"),
    ] {
        let out = sync(&server, &["--write", target.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(64));
        assert!(
            common::stderr(&out).contains(why),
            "{}",
            common::stderr(&out)
        );
    }
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "catalog_version = 3\n").unwrap();
    let out = sync(&server, &["--write", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64));
    assert!(common::stderr(&out).contains("catalog_version must be a string"));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn print_config_never_shows_the_secret() {
    let out = common::run_with(
        common::bin()
            .env("ZPA_ENRICHER__CATALOG__SYNC__CLIENT_SECRET", SECRET)
            .args(["--print-config"]),
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(text.contains("client_secret = \"<redacted>\""), "{text}");
    assert!(!text.contains(SECRET));
}

#[test]
fn diff_compares_two_catalog_files() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let out = common::run(
        &[
            "catalog",
            "export",
            "--format",
            "json",
            "--output",
            old.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let diff = |a: &Path, b: &Path, format: &str| {
        common::run(
            &[
                "catalog",
                "diff",
                a.to_str().unwrap(),
                b.to_str().unwrap(),
                "--format",
                format,
            ],
            b"",
        )
    };
    let same = diff(&old, &old, "text");
    assert_eq!(same.status.code(), Some(0), "{}", common::stderr(&same));
    assert!(common::stdout(&same).starts_with("no differences: "));

    // A TOML file with one entry changed, one dropped and one added.
    let mut entries = Catalog::builtin().entries().to_vec();
    let dropped = entries.remove(1).code;
    let old_severity = entries[0].severity;
    assert_ne!(
        old_severity,
        zpa_enricher::catalog::Severity::Critical,
        "the fixture changed"
    );
    assert!(entries[0].remediation.is_some(), "the fixture changed");
    entries[0].severity = zpa_enricher::catalog::Severity::Critical;
    entries[0].remediation = None;
    let mut added = entries[2].clone();
    added.code = "LOCAL_NEW_CODE".into();
    entries.push(added);
    let new = dir.path().join("new.toml");
    let mut text = "catalog_version = \"site-2\"\n".to_owned();
    for e in &entries {
        text.push('\n');
        text.push_str(&zpa_enricher::catalog::export::toml_entry(e));
    }
    std::fs::write(&new, text).unwrap();

    let out = diff(&old, &new, "json");
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["summary"],
        json!({"new": 1, "changed": 1, "removed": 1})
    );
    assert_eq!(report["new"][0]["code"], "LOCAL_NEW_CODE");
    assert_eq!(report["removed"][0]["code"], dropped.as_str());
    let fields: Vec<&str> = report["changed"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["severity", "remediation"]);
    assert_eq!(report["changed"][0]["changes"][1]["new"], Value::Null);

    let out = diff(&old, &new, "text");
    assert_eq!(out.status.code(), Some(3));
    let text = common::stdout(&out);
    assert!(
        text.contains(&format!("severity: \"{old_severity}\" -> \"critical\"")),
        "{text}"
    );
    assert!(text.contains("remediation: \""), "{text}");
    assert!(text.contains("-> (none)"), "{text}");
    assert!(text.contains("(version site-2)"), "{text}");

    // A file that is not a catalog is bad input (64), named with its problem.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "catalog_version = \"x\"\n[[entry]]\ncode = \"A\"\n").unwrap();
    let out = diff(&old, &bad, "text");
    assert_eq!(out.status.code(), Some(64));
    let err = common::stderr(&out);
    assert!(
        err.contains("bad.toml") && err.contains("status is missing"),
        "{err}"
    );
}
