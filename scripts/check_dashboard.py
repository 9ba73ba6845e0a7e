#!/usr/bin/env python3
"""Checks the Grafana dashboard and the Prometheus rules of zpa-enricher against each other and
against the metrics the binary exports.

    PYTHONPATH=.tools/python python3 scripts/check_dashboard.py \
        [--dashboard helm/zpa-enricher/files/grafana-dashboard.json] \
        [--rules helm/zpa-enricher/files/prometheus-rules.yml] \
        [--metrics-source src/metrics/mod.rs] [--promtool promtool]

Dashboard: what Grafana file provisioning needs (uid, title, schemaVersion, "id": null, no
__inputs/__requires or ${DS_...} import placeholders, a `datasource` variable of type
datasource), unique panel ids, panels (also those nested in rows) with the datasource variable
and targets with expr and refId, gridPos within 24 columns and without overlaps, every $variable
defined, and the panels the dashboard must have.

Rules: every alert has a severity of critical, warning or info and summary and description
annotations; alerts on status codes name the code, component and status text; no exact job
names.

Both: every metric name in an expression is exported by the binary (string literals of
src/metrics/mod.rs, histograms expanded to _bucket/_sum/_count, the process collector's process_*),
is a recording rule of the rules file, or is Prometheus' own (up, ALERTS, ...). With --promtool,
every dashboard query is also parsed by promtool.

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
GRID_COLUMNS = 24
ALERT_SEVERITIES = {"critical", "warning", "info"}

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
]

# The per-code series: alerts reading them must name code, component and status text.
PER_CODE_METRICS = re.compile(r"zpa_enricher_events_total|zpa_enricher:events:|zpa_enricher:class_events:")

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
HISTOGRAM_RE = re.compile(r'\bhistogram\(\s*&\w+,\s*"(zpa_enricher_[a-z0-9_]+)"')
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


def exported_metrics(source: Path) -> set[str]:
    text = source.read_text(encoding="utf-8")
    names = set(METRIC_LITERAL_RE.findall(text))
    if not names:
        raise SystemExit(f"check_dashboard: no metric names found in {source}")
    for h in set(HISTOGRAM_RE.findall(text)):
        names.discard(h)
        names |= {f"{h}_bucket", f"{h}_sum", f"{h}_count"}
    process = source.parent / "process.rs"
    if "process::ProcessMetrics" in text and process.exists():
        found = set(re.findall(r'"(process_[a-z_]+)"', process.read_text(encoding="utf-8")))
        if found != PROCESS_METRICS:
            raise SystemExit(
                f"check_dashboard: {process} collects {sorted(found)}, expected {sorted(PROCESS_METRICS)}"
            )
        names |= found
    return names


def severity_values(value: str) -> set[str]:
    """The values a severity label can take: itself, or the literal outputs of its template."""
    if "{{" not in value:
        return {value}
    return {part.strip() for part in re.split(r"\{\{.*?\}\}", value) if part.strip()}


def check_rules(path: Path, exported: set[str], problems: Problems) -> tuple[set[str], int, int, int]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        problems.add(str(path), f"not valid YAML: {e}")
        return set(), 0, 0, 0
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list) or not groups:
        problems.add(str(path), "no rule groups (top-level `groups:`)")
        return set(), 0, 0, 0

    rules = [(g.get("name", "?"), r) for g in groups for r in g.get("rules") or []]
    records = {r["record"] for _, r in rules if "record" in r}
    known = exported | records | PROMETHEUS_METRICS
    alerts = 0
    names_checked = 0
    for group, rule in rules:
        name = rule.get("alert") or rule.get("record") or "?"
        where = f"{path}: group {group}, rule {name}"
        expr = rule.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            problems.add(where, "no expr")
            continue
        used = metric_names(expr)
        names_checked += len(used)
        for metric in sorted(used - known):
            problems.add(where, f"metric {metric} is neither exported by the binary nor a recording rule")
        if re.search(r'\bjob\s*(?:=|!=)\s*"', expr):
            problems.add(where, "matches an exact job name; the job label differs between deployments (use job=~)")
        if "alert" not in rule:
            continue
        alerts += 1
        severity = (rule.get("labels") or {}).get("severity")
        if not isinstance(severity, str) or not severity:
            problems.add(where, "no labels.severity")
        elif not severity_values(severity) <= ALERT_SEVERITIES:
            problems.add(where, f"labels.severity {severity!r} is not one of {sorted(ALERT_SEVERITIES)}")
        annotations = rule.get("annotations") or {}
        for key in ("summary", "description"):
            if not str(annotations.get(key) or "").strip():
                problems.add(where, f"no annotations.{key}")
        text = " ".join(str(v) for v in annotations.values())
        for metric in sorted(set(TEMPLATE_METRIC_RE.findall(text)) - known):
            problems.add(where, f"annotation template queries unknown metric {metric}")
        if PER_CODE_METRICS.search(expr):
            for label in ("code", "component", "status"):
                if f"$labels.{label}" not in text:
                    problems.add(where, f"alert on status codes does not name {{{{ $labels.{label} }}}} in its annotations")
            if "code_info" not in expr:
                problems.add(where, "alert on status codes does not join the status text (zpa_enricher:code_info:dedup)")
    return records, len(rules), alerts, names_checked


def walk_panels(panels: list, parent: str = "") -> list[tuple[str, dict]]:
    out = []
    for i, p in enumerate(panels):
        where = f"{parent}panels[{i}]"
        if not isinstance(p, dict):
            out.append((where, {}))
            continue
        label = f"{where} (id {p.get('id')!r}, {p.get('title')!r})"
        out.append((label, p))
        if isinstance(p.get("panels"), list):
            out.extend(walk_panels(p["panels"], f"{label}."))
    return out


def check_dashboard(path: Path, known: set[str], problems: Problems, promtool: str | None) -> dict:
    raw = path.read_text(encoding="utf-8")
    try:
        d = json.loads(raw)
    except json.JSONDecodeError as e:
        problems.add(str(path), f"not valid JSON: {e}")
        return {}
    if not isinstance(d, dict):
        problems.add(str(path), "not a JSON object")
        return {}
    where = str(path)

    if "id" not in d or d["id"] is not None:
        problems.add(where, '"id" must be present and null (provisioning assigns it)')
    uid = d.get("uid")
    if not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
        problems.add(where, f"uid {uid!r} must be a stable string of 1-40 letters, digits, - or _")
    if not isinstance(d.get("title"), str) or not d["title"].strip():
        problems.add(where, "no title")
    if not isinstance(d.get("schemaVersion"), int) or isinstance(d.get("schemaVersion"), bool):
        problems.add(where, "schemaVersion must be an integer")
    for key in ("__inputs", "__requires", "__elements"):
        if key in d:
            problems.add(where, f"{key} is an import placeholder that file provisioning does not resolve")
    if "${DS_" in raw:
        problems.add(where, "contains a ${DS_...} import placeholder that file provisioning does not resolve")

    # Template variables.
    variables = (d.get("templating") or {}).get("list") or []
    defined: set[str] = set()
    var_exprs: list[tuple[str, str]] = []
    for i, v in enumerate(variables):
        vwhere = f"{where}: templating.list[{i}] ({v.get('name')!r})"
        name = v.get("name")
        if not isinstance(name, str) or not name:
            problems.add(vwhere, "no name")
            continue
        if name in defined:
            problems.add(vwhere, "duplicate variable name")
        defined.add(name)
        if v.get("type") == "query":
            if v.get("datasource") != DATASOURCE:
                problems.add(vwhere, f"datasource must be {json.dumps(DATASOURCE)}")
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            if not isinstance(q, str) or not q.strip():
                problems.add(vwhere, "no query")
            else:
                var_exprs.append((vwhere, q))
    ds = next((v for v in variables if v.get("name") == "datasource"), None)
    if ds is None:
        problems.add(where, "no `datasource` template variable")
    elif ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.add(where, 'variable `datasource` must have type "datasource" and query "prometheus"')

    # Panels.
    panels = d.get("panels")
    if not isinstance(panels, list) or not panels:
        problems.add(where, "no panels")
        panels = []
    ids: dict[object, str] = {}
    exprs: list[tuple[str, str, str]] = []  # (where, rule name, expr)
    n_panels = 0
    for pwhere, p in walk_panels(panels):
        pwhere = f"{where}: {pwhere}"
        if not p:
            problems.add(pwhere, "not an object")
            continue
        n_panels += 1
        pid = p.get("id")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid < 1:
            problems.add(pwhere, "id must be a positive integer")
        elif pid in ids:
            problems.add(pwhere, f"id {pid} already used by {ids[pid]}")
        else:
            ids[pid] = pwhere
        if not isinstance(p.get("type"), str) or not p["type"]:
            problems.add(pwhere, "no type")
        if not isinstance(p.get("title"), str) or not p["title"].strip():
            problems.add(pwhere, "no title")
        else:
            for var in sorted(variables_in(p["title"]) - defined):
                problems.add(pwhere, f"title uses undefined variable ${var}")
        g = p.get("gridPos")
        if not isinstance(g, dict) or not all(isinstance(g.get(k), int) for k in ("h", "w", "x", "y")):
            problems.add(pwhere, "gridPos must have integer h, w, x and y")
        elif g["w"] < 1 or g["h"] < 1 or g["x"] < 0 or g["y"] < 0:
            problems.add(pwhere, f"gridPos {g} has a negative position or an empty size")
        elif g["x"] + g["w"] > GRID_COLUMNS:
            problems.add(pwhere, f"gridPos x {g['x']} + w {g['w']} exceeds {GRID_COLUMNS} columns")
        if p.get("type") == "row":
            continue
        if p.get("datasource") != DATASOURCE:
            problems.add(pwhere, f"datasource must be {json.dumps(DATASOURCE)}, not {json.dumps(p.get('datasource'))}")
        targets = p.get("targets")
        if not isinstance(targets, list) or not targets:
            problems.add(pwhere, "no targets")
            continue
        refs = set()
        for j, t in enumerate(targets):
            twhere = f"{pwhere}.targets[{j}]"
            if not isinstance(t, dict):
                problems.add(twhere, "not an object")
                continue
            ref = t.get("refId")
            if not isinstance(ref, str) or not ref:
                problems.add(twhere, "no refId")
            elif ref in refs:
                problems.add(twhere, f"refId {ref} used twice in the panel")
            refs.add(ref)
            if "datasource" in t and t["datasource"] != DATASOURCE:
                problems.add(twhere, f"datasource must be {json.dumps(DATASOURCE)}")
            expr = t.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                problems.add(twhere, "no expr")
                continue
            exprs.append((f"{twhere} (refId {ref})", f"dashboard:panel_{pid}:{ref}", expr))

    # Top-level panels must not overlap (panels of collapsed rows have their own layout).
    boxes = [(f"{where}: panels[{i}] (id {p.get('id')!r}, {p.get('title')!r})", p.get("gridPos"))
             for i, p in enumerate(panels) if isinstance(p, dict) and isinstance(p.get("gridPos"), dict)]
    for i, (wa, a) in enumerate(boxes):
        for wb, b in boxes[i + 1:]:
            try:
                overlap = (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
                           and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])
            except (KeyError, TypeError):
                continue
            if overlap:
                problems.add(wa, f"gridPos overlaps {wb}")

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

    return {"panels": n_panels, "queries": len(exprs), "variables": len(defined), "metrics": used_metrics}


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
    ap.add_argument("--metrics-source", type=Path, default=Path("src/metrics/mod.rs"),
                    help="Rust source that defines every exported metric")
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
    records, n_rules, n_alerts, n_rule_names = check_rules(args.rules, exported, problems)
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
        f"{len(summary['metrics'])} metric names; {args.rules}: {n_rules} rules ({n_alerts} alerts, "
        f"{len(records)} recording rule names); all metric names exported by {args.metrics_source} "
        f"({len(exported)} names) or recorded"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
