//! The dependency rules of `docs/architecture.md`, read off the library's sources: the pure
//! core imports no runtime, `config` builds on `kafka` and never the reverse, only `vendor_api`
//! makes HTTP requests and it takes no settings, and no two modules import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library's top-level modules and the other top-level modules each one names with
/// `crate::`, from its production code (test modules left out).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).expect("under src");
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let top = parts[0].trim_end_matches(".rs").to_owned();
        // The binary's command line, the crate roots, and test files are not the library.
        if top == "cli" || top == "main" || top == "lib" || is_test_file(&parts) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        let code = text
            .split("\n#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default();
        let deps = graph.entry(top.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                deps.insert(name);
            }
        }
    }
    graph
}

fn is_test_file(parts: &[String]) -> bool {
    parts.last().is_some_and(|f| f == "tests.rs") || parts.iter().any(|p| p == "tests")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out
}

fn sources_of(module: &str) -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let dir = src.join(module);
    let files = if dir.is_dir() {
        rust_files(&dir)
    } else {
        vec![src.join(format!("{module}.rs"))]
    };
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("read source");
            (f, text)
        })
        .collect()
}

#[test]
fn the_pure_core_imports_no_runtime_and_only_pure_modules() {
    let graph = module_graph();
    let pure: BTreeSet<&str> = [
        "catalog",
        "event",
        "enrich",
        "json_members",
        "json_string",
        "line_index",
        "spelling",
        "vocab",
    ]
    .into_iter()
    .collect();
    for module in ["catalog", "event", "enrich"] {
        let deps = graph.get(module).expect("the module exists");
        let impure: Vec<&String> = deps.iter().filter(|d| !pure.contains(d.as_str())).collect();
        assert!(
            impure.is_empty(),
            "the pure core module {module} imports {impure:?}, which are not pure"
        );
        for (file, text) in sources_of(module) {
            for runtime in ["tokio", "rdkafka", "axum", "futures", "prometheus", "ureq"] {
                assert!(
                    !text.contains(&format!("{runtime}::")),
                    "{} (pure core) uses {runtime}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn config_builds_on_kafka_and_never_the_reverse() {
    let graph = module_graph();
    assert!(
        graph["config"].contains("kafka"),
        "config takes the [kafka] settings from kafka: {:?}",
        graph["config"]
    );
    assert!(
        !graph["kafka"].contains("config"),
        "kafka must not import config: {:?}",
        graph["kafka"]
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let graph = module_graph();
    let mut pairs = Vec::new();
    for (a, deps) in &graph {
        for b in deps {
            if a < b && graph.get(b).is_some_and(|back| back.contains(a)) {
                pairs.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(
        pairs.is_empty(),
        "modules that import each other: {pairs:?}"
    );
}

#[test]
fn only_the_pipeline_the_receiver_and_the_service_join_kafka_to_the_enrichment() {
    let graph = module_graph();
    let joins: Vec<&String> = graph
        .iter()
        .filter(|(_, deps)| deps.contains("kafka") && deps.contains("enrich"))
        .map(|(m, _)| m)
        .collect();
    assert!(
        joins
            .iter()
            .all(|m| ["pipeline", "receiver", "service", "config"].contains(&m.as_str())),
        "modules that import both kafka and enrich: {joins:?}"
    );
}

#[test]
fn only_the_vendor_api_makes_http_requests_and_it_takes_no_settings() {
    let graph = module_graph();
    let vendor_api = graph.get("vendor_api").expect("the module exists");
    assert!(
        !vendor_api.contains("config"),
        "vendor_api must not import config (the command hands it its options): {vendor_api:?}"
    );
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).expect("under src");
        if rel.starts_with("vendor_api") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        assert!(
            !text.contains("ureq::"),
            "{} makes HTTP requests; only vendor_api does",
            rel.display()
        );
    }
}
