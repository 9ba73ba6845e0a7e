#!/usr/bin/env python3
"""Checks the Dockerfile without a Docker engine.

- hadolint (the Dockerfile linter) passes: among its rules, every base image is pinned to a
  tag other than `latest`;
- the build is multi-stage, and the builder's Rust version (RUST_VERSION, which hadolint does
  not expand) is the channel of rust-toolchain.toml, which is Cargo.toml's rust-version;
- every file the build COPYs from the context exists and is not excluded by .dockerignore;
- the runtime stage runs as a non-root user, runs `zpa-enricher` with `run` by default,
  exposes the metrics port its environment sets, and has a HEALTHCHECK that calls the
  binary's `healthcheck` command;
- the binary accepts the settings the image sets (`--check-config` with the image's ENV), and
  the HEALTHCHECK command line parses (it fails with "cannot reach", not with a usage error,
  when nothing listens);
- the binary needs no shared library beyond what the runtime base image provides.

Usage: check_dockerfile.py [--bin PATH]   (default: $ZPA_ENRICHER_BIN or target/debug/zpa-enricher)
"""

import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Shared libraries of gcr.io/distroless/cc-debian12: glibc, libgcc and OpenSSL 3.
RUNTIME_LIBS = {
    "linux-vdso.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libgcc_s.so.1",
    "libstdc++.so.6",
    "libssl.so.3",
    "libcrypto.so.3",
}

problems: list[str] = []


def problem(text: str) -> None:
    problems.append(text)


def instructions(path: Path) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out = []
    buf, start = "", 0
    for no, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue
        if not buf:
            start = no
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.partition(" ")
        out.append((start, word.upper(), rest.strip()))
        buf = ""
    return out


def exec_form(args: str) -> list[str] | None:
    """The JSON array of an exec-form CMD/ENTRYPOINT, or None for the shell form."""
    if args.startswith("["):
        return json.loads(args)
    return None


def dockerignore_patterns() -> list[tuple[bool, str]]:
    path = ROOT / ".dockerignore"
    pats = []
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pats.append((negate, line.lstrip("!").rstrip("/")))
    return pats


def ignored(rel: str, pats: list[tuple[bool, str]]) -> bool:
    result = False
    for negate, pat in pats:
        parts = rel.split("/")
        hit = any(
            fnmatch.fnmatch("/".join(parts[: i + 1]), pat) for i in range(len(parts))
        )
        if hit:
            result = not negate
    return result


def env_pairs(args: str) -> dict[str, str]:
    words = shlex.split(args)
    if len(words) == 2 and "=" not in words[0]:
        return {words[0]: words[1]}
    return dict(w.split("=", 1) for w in words)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("ZPA_ENRICHER_BIN", "target/debug/zpa-enricher"))
    binary = str((ROOT / ap.parse_args().bin).resolve())
    dockerfile = ROOT / "Dockerfile"

    hadolint = shutil.which("hadolint") or str(ROOT / ".tools/python/bin/hadolint")
    lint = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True)
    if lint.returncode != 0:
        problem(f"hadolint:\n{lint.stdout}{lint.stderr}")

    ins = instructions(dockerfile)
    args = {}
    stages: list[list[tuple[int, str, str]]] = []
    for item in ins:
        if item[1] == "ARG" and not stages:
            name, _, value = item[2].partition("=")
            args[name] = value
        if item[1] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(item)
    if len(stages) < 2:
        problem("Dockerfile: expected a multi-stage build (a build stage and a runtime stage)")
        return report()

    rust_version = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["rust-version"]
    channel = tomllib.loads((ROOT / "rust-toolchain.toml").read_text())["toolchain"]["channel"]
    if channel != rust_version and not channel.startswith(rust_version + "."):
        problem(f"rust-toolchain.toml: channel {channel} is not Cargo.toml's rust-version {rust_version}")
    if args.get("RUST_VERSION") != channel:
        problem(f"Dockerfile: ARG RUST_VERSION={args.get('RUST_VERSION')} but rust-toolchain.toml's channel is {channel}")

    pats = dockerignore_patterns()
    for line, word, rest in ins:
        if word not in ("COPY", "ADD"):
            continue
        words = shlex.split(rest)
        if any(w.startswith("--from") for w in words):
            continue
        srcs = [w for w in words if not w.startswith("--")][:-1]
        for src in srcs:
            p = ROOT / src
            if not p.exists():
                problem(f"Dockerfile:{line}: COPY source {src} does not exist")
            elif ignored(src.rstrip("/"), pats):
                problem(f"Dockerfile:{line}: COPY source {src} is excluded by .dockerignore")

    runtime = stages[-1]
    final = {}
    env: dict[str, str] = {}
    for line, word, rest in runtime:
        final[word] = (line, rest)
        if word == "ENV":
            env.update(env_pairs(rest))
    user = final.get("USER", (0, "root"))[1].split(":")[0]
    if user in ("", "0", "root"):
        problem("Dockerfile: the runtime stage must set a non-root USER")
    entry = exec_form(final.get("ENTRYPOINT", (0, "[]"))[1]) or []
    cmd = exec_form(final.get("CMD", (0, "[]"))[1]) or []
    if not entry or not entry[0].endswith("/zpa-enricher"):
        problem(f"Dockerfile: ENTRYPOINT should be the zpa-enricher binary in exec form, is {entry}")
    if cmd != ["run"]:
        problem(f"Dockerfile: CMD should be [\"run\"], is {cmd}")
    addr = env.get("ZPA_ENRICHER__METRICS__ADDR", "0.0.0.0:9464")
    port = addr.rsplit(":", 1)[-1]
    exposed = final.get("EXPOSE", (0, ""))[1].split()
    if port not in [e.split("/")[0] for e in exposed]:
        problem(f"Dockerfile: EXPOSE {exposed} does not include the metrics port {port}")
    health = final.get("HEALTHCHECK")
    health_cmd: list[str] = []
    if not health:
        problem("Dockerfile: the runtime stage has no HEALTHCHECK")
    else:
        m = re.search(r"\bCMD\s+(\[.*\])\s*$", health[1])
        health_cmd = exec_form(m.group(1)) if m else []
        binary_path = entry[0] if entry else None
        if not health_cmd or health_cmd[0] != binary_path or "healthcheck" not in health_cmd[1:2]:
            problem(f"Dockerfile:{health[0]}: HEALTHCHECK should run `{entry[0] if entry else 'zpa-enricher'} healthcheck` in exec form, is {health[1]}")

    # The binary accepts the image's settings and its health check command line.
    base_env = {"PATH": os.environ.get("PATH", "")}
    check = subprocess.run([binary, "--check-config"], env={**base_env, **env}, capture_output=True, text=True)
    if check.returncode != 0:
        problem(f"the image's ENV is refused by zpa-enricher --check-config:\n{check.stderr}")
    if health_cmd:
        probe_env = {**base_env, **env, "ZPA_ENRICHER__METRICS__ADDR": f"0.0.0.0:{free_port()}"}
        probe = subprocess.run([binary, *health_cmd[1:]], env=probe_env, capture_output=True, text=True)
        if probe.returncode != 1 or "cannot reach" not in probe.stderr:
            problem(f"HEALTHCHECK command with nothing listening: expected exit 1 and 'cannot reach', got {probe.returncode}: {probe.stderr.strip()}")

    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    needed = {l.split()[0].split("/")[-1] for l in ldd.splitlines() if l.strip()}
    extra = sorted(needed - RUNTIME_LIBS)
    if extra:
        problem(f"{binary} needs shared libraries the runtime image lacks: {', '.join(extra)}")

    return report(
        f"Dockerfile: {len(stages)} stages, runtime user {user}, HEALTHCHECK {' '.join(health_cmd[1:])}, "
        f"{len(env)} settings accepted, shared libraries {len(needed)} all in the runtime image, hadolint clean"
    )


def report(ok: str = "") -> int:
    if problems:
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        return 1
    print(f"ok   {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
