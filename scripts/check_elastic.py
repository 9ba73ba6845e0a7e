#!/usr/bin/env python3
"""Checks the Elasticsearch shipping files (deploy/elastic/) without a network.

- every file parses: the Filebeat configuration (YAML), the Kafka Connect sink (JSON), the
  Logstash pipeline (its braces balance outside strings and comments, and it has a `kafka`
  input with the `json` codec and an `elasticsearch` output);
- all three read the topic zpa-enricher writes by default (`kafka.output_topic` in
  config/default.toml) and decode each record value as one JSON document into the event's root;
- all three write to one data stream, `logs-<dataset>-<namespace>`, whose dataset is not one of
  Elastic's own `zscaler_zpa.*` (whose index templates run an ingest pipeline that expects the
  raw LSS line), and keep the document's @timestamp (the event time);
- docs/elastic.md names that data stream and every file.

Usage: check_elastic.py   (from anywhere; paths are relative to the repository)
"""

import json
import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "elastic"
FILEBEAT = DEPLOY / "filebeat.yml"
LOGSTASH = DEPLOY / "logstash.conf"
CONNECT = DEPLOY / "kafka-connect-elasticsearch-sink.json"
DOC = ROOT / "docs" / "elastic.md"

problems: list[str] = []


def check(ok: bool, message: str) -> None:
    if not ok:
        problems.append(message)


def default_output_topic() -> str:
    with open(ROOT / "config" / "default.toml", "rb") as f:
        return tomllib.load(f)["kafka"]["output_topic"]


def filebeat(topic: str) -> tuple[str, str, str]:
    conf = yaml.safe_load(FILEBEAT.read_text())
    inputs = conf.get("filebeat.inputs") or []
    kafka = [i for i in inputs if i.get("type") == "kafka"]
    check(len(kafka) == 1, f"{FILEBEAT.name}: expected one kafka input, found {len(kafka)}")
    if not kafka:
        return ("", "", "")
    inp = kafka[0]
    check(inp.get("topics") == [topic], f"{FILEBEAT.name}: topics {inp.get('topics')} != [{topic!r}]")
    ndjson = [p["ndjson"] for p in inp.get("parsers") or [] if "ndjson" in p]
    check(
        len(ndjson) == 1 and ndjson[0].get("target") == "" and ndjson[0].get("overwrite_keys") is True,
        f"{FILEBEAT.name}: the kafka input needs one ndjson parser with target \"\" and overwrite_keys",
    )
    ds = (inp.get("fields") or {}).get("data_stream") or {}
    check(inp.get("fields_under_root") is True, f"{FILEBEAT.name}: data_stream fields must be at the root")
    stream = (str(ds.get("type", "")), str(ds.get("dataset", "")), str(ds.get("namespace", "")))
    index = (conf.get("output.elasticsearch") or {}).get("index")
    check(index == "-".join(stream), f"{FILEBEAT.name}: output index {index!r} != data_stream fields {stream}")
    return stream


def strip_logstash(text: str) -> str:
    """The pipeline without comments and the contents of quoted strings."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "\"'":
            quote = c
            out.append(c)
            i += 1
            while i < n and text[i] != quote:
                i += 2 if text[i] == "\\" else 1
            out.append(quote)
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def logstash(topic: str) -> tuple[str, str, str]:
    text = LOGSTASH.read_text()
    bare = strip_logstash(text)
    depth = 0
    for c in bare:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            break
    check(depth == 0, f"{LOGSTASH.name}: braces do not balance")
    sections = {m.group(1) for m in re.finditer(r"^\s*(input|filter|output)\s*\{", bare, re.M)}
    check({"input", "output"} <= sections, f"{LOGSTASH.name}: needs input and output sections")
    check(re.search(r"input\s*\{\s*kafka\s*\{", bare) is not None, f"{LOGSTASH.name}: no kafka input")
    check(re.search(r"codec\s*=>\s*json\b", bare) is not None, f"{LOGSTASH.name}: the kafka input needs codec json")
    check(re.search(r"output\s*\{\s*elasticsearch\s*\{", bare) is not None, f"{LOGSTASH.name}: no elasticsearch output")

    def setting(name: str) -> str:
        m = re.search(rf"\b{name}\s*=>\s*(\[[^\]]*\]|\"[^\"]*\")", text)
        return m.group(1) if m else ""

    check(setting("topics") == f'["{topic}"]', f"{LOGSTASH.name}: topics {setting('topics')} != [{topic!r}]")
    check(setting("data_stream") == '"true"', f"{LOGSTASH.name}: the output must write to a data stream")
    return tuple(setting(f"data_stream_{k}").strip('"') for k in ("type", "dataset", "namespace"))


def connect(topic: str) -> tuple[str, str, str]:
    conf = json.loads(CONNECT.read_text())["config"]
    check(conf.get("topics") == topic, f"{CONNECT.name}: topics {conf.get('topics')!r} != {topic!r}")
    expected = {
        "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "schema.ignore": "true",
        # Without it the Kafka record's timestamp replaces the event time.
        "data.stream.timestamp.field": "@timestamp",
    }
    for key, value in expected.items():
        check(conf.get(key) == value, f"{CONNECT.name}: {key} is {conf.get(key)!r}, expected {value!r}")
    return tuple(str(conf.get(f"data.stream.{k}", "")).lower() for k in ("type", "dataset", "namespace"))


def main() -> int:
    topic = default_output_topic()
    streams = {
        FILEBEAT.name: filebeat(topic),
        LOGSTASH.name: logstash(topic),
        CONNECT.name: connect(topic),
    }
    names = {f: "-".join(s) for f, s in streams.items()}
    check(len(set(names.values())) == 1, f"the files write to different data streams: {names}")
    name = next(iter(names.values()))
    kind, dataset, namespace = streams[FILEBEAT.name]
    check(kind == "logs", f"data stream type {kind!r}: the built-in logs-*-* template needs 'logs'")
    check(re.fullmatch(r"[a-z0-9_.]+", dataset or "-") is not None, f"dataset {dataset!r} is not a valid dataset name")
    check(re.fullmatch(r"[a-z0-9_]+", namespace or "-") is not None, f"namespace {namespace!r} is not a valid namespace")
    check(not dataset.startswith("zscaler_zpa"), f"dataset {dataset!r} collides with Elastic's zscaler_zpa integration")
    doc = DOC.read_text()
    for needle in [name, topic, FILEBEAT.name, LOGSTASH.name, CONNECT.name]:
        check(needle in doc, f"{DOC.relative_to(ROOT)} does not mention {needle}")
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    if not problems:
        print(f"ok: {', '.join(streams)} read {topic} into {name}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
