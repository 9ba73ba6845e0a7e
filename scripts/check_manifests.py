#!/usr/bin/env python3
"""Checks the Helm chart helm/zpa-enricher and what it renders (run by scripts/check_helm.sh).

  check_manifests.py chart --chart DIR --binary BIN
      Chart metadata and values schema against the binary: appVersion is the crate version;
      the settings keys of values.schema.json are exactly the binary's settings keys (from
      --print-config) minus the ones the chart sets itself; every enum value and range bound the
      schema accepts is accepted by the binary.

  check_manifests.py manifests --chart DIR --rendered FILE --binary BIN [--values FILE ...]
      Parses every document rendered by `helm template` and checks it (see check_* below),
      including a run of `zpa-enricher ... --check-config` on the settings exactly as each pod
      (the enricher's, and the LSS receiver's when receiver.enabled) would see them.

Needs PyYAML. The Kubernetes API schemas are checked by kubernetes-validate in check_helm.sh.
Exit status 0 when everything holds, 1 otherwise; every problem is printed.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import yaml

ENV_PREFIX = "ZPA_ENRICHER__"

# Settings the chart sets itself instead of taking them from .Values.config: the metrics address
# (from containerPorts.metrics), files it mounts (catalog override, TLS material) and secrets,
# which come from Secrets through the environment and never sit in a ConfigMap.
CHART_OWNED_SETTINGS = {
    "metrics.addr",
    "catalog.path",
    "kafka.security.ca_file",
    "kafka.security.cert_file",
    "kafka.security.key_file",
    "kafka.security.sasl_password",
    "kafka.security.key_password",
    # The secret of `catalog sync`: the service never reads it and the chart runs no sync, and
    # like every secret it never sits in a ConfigMap (a sync job takes it from a Secret).
    "catalog.sync.client_secret",
    # The receiver's listeners (receiver.listeners) and TLS files (receiver.tls).
    "receive.listen",
    "receive.listeners",
    "receive.tls_cert",
    "receive.tls_key",
    "receive.client_ca",
    "receive.mtls",
}

# Settings that name files the pod must have.
FILE_SETTINGS = [
    ("catalog", "path"),
    ("kafka", "security", "ca_file"),
    ("kafka", "security", "cert_file"),
    ("kafka", "security", "key_file"),
    ("receive", "tls_cert"),
    ("receive", "tls_key"),
    ("receive", "client_ca"),
]

# The workloads of the chart: the enricher always, the LSS receiver with receiver.enabled. Each is
# one Deployment whose container of this name runs this command.
WORKLOADS = {"enricher": ("zpa-enricher", "run"), "receiver": ("receiver", "receive")}

# Standard labels of every resource of the chart.
STANDARD_LABELS = [
    "helm.sh/chart",
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
]

NAMESPACED_KINDS = {
    "ConfigMap", "Secret", "Service", "ServiceAccount", "Deployment", "Pod",
    "PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceMonitor", "PrometheusRule",
    "ScaledObject",
}

# Kinds from CRDs, which the Kubernetes API schemas do not cover.
CRD_KINDS = {
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
    "ScaledObject": "keda.sh/v1alpha1",
}


class Report:
    """Collects problems instead of stopping at the first one."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.problems: list[str] = []
        self.passed = 0
        self.notes: list[str] = []

    def check(self, ok: bool, message: str) -> bool:
        if ok:
            self.passed += 1
        else:
            self.problems.append(message)
        return ok

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def note(self, message: str) -> None:
        self.notes.append(message)

    def finish(self) -> int:
        for n in self.notes:
            print(f"  note: {n}")
        if self.problems:
            print(f"FAIL {self.title}: {len(self.problems)} problem(s), {self.passed} check(s) passed")
            for p in self.problems:
                print(f"  - {p}")
            return 1
        print(f"ok   {self.title}: {self.passed} checks passed")
        return 0


# ------------------------------------------------------------------------------------------------
# Utilities
# ------------------------------------------------------------------------------------------------


def deep_merge(base: Any, override: Any) -> Any:
    """Helm's merge of values files: maps merge recursively, everything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = deep_merge(base.get(k), v) if k in base else v
        return out
    return copy.deepcopy(override)


def dig(data: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def leaf_paths(tree: dict, prefix: str = "") -> set[str]:
    """Dotted paths of the leaves; an empty table (a free-form map) counts as a leaf."""
    out: set[str] = set()
    for k, v in tree.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out |= leaf_paths(v, path + ".")
        else:
            out.add(path)
    return out


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment without any zpa-enricher settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX) and k != "RUST_LOG"}
    env.update(extra or {})
    return env


def run_binary(binary: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=60)


def problem_lines(output: str) -> list[str]:
    """The '  - key: message' lines of a settings error."""
    return [line.strip()[2:] for line in output.splitlines() if line.strip().startswith("- ")]


def labels_match(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def resolve_port(port: Any, container: dict) -> int | None:
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def name_of(doc: dict) -> str:
    return f"{doc.get('kind')}/{dig(doc, 'metadata', 'name', default='?')}"


# ------------------------------------------------------------------------------------------------
# chart: metadata and values schema against the binary
# ------------------------------------------------------------------------------------------------


def schema_settings(node: dict, prefix: str = "") -> dict[str, dict]:
    """Leaf settings of the schema's `config` subtree: dotted path -> schema node."""
    out: dict[str, dict] = {}
    for key, sub in (node.get("properties") or {}).items():
        path = f"{prefix}{key}"
        if sub.get("type") == "object" and "properties" in sub:
            out.update(schema_settings(sub, path + "."))
        else:
            out[path] = sub
    return out


def cmd_chart(args: argparse.Namespace) -> int:
    rep = Report("chart metadata and values schema")
    chart_dir = Path(args.chart)
    root = Path(args.repo)
    chart = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    cargo = tomllib.loads((root / "Cargo.toml").read_text())
    crate_version = cargo["package"]["version"]
    rep.check(chart.get("apiVersion") == "v2", "Chart.yaml: apiVersion must be v2")
    rep.check(
        str(chart.get("appVersion")) == crate_version,
        f"Chart.yaml: appVersion {chart.get('appVersion')!r} is not the crate version {crate_version!r}",
    )

    schema = json.loads((chart_dir / "values.schema.json").read_text())
    # With unknown keys refused, helm lint --strict checks values.yaml against the schema.
    rep.check(schema.get("additionalProperties") is False,
              "values.schema.json: the top level must refuse unknown keys")

    # Every settings key of the binary is either in the schema or set by the chart.
    res = run_binary(args.binary, ["--print-config"], clean_env())
    if not rep.check(res.returncode == 0, f"zpa-enricher --print-config failed: {res.stderr.strip()}"):
        return rep.finish()
    binary_keys = leaf_paths(tomllib.loads(res.stdout))
    config_schema = schema["properties"]["config"]
    settings = schema_settings(config_schema)
    schema_keys = set(settings)
    rep.check(
        CHART_OWNED_SETTINGS <= binary_keys,
        f"settings the chart claims to set but the binary does not have: {sorted(CHART_OWNED_SETTINGS - binary_keys)}",
    )
    # A key the binary no longer prints may still be read under its former name, with a warning:
    # the schema keeps it (so that existing values files go on working) when it says so, and the
    # binary must accept it.
    for key in sorted(schema_keys - binary_keys):
        node = settings[key]
        if "deprecated" not in node.get("description", ""):
            continue
        value = str(node.get("minimum", 1)) if node.get("type") == "integer" else "x"
        var = ENV_PREFIX + "__".join(part.upper() for part in key.split("."))
        res = run_binary(args.binary, ["--check-config"], clean_env({var: value}))
        if rep.check(
            res.returncode == 0 and "deprecated" in res.stderr,
            f"values.schema.json: {key} is marked deprecated, but the binary does not read it "
            f"with a warning ({var}={value}: exit {res.returncode}: {res.stderr.strip()})",
        ):
            binary_keys.add(key)
    unknown = schema_keys - binary_keys
    rep.check(not unknown, f"values.schema.json config keys the binary does not have: {sorted(unknown)}")
    missing = binary_keys - CHART_OWNED_SETTINGS - schema_keys
    rep.check(not missing, f"binary settings missing from values.schema.json config: {sorted(missing)}")
    owned_in_schema = schema_keys & CHART_OWNED_SETTINGS
    rep.check(not owned_in_schema,
              f"values.schema.json lets config set what the chart sets: {sorted(owned_in_schema)}")

    def walk_objects(node: dict, where: str) -> None:
        if node.get("type") == "object" and "properties" in node:
            rep.check(node.get("additionalProperties") is False,
                      f"values.schema.json {where}: known object without additionalProperties: false")
            for k, sub in node["properties"].items():
                walk_objects(sub, f"{where}.{k}")

    walk_objects(config_schema, "config")

    # Every value the schema accepts at its edges must be accepted by the binary.
    edge_cases: list[tuple[str, str]] = []
    for path, node in sorted(settings.items()):
        if path not in binary_keys:
            continue
        for v in node.get("enum", []):
            edge_cases.append((path, str(v)))
        if node.get("type") == "integer":
            for bound in ("minimum", "maximum"):
                if bound in node:
                    edge_cases.append((path, str(node[bound])))
        if node.get("type") == "boolean":
            edge_cases += [(path, "true"), (path, "false")]
    # Only problems reported for the key itself count. A value may be fine on its own and still
    # need another setting, which the context gives: catalog.path names the shipped catalog, so
    # that mode "replace" has a file, and SASL credentials are set, which protocol sasl_ssl
    # needs (with other protocols they are reported under their own keys, not counted here).
    context = {
        ENV_PREFIX + "CATALOG__PATH": str((root / "config" / "catalog.toml").resolve()),
        ENV_PREFIX + "KAFKA__SECURITY__SASL_USERNAME": "user",
        ENV_PREFIX + "KAFKA__SECURITY__SASL_PASSWORD": "password",
    }
    for path, value in edge_cases:
        var = ENV_PREFIX + "__".join(part.upper() for part in path.split("."))
        res = run_binary(args.binary, ["--check-config"], clean_env({**context, var: value}))
        problems = problem_lines(res.stderr + res.stdout)
        about_key = [p for p in problems if p.startswith(path + ":")]
        rep.check(not about_key,
                  f"schema accepts {path} = {value!r} but the binary refuses it: {about_key}")
        rep.check(res.returncode == 0 or bool(problems),
                  f"{var}={value}: the binary failed without a list of problems: {res.stderr.strip()}")
    rep.note(f"{len(schema_keys)} settings keys in the schema, {len(CHART_OWNED_SETTINGS)} set by the "
             f"chart, {len(edge_cases)} schema enum values and bounds tried on the binary")
    return rep.finish()


# ------------------------------------------------------------------------------------------------
# manifests: what `helm template` rendered
# ------------------------------------------------------------------------------------------------


class Render:
    def __init__(self, docs: list[dict], values: dict, chart_dir: Path) -> None:
        self.docs = docs
        self.values = values
        self.chart_dir = chart_dir

    def of_kind(self, kind: str) -> list[dict]:
        return [d for d in self.docs if d.get("kind") == kind]

    def configmaps(self) -> dict[str, dict]:
        return {d["metadata"]["name"]: d for d in self.of_kind("ConfigMap")}

    def is_hook(self, doc: dict) -> bool:
        return "helm.sh/hook" in (dig(doc, "metadata", "annotations") or {})


def check_common(r: Render, rep: Report, namespace: str) -> None:
    """Standard labels and namespaces. Names, kinds and fields are checked by helm lint --strict
    and kubernetes-validate --strict (scripts/check_helm.sh); the CRD kinds they have no schema
    for must at least have the apiVersion their operators serve."""
    seen: set[tuple] = set()
    for doc in r.docs:
        where = name_of(doc)
        key = (doc.get("kind"), dig(doc, "metadata", "namespace"), dig(doc, "metadata", "name"))
        rep.check(key not in seen, f"{where}: rendered twice")
        seen.add(key)
        labels = dig(doc, "metadata", "labels") or {}
        for label in STANDARD_LABELS:
            if r.is_hook(doc) and label == "app.kubernetes.io/version":
                continue
            rep.check(bool(labels.get(label)), f"{where}: label {label} missing")
        rep.check(labels.get("app.kubernetes.io/managed-by") == "Helm",
                  f"{where}: app.kubernetes.io/managed-by is not Helm")
        for k, v in labels.items():
            rep.check(isinstance(v, str) and len(v) <= 63,
                      f"{where}: label {k} = {v!r} is not a string of at most 63 characters")
        for kind, api in CRD_KINDS.items():
            if doc.get("kind") == kind:
                rep.check(doc.get("apiVersion") == api, f"{where}: apiVersion should be {api}")
    dashboard_ns = r.values["grafanaDashboard"].get("namespace") or namespace
    for d in r.docs:
        if d.get("kind") not in NAMESPACED_KINDS:
            continue
        dashboard = d.get("kind") == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard")
        want = dashboard_ns if dashboard else namespace
        rep.check(dig(d, "metadata", "namespace") == want, f"{name_of(d)}: namespace is not {want}")


def check_security(container: dict, pod_sc: dict, where: str, rep: Report) -> None:
    sc = container.get("securityContext") or {}

    def eff(key: str) -> Any:
        return sc.get(key, pod_sc.get(key))

    rep.check(eff("runAsNonRoot") is True, f"{where}: runAsNonRoot must be true")
    rep.check(eff("runAsUser") != 0, f"{where}: runAsUser must not be 0")
    rep.check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem must be true")
    rep.check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation must be false")
    rep.check(sc.get("privileged") is not True, f"{where}: must not be privileged")
    rep.check("ALL" in (dig(sc, "capabilities", "drop") or []), f"{where}: capabilities must drop ALL")
    rep.check(not dig(sc, "capabilities", "add"), f"{where}: must not add capabilities")


def check_pod_volumes(pod: dict, where: str, r: Render, rep: Report) -> None:
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    rep.check(len(volumes) == len(pod.get("volumes") or []), f"{where}: duplicate volume names")
    configmaps = r.configmaps()
    external_cms = {r.values["catalogOverride"].get("existingConfigMap")} - {""}
    external_secrets = {r.values["kafka"]["tls"].get("existingSecret")} - {""}
    receiver_tls = dig(r.values, "receiver", "tls") or {}
    external_secrets |= {receiver_tls.get("existingSecret"), receiver_tls.get("clientCaSecret")} - {"", None}
    for v in r.values.get("extraVolumes") or []:
        if "configMap" in v:
            external_cms.add(v["configMap"].get("name"))
        if "secret" in v:
            external_secrets.add(v["secret"].get("secretName"))
    for c in pod.get("containers") or []:
        paths = [m.get("mountPath") for m in c.get("volumeMounts") or []]
        rep.check(len(paths) == len(set(paths)), f"{where}/{c['name']}: duplicate mountPath")
        for m in c.get("volumeMounts") or []:
            rep.check(m.get("name") in volumes, f"{where}/{c['name']}: volumeMount {m.get('name')} has no volume")
    for name, v in volumes.items():
        if "configMap" in v:
            cm = v["configMap"]["name"]
            if cm in configmaps:
                data = configmaps[cm].get("data") or {}
                for item in v["configMap"].get("items") or []:
                    rep.check(item["key"] in data,
                              f"{where}: volume {name} uses key {item['key']} that ConfigMap {cm} does not have")
            else:
                rep.check(cm in external_cms,
                          f"{where}: volume {name} references ConfigMap {cm}, which is neither rendered nor "
                          f"named in the values as an existing one")
        if "secret" in v:
            secret = v["secret"]["secretName"]
            rep.check(secret in external_secrets,
                      f"{where}: volume {name} references Secret {secret}, which is not named in the values")
            if secret == r.values["kafka"]["tls"].get("existingSecret"):
                rep.check(bool(v["secret"].get("items")),
                          f"{where}: volume {name} should list the Secret keys it needs")
        for source in dig(v, "projected", "sources", default=[]):
            if "secret" in source:
                secret = source["secret"].get("name")
                rep.check(secret in external_secrets,
                          f"{where}: volume {name} projects Secret {secret}, which is not named in the values")
                rep.check(bool(source["secret"].get("items")),
                          f"{where}: volume {name} should list the keys it needs of Secret {secret}")


def workload_container(d: dict, workload: str) -> dict | None:
    container, _ = WORKLOADS[workload]
    return next((c for c in dig(d, "spec", "template", "spec", "containers", default=[])
                 if c.get("name") == container), None)


def find_workloads(r: Render, rep: Report) -> dict[str, dict]:
    """The Deployment of each workload, told apart by its container; exactly the workloads the
    values switch on."""
    found: dict[str, dict] = {}
    for d in r.of_kind("Deployment"):
        kinds = [w for w in WORKLOADS if workload_container(d, w) is not None]
        if not rep.check(len(kinds) == 1, f"{name_of(d)}: neither the enricher's nor the receiver's Deployment"):
            continue
        rep.check(kinds[0] not in found, f"{name_of(d)}: a second {kinds[0]} Deployment")
        found[kinds[0]] = d
    wanted = {"enricher"} | ({"receiver"} if dig(r.values, "receiver", "enabled") else set())
    rep.check(set(found) == wanted, f"Deployments of {sorted(found)}, expected {sorted(wanted)}")
    return found


def check_deployment(r: Render, rep: Report, d: dict, workload: str) -> dict | None:
    container, command = WORKLOADS[workload]
    where = name_of(d)
    spec = d["spec"]
    pod_meta = spec["template"]["metadata"]
    pod = spec["template"]["spec"]
    pod_labels = pod_meta.get("labels") or {}
    rep.check(labels_match(dig(spec, "selector", "matchLabels") or {}, pod_labels),
              f"{where}: selector.matchLabels do not match the pod labels")
    autoscaled = workload == "enricher" and bool(r.of_kind("HorizontalPodAutoscaler") or r.of_kind("ScaledObject"))
    rep.check(("replicas" in spec) != autoscaled,
              f"{where}: replicas must be set exactly when no autoscaler manages the Deployment")
    annotations = pod_meta.get("annotations") or {}
    rep.check(bool(re.fullmatch(r"[0-9a-f]{64}", str(annotations.get("checksum/config", "")))),
              f"{where}: pod annotation checksum/config (sha256 of the settings) missing")
    others = [a for a in annotations if a.startswith("checksum/") and a != "checksum/config"]
    rep.check(not others, f"{where}: only the settings may roll the pods (the catalog and certificates are "
                          f"reloaded in place): {others}")
    main = workload_container(d, workload)
    if not rep.check(main is not None, f"{where}: container {container} missing"):
        return None
    cw = f"{where}/{container}"
    rep.check(bool(main.get("image")), f"{cw}: image missing")
    args = main.get("args") or []
    rep.check(args[:1] == [command], f"{cw}: args must start with the {command} command, got {args}")
    rep.check("--config" in args, f"{cw}: settings file not passed with --config")
    rep.check(not main.get("command"), f"{cw}: must keep the image's entrypoint (no command)")
    metrics_port = resolve_port("metrics", main)
    rep.check(metrics_port is not None, f"{cw}: no container port named metrics")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        http = dig(main, probe, "httpGet")
        if rep.check(bool(http), f"{cw}: {probe} must be an httpGet probe"):
            rep.check(http.get("path") == path, f"{cw}: {probe} must ask {path}, not {http.get('path')}")
            rep.check(resolve_port(http.get("port"), main) == metrics_port,
                      f"{cw}: {probe} port {http.get('port')} is not the metrics port")
    res = main.get("resources") or {}
    for key in ("requests.cpu", "requests.memory", "limits.memory"):
        rep.check(bool(dig(res, *key.split("."))), f"{cw}: resources.{key} missing")
    pod_sc = pod.get("securityContext") or {}
    check_security(main, pod_sc, cw, rep)
    rep.check(pod.get("automountServiceAccountToken") is False,
              f"{where}: the service needs no Kubernetes API token (automountServiceAccountToken false)")
    sa = pod.get("serviceAccountName")
    if r.values["serviceAccount"]["create"]:
        rep.check(sa in {x["metadata"]["name"] for x in r.of_kind("ServiceAccount")},
                  f"{where}: serviceAccountName {sa} is not the rendered ServiceAccount")
    check_pod_volumes(pod, where, r, rep)
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    for m in main.get("volumeMounts") or []:
        vol = volumes.get(m["name"], {})
        if "configMap" in vol or "secret" in vol:
            rep.check("subPath" not in m and "subPathExpr" not in m,
                      f"{cw}: mount {m['name']} uses subPath, which never sees ConfigMap or Secret updates")
            rep.check(m.get("readOnly") is True, f"{cw}: mount {m['name']} should be readOnly")
    env_names = [e["name"] for e in main.get("env") or []]
    rep.check(len(env_names) == len(set(env_names)), f"{cw}: duplicate environment variables")
    secrets = {r.values["kafka"]["sasl"].get("existingSecret"), r.values["kafka"]["tls"].get("existingSecret")}
    if workload == "receiver":
        ports = [p for p in main.get("ports") or [] if p.get("name") != "metrics"]
        rep.check(bool(ports), f"{cw}: no listener port")
        for port in ports:
            rep.check(re.fullmatch(r"lss-[0-9]+", str(port.get("name"))) is not None
                      and port.get("name") == f"lss-{port.get('containerPort')}",
                      f"{cw}: listener port {port} is not named lss-<port>")
            rep.check(int(port.get("containerPort", 0)) >= 1024,
                      f"{cw}: listener port {port.get('containerPort')} needs a privilege the pod does not have")
    for e in main.get("env") or []:
        ref = dig(e, "valueFrom", "secretKeyRef")
        if ref:
            rep.check(ref.get("name") in secrets, f"{cw}: env {e['name']} reads Secret {ref.get('name')} not named in the values")
        if "password" in e["name"].lower():
            rep.check("value" not in e, f"{cw}: env {e['name']} holds a password in plain text")
    return d


def check_selectors(r: Render, rep: Report, workloads: dict[str, dict]) -> None:
    """Every Service and PodDisruptionBudget selects the pods of exactly one workload and no other
    pod; the enricher has its metrics Service, the receiver its listeners' Service and its metrics
    Service; every ServiceMonitor selects Services with the port it scrapes."""
    pods = {w: dig(d, "spec", "template", "metadata", "labels") or {} for w, d in workloads.items()}
    other_pods = [d for d in r.of_kind("Pod")]
    services = r.of_kind("Service")
    by_workload: dict[str, list[dict]] = {w: [] for w in workloads}

    for svc in services:
        w = name_of(svc)
        sel = dig(svc, "spec", "selector") or {}
        matched = [name for name, labels in pods.items() if labels_match(sel, labels)]
        if not rep.check(len(matched) == 1, f"{w}: selector {sel} matches the pods of {matched or 'no workload'}"):
            continue
        by_workload[matched[0]].append(svc)
        for p in other_pods:
            rep.check(not labels_match(sel, dig(p, "metadata", "labels") or {}),
                      f"{w}: selector also matches {name_of(p)}")
        main = workload_container(workloads[matched[0]], matched[0])
        for port in dig(svc, "spec", "ports") or []:
            rep.check(resolve_port(port.get("targetPort"), main) is not None,
                      f"{w}: targetPort {port.get('targetPort')} is not a port of the {matched[0]} container")
        metrics = [p for p in dig(svc, "spec", "ports") or [] if p.get("name") == "metrics"]
        for m in metrics:
            rep.check(resolve_port(m.get("targetPort"), main) == resolve_port("metrics", main),
                      f"{w}: targetPort {m.get('targetPort')} is not the container's metrics port")

    for workload, svcs in by_workload.items():
        with_metrics = [s for s in svcs if any(p.get("name") == "metrics" for p in dig(s, "spec", "ports") or [])]
        rep.check(len(with_metrics) == 1,
                  f"the {workload} should have one Service with a port named metrics, has {len(with_metrics)}")
        if workload == "enricher":
            rep.check(len(svcs) == 1, f"the enricher should have one Service, has {len(svcs)}")
        if workload == "receiver":
            main = workload_container(workloads[workload], workload)
            listener_ports = {p["name"] for p in main.get("ports") or [] if p.get("name") != "metrics"}
            lss = [s for s in svcs if s not in with_metrics]
            if rep.check(len(lss) == 1, f"the receiver should have one Service for its listeners, has {len(lss)}"):
                svc = lss[0]
                w = name_of(svc)
                targets = {p.get("targetPort") for p in dig(svc, "spec", "ports") or []}
                rep.check(targets == listener_ports,
                          f"{w}: exposes {sorted(map(str, targets))}, the listeners are {sorted(listener_ports)}")
                rep.check(dig(svc, "spec", "publishNotReadyAddresses") is not True,
                          f"{w}: must not send App Connectors to receivers that are not ready")
                policy = dig(svc, "spec", "externalTrafficPolicy")
                if policy is not None:
                    rep.check(dig(svc, "spec", "type") in ("LoadBalancer", "NodePort"),
                              f"{w}: externalTrafficPolicy on a {dig(svc, 'spec', 'type')} Service")
            for s in with_metrics:
                rep.check(dig(s, "spec", "type", default="ClusterIP") == "ClusterIP",
                          f"{name_of(s)}: the receiver's metrics must stay inside the cluster (ClusterIP)")

    for sm in r.of_kind("ServiceMonitor"):
        w = name_of(sm)
        sel = dig(sm, "spec", "selector", "matchLabels") or {}
        selected = [s for s in services if labels_match(sel, dig(s, "metadata", "labels") or {})]
        endpoints = dig(sm, "spec", "endpoints") or []
        rep.check(bool(endpoints), f"{w}: no endpoints")
        scraped = [s for s in selected
                   if {ep.get("port") for ep in endpoints} & {p.get("name") for p in dig(s, "spec", "ports") or []}]
        rep.check(len(scraped) == 1, f"{w}: scrapes {[name_of(s) for s in scraped]}, expected exactly one Service")
        names = dig(sm, "spec", "namespaceSelector", "matchNames") or []
        for svc in scraped:
            rep.check(dig(svc, "metadata", "namespace") in names or dig(sm, "spec", "namespaceSelector", "any"),
                      f"{w}: namespaceSelector does not include the Service's namespace")
            job_label = dig(sm, "spec", "jobLabel")
            if job_label:
                rep.check(job_label in (dig(svc, "metadata", "labels") or {}),
                          f"{w}: jobLabel {job_label} is not a label of {name_of(svc)}")
        for ep in endpoints:
            rep.check(any(ep.get("port") in {p.get("name") for p in dig(s, "spec", "ports") or []} for s in selected),
                      f"{w}: endpoint port {ep.get('port')} is not a port name of the Services it selects")
            rep.check(ep.get("path", "/metrics") == "/metrics", f"{w}: endpoint path must be /metrics")
    monitored = {name_of(s) for sm in r.of_kind("ServiceMonitor") for s in services
                 if labels_match(dig(sm, "spec", "selector", "matchLabels") or {}, dig(s, "metadata", "labels") or {})}
    if r.of_kind("ServiceMonitor"):
        for workload, svcs in by_workload.items():
            rep.check(any(name_of(s) in monitored for s in svcs), f"no ServiceMonitor scrapes the {workload}")

    for pdb in r.of_kind("PodDisruptionBudget"):
        w = name_of(pdb)
        sel = dig(pdb, "spec", "selector", "matchLabels") or {}
        matched = [name for name, labels in pods.items() if labels_match(sel, labels)]
        rep.check(len(matched) == 1, f"{w}: selector {sel} matches the pods of {matched or 'no workload'}")
        for p in other_pods:
            rep.check(not labels_match(sel, dig(p, "metadata", "labels") or {}), f"{w}: selector also matches {name_of(p)}")
        rep.check(("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"]),
                  f"{w}: set exactly one of minAvailable and maxUnavailable")

    for p in other_pods:
        w = name_of(p)
        for c in dig(p, "spec", "containers") or []:
            check_security(c, dig(p, "spec", "securityContext") or {}, f"{w}/{c['name']}", rep)
            rep.check(bool(dig(c, "resources", "limits", "memory")), f"{w}/{c['name']}: resources.limits.memory missing")


def template_actions(data: Any) -> set[str]:
    """Every {{ ... }} in the strings of a parsed document."""
    out: set[str] = set()
    if isinstance(data, dict):
        for v in data.values():
            out |= template_actions(v)
    elif isinstance(data, list):
        for v in data:
            out |= template_actions(v)
    elif isinstance(data, str):
        out |= set(re.findall(r"\{\{.*?\}\}", data, flags=re.S))
    return out


JOB_MATCHER = re.compile(r'\bjob\s*(=~|!~|!=|=)\s*\\?"((?:[^"\\]|\\.)*?)\\?"')


def job_matchers(text: str) -> set[tuple[str, str]]:
    """The job="..." / job=~"..." matchers of PromQL expressions in `text` (dashboard variables
    such as $job left out)."""
    return {(op, value) for op, value in JOB_MATCHER.findall(text) if "$" not in value}


def check_job_label(r: Render, rep: Report) -> None:
    """The job label each ServiceMonitor gives its targets satisfies every job matcher of the
    alerting rules and of the dashboard, so that they see this release."""
    sources = {
        "files/prometheus-rules.yml": (r.chart_dir / "files" / "prometheus-rules.yml").read_text(),
        "files/grafana-dashboard.json": (r.chart_dir / "files" / "grafana-dashboard.json").read_text(),
    }
    for sm in r.of_kind("ServiceMonitor"):
        sel = dig(sm, "spec", "selector", "matchLabels") or {}
        ports = {ep.get("port") for ep in dig(sm, "spec", "endpoints") or []}
        for svc in r.of_kind("Service"):
            if not labels_match(sel, dig(svc, "metadata", "labels") or {}):
                continue
            if not ports & {p.get("name") for p in dig(svc, "spec", "ports") or []}:
                continue
            job_label = dig(sm, "spec", "jobLabel")
            job = (dig(svc, "metadata", "labels") or {}).get(job_label) if job_label else svc["metadata"]["name"]
            for source, text in sources.items():
                for op, value in sorted(job_matchers(text)):
                    pattern = value.replace("\\\\", "\\")
                    matches = (job == value) if op in ("=", "!=") else bool(re.fullmatch(pattern, job or ""))
                    if op in ("!=", "!~"):
                        matches = not matches
                    rep.check(matches, f"{name_of(sm)} gives {name_of(svc)} job={job!r}, which {source}'s matcher "
                                       f"job{op}\"{value}\" does not select")


def check_monitoring(r: Render, rep: Report) -> None:
    for rule in r.of_kind("PrometheusRule"):
        w = name_of(rule)
        source = r.chart_dir / "files" / "prometheus-rules.yml"
        expected = yaml.safe_load(source.read_text())
        rep.check(set(rule.get("spec") or {}) == {"groups"}, f"{w}: spec must hold the rule groups only")
        rep.check(dig(rule, "spec", "groups") == expected.get("groups"),
                  f"{w}: spec.groups differ from files/prometheus-rules.yml")
        # Alert templates ({{ $labels.x }}, {{ $value }}) must reach Prometheus as written, not be
        # taken for Helm template actions.
        want, got = template_actions(expected), template_actions(dig(rule, "spec") or {})
        rep.check(want == got,
                  f"{w}: alert templates changed on the way through Helm: "
                  f"missing {sorted(want - got)[:5]}, unexpected {sorted(got - want)[:5]}")
    check_job_label(r, rep)
    for cm in r.of_kind("ConfigMap"):
        labels = dig(cm, "metadata", "labels") or {}
        gd = r.values["grafanaDashboard"]
        if cm["metadata"]["name"].endswith("-dashboard"):
            w = name_of(cm)
            rep.check(labels.get(gd["label"]) == str(gd["labelValue"]),
                      f"{w}: sidecar label {gd['label']}={gd['labelValue']} missing")
            data = cm.get("data") or {}
            if rep.check(len(data) == 1, f"{w}: expected one dashboard file"):
                (key, text), = data.items()
                rep.check(key.endswith(".json"), f"{w}: {key} must end in .json for the sidecar")
                expected = json.loads((r.chart_dir / "files" / "grafana-dashboard.json").read_text())
                try:
                    rep.check(json.loads(text) == expected, f"{w}: dashboard differs from files/grafana-dashboard.json")
                except json.JSONDecodeError as e:
                    rep.fail(f"{w}: dashboard is not JSON: {e}")


def check_autoscaling(r: Render, rep: Report, deployment: dict, settings: dict | None) -> None:
    hpas, scaled = r.of_kind("HorizontalPodAutoscaler"), r.of_kind("ScaledObject")
    rep.check(not (hpas and scaled), "both a HorizontalPodAutoscaler and a KEDA ScaledObject are rendered")
    target = deployment["metadata"]["name"]
    for h in hpas:
        w = name_of(h)
        ref = dig(h, "spec", "scaleTargetRef") or {}
        rep.check(ref.get("kind") == "Deployment" and ref.get("name") == target, f"{w}: does not target the Deployment")
        rep.check(1 <= h["spec"]["minReplicas"] <= h["spec"]["maxReplicas"], f"{w}: minReplicas/maxReplicas inconsistent")
        rep.check(bool(dig(h, "spec", "metrics")), f"{w}: no metrics")
    for s in scaled:
        w = name_of(s)
        spec = s["spec"]
        rep.check(dig(spec, "scaleTargetRef", "name") == target, f"{w}: does not target the Deployment")
        rep.check(spec["minReplicaCount"] <= spec["maxReplicaCount"], f"{w}: minReplicaCount > maxReplicaCount")
        triggers = spec.get("triggers") or []
        rep.check(len(triggers) >= 1, f"{w}: no triggers")
        for t in triggers:
            md = t.get("metadata") or {}
            rep.check(all(isinstance(v, str) for v in md.values()), f"{w}: trigger metadata values must be strings")
            if t.get("type") == "kafka" and settings:
                k = settings["kafka"]
                rep.check(md.get("bootstrapServers") == k["brokers"], f"{w}: bootstrapServers is not kafka.brokers")
                rep.check(md.get("consumerGroup") == k["group_id"], f"{w}: consumerGroup is not kafka.group_id")
                if "topic" in md:
                    rep.check(md["topic"] in k["input_topics"], f"{w}: topic is not an input topic")
                rep.check(md.get("offsetResetPolicy") == k["auto_offset_reset"],
                          f"{w}: offsetResetPolicy is not kafka.auto_offset_reset")
            elif t.get("type") == "prometheus":
                rep.check("zpa_enricher_consumer_lag_messages" in md.get("query", ""),
                          f"{w}: query does not use zpa_enricher_consumer_lag_messages")
                rep.check(spec["minReplicaCount"] >= 1, f"{w}: the prometheus trigger cannot scale from zero")
            else:
                rep.check(t.get("type") == "kafka", f"{w}: unexpected trigger type {t.get('type')}")


def check_test_pods(r: Render, rep: Report, binary: str) -> None:
    """Runs each `helm test` pod's command line against a local stand-in of the Service.

    The stand-in answers 200 on /healthz and /readyz only; the pod's --addr (the Service name)
    is pointed at it. Exit status 0 means the arguments are right and the right path is asked.
    """
    import http.server
    import threading

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            ok = self.path in ("/healthz", "/readyz")
            self.send_response(200 if ok else 404)
            self.end_headers()
            self.wfile.write(b"ok\n" if ok else b"not found\n")

        def log_message(self, *args: Any) -> None:
            pass

    for pod in r.of_kind("Pod"):
        w = name_of(pod)
        rep.check(dig(pod, "metadata", "annotations", "helm.sh/hook") == "test", f"{w}: not a helm test hook")
        for c in dig(pod, "spec", "containers") or []:
            args = list(c.get("args") or [])
            if not rep.check("--addr" in args[:-1], f"{w}/{c['name']}: no --addr"):
                continue
            i = args.index("--addr") + 1
            host, _, port = args[i].rpartition(":")
            svc = [s for s in r.of_kind("Service") if s["metadata"]["name"] == host]
            metrics = [p for p in dig(svc[0], "spec", "ports", default=[]) if p.get("name") == "metrics"] if svc else []
            rep.check(bool(metrics) and port == str(metrics[0].get("port")),
                      f"{w}/{c['name']}: --addr {args[i]} is not a Service's metrics port")
            server = http.server.HTTPServer(("127.0.0.1", 0), Health)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                args[i] = f"127.0.0.1:{server.server_address[1]}"
                res = run_binary(binary, args, clean_env())
                rep.check(res.returncode == 0,
                          f"{w}/{c['name']}: zpa-enricher {' '.join(c.get('args') or [])} failed against a "
                          f"healthy stand-in (exit {res.returncode}): {(res.stderr or res.stdout).strip()}")
            finally:
                server.shutdown()
                server.server_close()


def check_expected_resources(r: Render, rep: Report) -> None:
    """Each optional part is rendered exactly when the values switch it on."""
    v = r.values
    names = r.configmaps()
    receiver = bool(dig(v, "receiver", "enabled"))
    expectations = [
        ("ServiceMonitor", int(v["serviceMonitor"]["enabled"]) * (1 + receiver)),
        ("PrometheusRule", int(v["prometheusRule"]["enabled"])),
        ("PodDisruptionBudget", int(v["podDisruptionBudget"]["enabled"])
         + int(receiver and dig(v, "receiver", "podDisruptionBudget", "enabled"))),
        ("HorizontalPodAutoscaler", int(v["autoscaling"]["enabled"])),
        ("ScaledObject", int(v["keda"]["enabled"])),
        ("ServiceAccount", int(v["serviceAccount"]["create"])),
        ("Pod", int(v["tests"]["enabled"])),
        ("Deployment", 1 + receiver),
        # The enricher's metrics; the receiver's listeners and its metrics.
        ("Service", 1 + 2 * receiver),
    ]
    for kind, wanted in expectations:
        count = len(r.of_kind(kind))
        rep.check(count == wanted, f"{kind}: expected {wanted}, rendered {count}")
    dashboards = [n for n in names if n.endswith("-dashboard")]
    rep.check(len(dashboards) == (1 if v["grafanaDashboard"]["enabled"] else 0),
              f"dashboard ConfigMap: rendered {len(dashboards)}, grafanaDashboard.enabled={v['grafanaDashboard']['enabled']}")
    co = v["catalogOverride"]
    own_catalog = co["enabled"] and not co.get("existingConfigMap")
    catalogs = [n for n in names if n.endswith("-catalog")]
    rep.check(len(catalogs) == (1 if own_catalog else 0),
              f"catalog ConfigMap: rendered {len(catalogs)}, expected {1 if own_catalog else 0}")


def pem_pair(root: Path) -> tuple[str, str]:
    """A self-signed certificate and its key in PEM, from openssl when it is there, for TLS files
    the binary may load at --check-config; else placeholder PEM blocks."""
    cert, key = root / "stand-in.crt", root / "stand-in.key"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-days", "2", "-subj", "/CN=stand-in", "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True) if shutil.which("openssl") else None
    if made is not None and made.returncode == 0:
        return cert.read_text(), key.read_text()
    placeholder = "-----BEGIN PLACEHOLDER-----\nstand-in for an existing Secret\n-----END PLACEHOLDER-----\n"
    return placeholder, placeholder


def build_pod_files(r: Render, deployment: dict, root: Path, repo: Path, workload: str = "enricher") -> dict[str, str]:
    """Lays out under `root` the files the pod's mounted volumes provide.

    ConfigMaps rendered by the chart are written with their real content. Volumes from outside
    the chart (existing Secrets and ConfigMaps) cannot be known here: for each of their files a
    stand-in is written (a placeholder PEM block for TLS material, which --check-config only checks
    for a PEM block; the shipped catalog for an existing catalog ConfigMap, so that it parses).
    Returns mountPath -> volume kind ("rendered", "external").
    """
    pod = deployment["spec"]["template"]["spec"]
    main = workload_container(deployment, workload)
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    configmaps = r.configmaps()
    mounts: dict[str, str] = {}
    pair: tuple[str, str] | None = None
    catalog_mount = dig(r.values, "catalogOverride", "existingConfigMap")
    for m in main.get("volumeMounts") or []:
        vol = volumes.get(m["name"])
        if not vol:
            continue
        target = root / m["mountPath"].lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        if "configMap" in vol:
            name = vol["configMap"]["name"]
            items = vol["configMap"].get("items")
            if name in configmaps:
                data = configmaps[name].get("data") or {}
                for key, path in ((i["key"], i["path"]) for i in items) if items else ((k, k) for k in data):
                    (target / path).write_text(data.get(key, ""))
                mounts[m["mountPath"]] = "rendered"
            else:
                for i in items or []:
                    path = target / i["path"]
                    if name == catalog_mount and path.suffix == ".json":
                        shipped = tomllib.loads((repo / "config" / "catalog.toml").read_text())
                        path.write_text(json.dumps(shipped))
                    elif name == catalog_mount:
                        path.write_text((repo / "config" / "catalog.toml").read_text())
                    else:
                        path.write_text("placeholder for an existing ConfigMap\n")
                mounts[m["mountPath"]] = "external"
        elif "secret" in vol:
            for i in vol["secret"].get("items") or []:
                # PEM-shaped, as --check-config looks for a PEM block in TLS files.
                (target / i["path"]).write_text(
                    "-----BEGIN PLACEHOLDER-----\nstand-in for an existing Secret\n-----END PLACEHOLDER-----\n")
            mounts[m["mountPath"]] = "external"
        elif "projected" in vol:
            # The receiver's certificate, key and client CA: a real certificate and key, in case
            # the binary loads them.
            pair = pair or pem_pair(root)
            for source in vol["projected"].get("sources") or []:
                for i in dig(source, "secret", "items", default=[]):
                    (target / i["path"]).write_text(pair[1] if i["path"].endswith(".key") else pair[0])
            mounts[m["mountPath"]] = "external"
        else:
            mounts[m["mountPath"]] = "other"
    return mounts


def in_pod(path: str, root: Path, mounts: dict[str, str]) -> Path | None:
    """The temp-tree copy of an absolute pod path that a mounted volume provides, else None."""
    for mp in sorted(mounts, key=len, reverse=True):
        if path == mp or path.startswith(mp.rstrip("/") + "/"):
            return root / path.lstrip("/")
    return None


def check_settings_with_binary(r: Render, rep: Report, deployment: dict, binary: str, repo: Path,
                               workload: str = "enricher") -> dict | None:
    """Runs the container's own command line with --check-config against the pod's files."""
    pod = deployment["spec"]["template"]["spec"]
    main = workload_container(deployment, workload)
    configmaps = r.configmaps()
    with tempfile.TemporaryDirectory(prefix="zpa-enricher-pod-") as tmp:
        root = Path(tmp)
        mounts = build_pod_files(r, deployment, root, repo, workload)

        # The environment of the container: literal values as they are, values from Secrets as
        # placeholders (their content is not in the chart), values from rendered ConfigMaps read.
        env: dict[str, str] = {}
        for e in main.get("env") or []:
            if "value" in e:
                env[e["name"]] = str(e["value"])
            elif dig(e, "valueFrom", "secretKeyRef"):
                env[e["name"]] = "placeholder-from-secret"
            elif dig(e, "valueFrom", "configMapKeyRef"):
                ref = e["valueFrom"]["configMapKeyRef"]
                env[e["name"]] = dig(configmaps, ref["name"], "data", ref["key"], default="placeholder")
            else:
                env[e["name"]] = "placeholder"
        if main.get("envFrom"):
            rep.note("envFrom sources are not known to the chart and are left out of the settings check")

        # The settings file named by --config, through its volume.
        args = list(main.get("args") or [])
        config_path = args[args.index("--config") + 1] if "--config" in args[:-1] else None
        if not rep.check(config_path is not None, f"{name_of(deployment)}: --config without a file"):
            return None
        local_config = in_pod(config_path, root, mounts)
        if not rep.check(local_config is not None and local_config.is_file(),
                         f"{name_of(deployment)}: settings file {config_path} is not provided by a mounted volume"):
            return None
        settings = yaml.safe_load(local_config.read_text()) or {}

        # Every file the settings name must come from a volume of the pod. The settings name the
        # paths inside the pod (/etc/zpa-enricher/...); the copy checked here names the same files
        # in the temp tree that mirrors the pod's mounts.
        for key_path in FILE_SETTINGS:
            value = dig(settings, *key_path)
            var = ENV_PREFIX + "__".join(k.upper() for k in key_path)
            if var in env:
                value = env[var]
            if not value:
                continue
            local = in_pod(value, root, mounts)
            if rep.check(local is not None and local.is_file(),
                         f"settings: {'.'.join(key_path)} = {value} is not a file of any mounted volume"):
                if var in env:
                    env[var] = str(local)
                else:
                    parent = dig(settings, *key_path[:-1])
                    parent[key_path[-1]] = str(local)
        checked = root / "checked-settings.yaml"
        checked.write_text(yaml.safe_dump(settings))
        run_args = [str(checked) if a == config_path else a for a in args]
        run_args = [str(in_pod(a, root, mounts) or a) if a.startswith("/") and a != str(checked) else a for a in run_args]

        res = run_binary(binary, [*run_args, "--check-config"], clean_env(env))
        rep.check(res.returncode == 0 and "configuration OK" in res.stdout,
                  f"zpa-enricher {' '.join(args)} --check-config refused the pod's settings "
                  f"(exit {res.returncode}): {(res.stderr or res.stdout).strip()}")
        if res.returncode == 0:
            rep.note(f"pod settings: {res.stdout.strip()}")
        printed = run_binary(binary, [*run_args, "--print-config"], clean_env(env))
        if not rep.check(printed.returncode == 0, f"--print-config failed: {printed.stderr.strip()}"):
            return None
        effective = tomllib.loads(printed.stdout)

        # The catalog override on its own, as its documentation says to check it.
        for cm in configmaps.values():
            if not cm["metadata"]["name"].endswith("-catalog"):
                continue
            for key, text in (cm.get("data") or {}).items():
                f = root / f"override-{key}"
                f.write_text(text)
                res = run_binary(binary, ["--catalog", str(f), "--check-config"], clean_env())
                rep.check(res.returncode == 0,
                          f"{name_of(cm)}: catalog {key} refused by zpa-enricher --catalog: {(res.stderr or res.stdout).strip()}")
                if res.returncode == 0:
                    rep.note(f"catalog override {key}: {res.stdout.strip()}")

    # What the binary makes of the settings, against what the pod spec expects.
    main_port = resolve_port("metrics", main)
    addr = effective["metrics"]["addr"]
    rep.check(addr.rsplit(":", 1)[-1] == str(main_port),
              f"metrics.addr {addr} does not listen on the container's metrics port {main_port}")
    grace = effective["service"]["shutdown_grace_period_secs"]
    tgps = pod.get("terminationGracePeriodSeconds")
    rep.check(isinstance(tgps, int) and tgps > grace,
              f"terminationGracePeriodSeconds {tgps} must exceed service.shutdown_grace_period_secs {grace}")
    if workload == "receiver":
        check_receiver_settings(r, rep, main, effective)
    return effective


def check_receiver_settings(r: Render, rep: Report, main: dict, effective: dict) -> None:
    """The listeners the binary makes of the settings are the container's ports, named and typed as
    receiver.listeners says, with TLS exactly when receiver.tls asks for it."""
    receive = effective.get("receive") or {}
    listeners = list(receive.get("listeners") or [])
    rep.check(not receive.get("listen"), f"receive.listen {receive.get('listen')}: the chart sets listeners only")
    ports = {p["containerPort"] for p in main.get("ports") or [] if p.get("name") != "metrics"}
    bound = {int(str(entry.get("addr", "")).rpartition(":")[2] or 0) for entry in listeners}
    rep.check(bound == ports, f"the receiver's listeners bind {sorted(bound)}, the container exposes {sorted(ports)}")
    wanted = {entry["name"]: entry for entry in dig(r.values, "receiver", "listeners", default=[])}
    rep.check({entry.get("name") for entry in listeners} == set(wanted),
              f"listeners {sorted(str(entry.get('name')) for entry in listeners)}, receiver.listeners names {sorted(wanted)}")
    for entry in listeners:
        value = wanted.get(entry.get("name"), {})
        for key, setting in (("logType", "log_type"), ("format", "format")):
            if value.get(key):
                rep.check(entry.get(setting) == value[key],
                          f"listener {entry.get('name')}: {setting} {entry.get(setting)!r}, receiver.listeners says {value[key]!r}")
    tls = dig(r.values, "receiver", "tls") or {}
    rep.check(bool(receive.get("tls_cert")) == bool(tls.get("enabled")),
              f"receive.tls_cert {receive.get('tls_cert')!r} with receiver.tls.enabled={tls.get('enabled')}")
    rep.check(bool(receive.get("mtls")) == bool(tls.get("enabled") and tls.get("clientCaSecret")),
              f"receive.mtls {receive.get('mtls')} with receiver.tls.clientCaSecret {tls.get('clientCaSecret')!r}")


def cmd_manifests(args: argparse.Namespace) -> int:
    chart_dir = Path(args.chart)
    label = args.label or Path(args.rendered).name
    rep = Report(f"manifests {label}")
    values = yaml.safe_load((chart_dir / "values.yaml").read_text())
    for f in args.values or []:
        values = deep_merge(values, yaml.safe_load(Path(f).read_text()) or {})
    try:
        docs = [d for d in yaml.safe_load_all(Path(args.rendered).read_text()) if d]
    except yaml.YAMLError as e:
        rep.fail(f"rendered output is not valid YAML: {e}")
        return rep.finish()
    for d in docs:
        if not isinstance(d, dict):
            rep.fail(f"a rendered document is not a mapping: {d!r:.80}")
    docs = [d for d in docs if isinstance(d, dict)]
    r = Render(docs, values, chart_dir)
    kinds: dict[str, int] = {}
    for d in docs:
        kinds[d.get("kind", "?")] = kinds.get(d.get("kind", "?"), 0) + 1
    rep.note("rendered " + ", ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(kinds.items())))

    check_common(r, rep, args.namespace)
    check_expected_resources(r, rep)
    workloads = find_workloads(r, rep)
    checked = {w: d for w, d in workloads.items() if check_deployment(r, rep, d, w)}
    if "enricher" in checked:
        check_selectors(r, rep, checked)
        for workload, deployment in checked.items():
            effective = check_settings_with_binary(r, rep, deployment, args.binary, Path(args.repo), workload)
            if workload == "enricher":
                check_autoscaling(r, rep, deployment, effective)
    check_test_pods(r, rep, args.binary)
    check_monitoring(r, rep)
    return rep.finish()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("chart", help="chart metadata and values schema against the binary")
    c.add_argument("--chart", required=True)
    c.add_argument("--binary", required=True)
    c.add_argument("--repo", default=".")
    m = sub.add_parser("manifests", help="check what helm template rendered")
    m.add_argument("--chart", required=True)
    m.add_argument("--rendered", required=True)
    m.add_argument("--binary", required=True)
    m.add_argument("--values", action="append", help="values files given to helm template, in order")
    m.add_argument("--namespace", default="default")
    m.add_argument("--label")
    m.add_argument("--repo", default=".")
    args = p.parse_args()
    return cmd_chart(args) if args.cmd == "chart" else cmd_manifests(args)


if __name__ == "__main__":
    sys.exit(main())
