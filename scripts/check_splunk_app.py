#!/usr/bin/env python3
"""Checks the Splunk app deploy/splunk/zpa_enricher with Splunk's own splunk-appinspect.

The app is packaged the way Splunk installs apps (a gzipped tarball whose single top-level
folder is the app id, files owned by root, no write bit for others) and inspected in precert
mode: every check with every tag, the Splunk Cloud ones included, all results returned. Any
failure, future failure or error fails this script; warnings are printed.

Also checks that app.conf and app.manifest give one version, and that the Splunk Connect for
Kafka connector configuration is JSON that names the enriched topic and the formatted-event
mode the envelopes need.

Needs: splunk-appinspect in .tools/python (scripts/install_deploy_tools.sh), libmagic.
"""

import configparser
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
APP = ROOT / "deploy" / "splunk" / "zpa_enricher"
CONNECTOR = ROOT / "deploy" / "splunk" / "kafka-connect-splunk.json"
BAD_RESULTS = ("failure", "future_failure", "error")


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def app_version():
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(APP / "default" / "app.conf")
    versions = {
        "app.conf [id]": conf.get("id", "version", fallback=None),
        "app.conf [launcher]": conf.get("launcher", "version", fallback=None),
        "app.manifest": json.loads((APP / "app.manifest").read_text())["info"]["id"]["version"],
    }
    if len(set(versions.values())) != 1 or None in versions.values():
        fail(f"the app's versions differ: {versions}")
    if conf.get("package", "id", fallback=None) != APP.name:
        fail(f"app.conf [package] id is not {APP.name}")
    return versions["app.conf [id]"]


def package(version, into):
    """The app as Splunk installs it, from the files git tracks."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--", str(APP.relative_to(ROOT))],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    files = [f for f in files if f]
    if not files:
        fail(f"git tracks no file under {APP.relative_to(ROOT)}")
    path = into / f"{APP.name}-{version}.tar.gz"

    def normalise(info):
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mode = 0o755 if info.isdir() else 0o644
        return info

    base = APP.parent.relative_to(ROOT)
    members = set()
    for f in files:
        rel = pathlib.Path(f).relative_to(base)
        members.add(rel)
        members.update(rel.parents[:-1])
    with tarfile.open(path, "w:gz") as tar:
        for rel in sorted(members, key=lambda p: p.parts):
            tar.add(ROOT / base / rel, arcname=str(rel), recursive=False, filter=normalise)
    return path


def inspect(pkg, into):
    result = into / "appinspect.json"
    run = subprocess.run(
        [sys.executable, "-c",
         "import sys; from splunk_appinspect.main import execute; "
         "sys.argv[0] = 'splunk-appinspect'; sys.exit(execute())",
         "inspect", str(pkg), "--mode", "precert",
         "--output-file", str(result), "--data-format", "json"],
        capture_output=True, text=True,
    )
    if run.returncode != 0 or not result.exists():
        print(run.stdout[-4000:], run.stderr[-4000:], sep="\n", file=sys.stderr)
        fail(f"splunk-appinspect exited with {run.returncode}")
    report = json.loads(result.read_text())
    summary = report["summary"]
    for r in report["reports"]:
        for group in r["groups"]:
            for check in group["checks"]:
                if check["result"] in BAD_RESULTS + ("warning",):
                    print(f"{check['result'].upper()}: {check['name']}")
                    for m in check["messages"]:
                        print(f"    {m.get('message', '').strip()}")
    print("appinspect " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    bad = {k: summary.get(k, 0) for k in BAD_RESULTS if summary.get(k, 0)}
    if bad:
        fail(f"splunk-appinspect: {bad}")


def check_connector():
    conf = json.loads(CONNECTOR.read_text())["config"]
    expected = {
        "connector.class": "com.splunk.kafka.connect.SplunkSinkConnector",
        "topics": "zpa.enriched",
        "splunk.hec.json.event.formatted": "true",
        "splunk.hec.raw": "false",
        "splunk.hec.ack.enabled": "true",
    }
    for key, value in expected.items():
        if conf.get(key) != value:
            fail(f"{CONNECTOR.name}: {key} is {conf.get(key)!r}, expected {value!r}")


def main():
    version = app_version()
    check_connector()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        pkg = package(version, tmp)
        print(f"packaged {pkg.name}")
        inspect(pkg, tmp)
    print("ok")


if __name__ == "__main__":
    main()
