#!/usr/bin/env python3
"""Checks the Grafana dashboard and the Prometheus rules of zpa-enricher against each other,
against the metrics the binary exports and against the rules' unit tests.

    PYTHONPATH=.tools/python python3 scripts/check_dashboard.py \
        [--dashboard helm/zpa-enricher/files/grafana-dashboard.json] \
        [--rules helm/zpa-enricher/files/prometheus-rules.yml] \
        [--tests 'tests/monitoring/*.test.yml'] \
        [--metrics-source src/metrics] [--promtool promtool]

Rules: every alert has a `promtool test rules` unit test in which it fires (the tests assert
its labels and annotations, so they are not checked here); no exact job names (the job label
differs between the compose stack and Kubernetes).

Dashboard: what Grafana file provisioning of the same file in both deployments needs ("id":
null, a stable uid, no __inputs/__requires or ${DS_...} import placeholders, a `datasource`
variable of type datasource that every panel and query uses), every $variable defined, and
the panels the dashboard must have, with a `code` drill-down. With --promtool, every dashboard
query is parsed by promtool.

Both: every metric name in an expression is exported by the binary (string literals of the
Rust files of src/metrics/, histograms expanded to _bucket/_sum/_count, the process collector's
process_*), is a recording rule of the rules file, or is Prometheus' own (up, ALERTS, ...).

Prints one summary line; exits 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

# The standard process metrics, collected by src/metrics/process.rs (Linux).
PROCESS_METRICS = {
    "process_cpu_seconds_total",
    "process_open_fds",
    "process_max_fds",
    "process_virtual_memory_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_threads",
}

# Series Prometheus makes itself.
PROMETHEUS_METRICS = {
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "ALERTS",
    "ALERTS_FOR_STATE",
}

# Grafana's built-in variables, and what they become when promtool parses a query.
GRAFANA_BUILTINS = {
    "__rate_interval": "5m",
    "__interval": "1m",
    "__interval_ms": "60000",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__from": "0",
    "__to": "0",
    "__dashboard": "x",
    "__org": "x",
    "__user": "x",
}

# What the dashboard must show: a description and the metric names of which at least one must be
# queried by some panel.
REQUIRED_PANELS = [
    ("events by severity and component", {"zpa_enricher_events_total"}),
    ("status text of codes", {"zpa_enricher:code_info:dedup", "zpa_enricher_code_info"}),
    ("unknown codes", {"zpa_enricher_unknown_codes"}),
    ("dead letters", {"zpa_enricher_records_dead_lettered_total", "zpa_enricher:records_dead_lettered:rate5m"}),
    ("consumer lag", {"zpa_enricher_consumer_lag_messages", "zpa_enricher:consumer_lag_messages:sum"}),
    ("records consumed", {"zpa_enricher_records_consumed_total", "zpa_enricher:records_consumed:rate5m"}),
    ("records produced", {"zpa_enricher_records_produced_total"}),
    ("end-to-end latency", {"zpa_enricher_end_to_end_latency_seconds_bucket"}),
    ("processing time", {"zpa_enricher_processing_duration_seconds_bucket"}),
    ("catalog version", {"zpa_enricher_catalog_info"}),
    ("readiness", {"zpa_enricher_ready"}),
    ("paused", {"zpa_enricher_paused"}),
    ("in flight", {"zpa_enricher_in_flight"}),
    # The LSS receiver (`zpa-enricher receive`).
    ("receiver connections", {"zpa_enricher_receive_connections_open"}),
    ("receiver bytes per listener", {"zpa_enricher_receive_bytes_total"}),
    ("receiver records per listener", {"zpa_enricher_receive_records_total", "zpa_enricher:receive_records:rate5m"}),
    ("receiver parse failures", {"zpa_enricher_receive_parse_failures_total", "zpa_enricher:receive_parse_failures:rate5m"}),
    ("receiver TLS failures", {"zpa_enricher_receive_tls_failures_total"}),
    ("receiver produce latency", {"zpa_enricher_receive_produce_duration_seconds_bucket"}),
    ("receiver paused", {"zpa_enricher_receive_paused", "zpa_enricher_receive_paused_seconds_total"}),
    ("receiver silence", {"zpa_enricher_receive_last_record_timestamp_seconds",
                          "zpa_enricher:receive_last_record_timestamp_seconds:max"}),
]

PROMQL_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan", "start", "end",
}

STRING_RE = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
VARIABLE_RE = re.compile(r"\$\{(\w+)(?:[:.][^}]*)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")
GROUPING_RE = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
NUMBER_RE = re.compile(r"(?<![\w:])(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)[a-zA-Z]*")
IDENT_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
METRIC_LITERAL_RE = re.compile(r'"(zpa_enricher_[a-z0-9_]+)"')
HISTOGRAM_RE = re.compile(
    r'(?:\bhistogram\(\s*&?\w+,|\bHistogramOpts::new\()\s*"(zpa_enricher_[a-z0-9_]+)"')
TEMPLATE_METRIC_RE = re.compile(r"\bzpa_enricher[a-zA-Z0-9_:]*")


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")


def variables_in(text: str) -> set[str]:
    """Names of the Grafana variables referenced in `text` ($name, ${name}, ${name:fmt}, [[name]])."""
    names = set()
    for m in VARIABLE_RE.finditer(text):
        name = m.group(1) or m.group(2) or m.group(3)
        if not name.isdigit():  # $1 in label_replace is a regex group, not a variable
            names.add(name)
    return names


def metric_names(expr: str) -> set[str]:
    """Metric names selected by a PromQL expression (Grafana variables allowed)."""
    s = STRING_RE.sub(" ", expr)
    s = VARIABLE_RE.sub(" ", s)
    s = re.sub(r"#[^\n]*", " ", s)
    s = re.sub(r"\{[^{}]*\}", " ", s)
    s = re.sub(r"\[[^\[\]]*\]", " ", s)
    s = GROUPING_RE.sub(" ", s)
    s = NUMBER_RE.sub(" ", s)
    names = set()
    for m in IDENT_RE.finditer(s):
        word = m.group(0)
        if word.lower() in PROMQL_KEYWORDS:
            continue
        if re.match(r"\s*\(", s[m.end():]):  # a function or an aggregation
            continue
        names.add(word)
    return names


def exported_metrics(sources: list[Path]) -> set[str]:
    """The metric names of the Rust files given, or of every Rust file of the directories given
    (the metrics module keeps the service's metrics in mod.rs and others in files beside it)."""
    files = sorted({f for s in sources for f in (s.glob("*.rs") if s.is_dir() else [s])})
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    names = set(METRIC_LITERAL_RE.findall(text))
    if not names:
        raise SystemExit(f"check_dashboard: no metric names found in {', '.join(map(str, sources))}")
    for h in set(HISTOGRAM_RE.findall(text)):
        names.discard(h)
        names |= {f"{h}_bucket", f"{h}_sum", f"{h}_count"}
    process = next((f.parent / "process.rs" for f in files if f.name == "mod.rs"), Path("/nonexistent"))
    if "process::ProcessMetrics" in text and process.exists():
        found = set(re.findall(r'"(process_[a-z_]+)"', process.read_text(encoding="utf-8")))
        if found != PROCESS_METRICS:
            raise SystemExit(
                f"check_dashboard: {process} collects {sorted(found)}, expected {sorted(PROCESS_METRICS)}"
            )
        names |= found
    return names


def tested_alerts(tests: list[Path]) -> set[str]:
    """The alerts that some `promtool test rules` case expects to fire (the files have passed
    `promtool test rules` already)."""
    fired = set()
    for path in tests:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for t in case.get("alert_rule_test") or []:
                if t.get("exp_alerts"):
                    fired.add(t.get("alertname"))
    return fired


def check_rules(path: Path, exported: set[str], tested: set[str],
                problems: Problems) -> tuple[set[str], int, int]:
    """The rules file has passed `promtool check rules` already."""
    groups = yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    rules = [(g["name"], r) for g in groups for r in g.get("rules") or []]
    records = {r["record"] for _, r in rules if "record" in r}
    known = exported | records | PROMETHEUS_METRICS
    alerts = 0
    for group, rule in rules:
        name = rule.get("alert") or rule.get("record") or "?"
        where = f"{path}: group {group}, rule {name}"
        expr = str(rule.get("expr") or "")
        for metric in sorted(metric_names(expr) - known):
            problems.add(where, f"metric {metric} is neither exported by the binary nor a recording rule")
        text = " ".join(str(v) for v in (rule.get("annotations") or {}).values())
        for metric in sorted(set(TEMPLATE_METRIC_RE.findall(text)) - known):
            problems.add(where, f"annotation template queries unknown metric {metric}")
        if re.search(r'\bjob\s*(?:=|!=)\s*"', expr):
            problems.add(where, "matches an exact job name; the job label differs between deployments (use job=~)")
        if "alert" in rule:
            alerts += 1
            if rule["alert"] not in tested:
                problems.add(where, "no promtool unit test expects this alert to fire")
    return records, len(rules), alerts


def walk_panels(panels: list) -> list[dict]:
    """Every panel, those nested in rows included."""
    out = []
    for p in panels:
        out.append(p)
        out.extend(walk_panels(p.get("panels") or []))
    return out


def check_dashboard(path: Path, known: set[str], problems: Problems, promtool: str | None) -> dict:
    raw = path.read_text(encoding="utf-8")
    try:
        d = json.loads(raw)
    except json.JSONDecodeError as e:
        problems.add(str(path), f"not valid JSON: {e}")
        return {}
    where = str(path)

    # What file provisioning needs: the same file is provisioned by the compose stack and by
    # the Helm chart's ConfigMap, each with its own data source.
    if d.get("id", "missing") is not None:
        problems.add(where, '"id" must be present and null (provisioning assigns it)')
    uid = d.get("uid")
    if not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
        problems.add(where, f"uid {uid!r} must be a stable string of 1-40 letters, digits, - or _")
    for key in ("__inputs", "__requires", "__elements"):
        if key in d:
            problems.add(where, f"{key} is an import placeholder that file provisioning does not resolve")
    if "${DS_" in raw:
        problems.add(where, "contains a ${DS_...} import placeholder that file provisioning does not resolve")

    # Template variables.
    variables = (d.get("templating") or {}).get("list") or []
    defined = {v.get("name") for v in variables}
    var_exprs: list[tuple[str, str]] = []
    for v in variables:
        if v.get("type") != "query":
            continue
        vwhere = f"{where}: variable {v.get('name')!r}"
        if v.get("datasource") != DATASOURCE:
            problems.add(vwhere, f"datasource must be {json.dumps(DATASOURCE)}")
        q = v.get("query")
        var_exprs.append((vwhere, q.get("query", "") if isinstance(q, dict) else str(q or "")))
    ds = next((v for v in variables if v.get("name") == "datasource"), None)
    if ds is None or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.add(where, 'needs a variable `datasource` of type "datasource" with query "prometheus"')

    # Panel queries.
    exprs: list[tuple[str, str, str]] = []  # (where, rule name for promtool, expr)
    panels = walk_panels(d.get("panels") or [])
    for p in panels:
        pwhere = f"{where}: panel {p.get('id')!r} ({p.get('title')!r})"
        for var in sorted(variables_in(str(p.get("title", ""))) - defined):
            problems.add(pwhere, f"title uses undefined variable ${var}")
        if p.get("type") == "row":
            continue
        if p.get("datasource") != DATASOURCE:
            problems.add(pwhere, f"datasource must be {json.dumps(DATASOURCE)}, not {json.dumps(p.get('datasource'))}")
        targets = p.get("targets") or []
        if not targets:
            problems.add(pwhere, "no targets")
        for j, t in enumerate(targets):
            twhere = f"{pwhere} target {t.get('refId', j)}"
            if t.get("datasource", DATASOURCE) != DATASOURCE:
                problems.add(twhere, f"datasource must be {json.dumps(DATASOURCE)}")
            if not str(t.get("expr") or "").strip():
                problems.add(twhere, "no expr")
            else:
                exprs.append((twhere, f"dashboard:panel_{p.get('id')}:{j}", t["expr"]))

    # Expressions: variables and metric names.
    used_metrics: set[str] = set()
    for ewhere, expr in var_exprs:
        for var in sorted(variables_in(expr) - defined):
            problems.add(ewhere, f"query uses undefined variable ${var}")
        m = re.fullmatch(r"\s*label_values\(\s*(.*?)\s*,\s*\w+\s*\)\s*", expr)
        inner = m.group(1) if m else expr
        for metric in sorted(metric_names(inner) - known):
            problems.add(ewhere, f"metric {metric} is neither exported by the binary nor a recording rule")
        used_metrics |= metric_names(inner)
    for ewhere, _, expr in exprs:
        for var in sorted(variables_in(expr) - defined - set(GRAFANA_BUILTINS)):
            problems.add(ewhere, f"expr uses undefined variable ${var}")
        names = metric_names(expr)
        used_metrics |= names
        for metric in sorted(names - known):
            problems.add(ewhere, f"metric {metric} is neither exported by the binary nor a recording rule")

    for what, alternatives in REQUIRED_PANELS:
        if not alternatives & used_metrics:
            problems.add(where, f"no panel shows {what} (queries none of {sorted(alternatives)})")
    if "code" not in defined:
        problems.add(where, "no `code` variable for the code drill-down")
    elif not any("code" in variables_in(e) for _, _, e in exprs):
        problems.add(where, "no panel is filtered by the `code` variable")

    if promtool and exprs:
        parse_with_promtool(promtool, exprs, problems)

    return {"panels": len(panels), "queries": len(exprs), "variables": len(defined), "metrics": used_metrics}


def substitute(expr: str) -> str:
    def value(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name.isdigit():
            return m.group(0)
        return GRAFANA_BUILTINS.get(name, "x")
    return VARIABLE_RE.sub(value, expr)


def parse_with_promtool(promtool: str, exprs: list[tuple[str, str, str]], problems: Problems) -> None:
    """Parses every dashboard query with promtool, as recording rules of a scratch rules file."""
    where_by_name = {name: where for where, name, _ in exprs}
    doc = {"groups": [{"name": "dashboard", "rules": [{"record": name, "expr": substitute(expr)}
                                                      for _, name, expr in exprs]}]}
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "dashboard-queries.yml"
        f.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        r = subprocess.run([promtool, "check", "rules", str(f)], capture_output=True, text=True)
    if r.returncode == 0:
        return
    output = (r.stdout + r.stderr).replace(str(f), "dashboard queries")
    reported = False
    for line in output.splitlines():
        m = re.search(r'"(dashboard:panel_[^"]+)"', line)
        if m and m.group(1) in where_by_name:
            problems.add(where_by_name[m.group(1)], f"promtool: {line.strip()}")
            reported = True
    if not reported:
        problems.add("dashboard queries", f"promtool check rules failed: {output.strip()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dashboard", type=Path, default=Path("helm/zpa-enricher/files/grafana-dashboard.json"))
    ap.add_argument("--rules", type=Path, default=Path("helm/zpa-enricher/files/prometheus-rules.yml"))
    ap.add_argument("--tests", type=Path, nargs="+",
                    default=sorted(Path("tests/monitoring").glob("*.test.yml")),
                    help="the rules' promtool unit test files")
    ap.add_argument("--metrics-source", type=Path, nargs="+", default=[Path("src/metrics")],
                    help="Rust sources, or directories of them, that define every exported metric")
    ap.add_argument("--promtool", help="promtool binary: also parse every dashboard query")
    args = ap.parse_args()

    promtool = None
    if args.promtool:
        promtool = shutil.which(args.promtool)
        if not promtool:
            print(f"check_dashboard: {args.promtool} not found", file=sys.stderr)
            return 1

    problems = Problems()
    exported = exported_metrics(args.metrics_source)
    records, n_rules, n_alerts = check_rules(args.rules, exported, tested_alerts(args.tests), problems)
    known = exported | records | PROMETHEUS_METRICS
    summary = check_dashboard(args.dashboard, known, problems, promtool)

    if problems.items:
        for item in problems.items:
            print(f"check_dashboard: error: {item}", file=sys.stderr)
        print(f"check_dashboard: FAILED: {len(problems.items)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"check_dashboard: OK: {args.dashboard}: {summary['panels']} panels, {summary['queries']} queries"
        f"{' (parsed by promtool)' if promtool else ''}, {summary['variables']} variables, "
        f"{len(summary['metrics'])} metric names; {args.rules}: {n_rules} rules ({n_alerts} alerts, each "
        f"unit-tested, {len(records)} recording rule names); all metric names exported by {', '.join(map(str, args.metrics_source))} "
        f"({len(exported)} names) or recorded"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
