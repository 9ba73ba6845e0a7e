#!/usr/bin/env python3
"""Checks the demo stack (docker-compose.yml and deploy/compose/) without a Docker engine.

- Docker Compose v2 loads the file (`docker compose config`): the Compose Specification schema,
  interpolation, references between services; any warning counts as a failure;
- every host path the stack uses exists (build context, Dockerfile, bind-mount sources, which
  `docker compose config` does not check); bind mounts are read-only and never create a
  missing host path;
- images are pinned (no `latest`, no missing tag); long-running services restart
  `unless-stopped`, one-shot services do not restart; a `service_healthy` dependency has a
  health check to wait for;
- every ZPA_ENRICHER__* variable of a service is accepted by the binary (`--check-config` with
  exactly that service's variables), and every zpa-enricher command line of the stack works:
  the LSS receiver's (`receive`) with its flags and variables through `--check-config`,
  generators run for real (one second of records to /dev/null instead of Kafka or the
  receiver, every other flag as written), health checks run against a closed port and must
  fail with "cannot reach", not with a usage or settings error; services of the image that
  serve no /readyz disable its health check; burst codes are catalog codes (the per-code
  metric, and so the per-code alerts, know only catalog codes);
- the wiring is consistent: every Kafka address is an advertised listener of the broker, every
  topic a service uses is created by kafka-init, the metrics ports of the enricher and the
  receiver are published and scraped by Prometheus with job="zpa-enricher", a generator's
  `--tcp` address is a port one of the receiver's listeners binds, URLs between services name
  a service and a port it listens on;
- `promtool check config` passes for the Prometheus configuration (with its rule files, found
  through the container's bind mounts) and `amtool check-config` for Alertmanager's;
- Grafana's provisioning files parse and are complete: data sources (Prometheus, the default,
  with uid `prometheus`, managing alerts; an Alertmanager of the Prometheus implementation),
  a dashboard provider whose folder is where the dashboard is mounted, a dashboard that parses
  and refers only to provisioned data sources or to its own data-source variable.

Usage: check_compose.py [--bin PATH]   (default: $ZPA_ENRICHER_BIN or target/debug/zpa-enricher)
The Compose binary: $COMPOSE_BIN, else .tools/bin/docker-compose, else `docker compose`, else
docker-compose on PATH; it must be Compose v2 (v1 knows an older schema).
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlparse

try:
    import yaml
except ImportError:
    sys.exit("check_compose: PyYAML is missing; run scripts/install_deploy_tools.sh")

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
MIN_COMPOSE = (2, 20)

problems: list[str] = []
report: list[str] = []


def problem(text: str) -> None:
    problems.append(text)
    report.append(f"FAIL  {text}")


def ok(text: str) -> None:
    report.append(f"ok    {text}")


def run(argv: list[str], env: dict | None = None, timeout: int = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, errors="replace", env=env,
                          timeout=timeout, cwd=ROOT, **kw)


def tail(text: str, lines: int = 6) -> str:
    """The last non-empty lines (where most tools put the error)."""
    return "\n      ".join([line for line in text.splitlines() if line.strip()][-lines:])


def head(text: str, lines: int = 4) -> str:
    """The first non-empty lines (where clap puts the error)."""
    return "\n      ".join([line for line in text.splitlines() if line.strip()][:lines])


def rel(path: Path | str) -> str:
    path = Path(path)
    return path.relative_to(ROOT).as_posix() if ROOT in path.parents else str(path)


# ------------------------------------------------------------------------------------------
# The validator
# ------------------------------------------------------------------------------------------


def compose_command() -> tuple[list[str], str]:
    """The Compose v2 command line and its version, or exit with how to install it."""
    candidates = []
    if os.environ.get("COMPOSE_BIN"):
        candidates.append([os.environ["COMPOSE_BIN"]])
    candidates.append([str(ROOT / ".tools/bin/docker-compose")])
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    if shutil.which("docker-compose"):
        candidates.append(["docker-compose"])
    seen = []
    for cmd in candidates:
        if len(cmd) == 1 and not (Path(cmd[0]).is_file() or shutil.which(cmd[0])):
            continue
        try:
            out = run(cmd + ["version", "--short"], timeout=30)
        except OSError:
            continue
        version = out.stdout.strip().lstrip("v")
        m = re.match(r"(\d+)\.(\d+)", version)
        if out.returncode == 0 and m:
            if (int(m[1]), int(m[2])) >= MIN_COMPOSE:
                return cmd, version
            seen.append(f"{' '.join(cmd)} is version {version}")
    found = "; ".join(seen) if seen else "none found"
    sys.exit(
        "check_compose: Docker Compose v2 (>= %d.%d) is needed to validate docker-compose.yml "
        "(%s). Run scripts/install_deploy_tools.sh, or set COMPOSE_BIN." % (*MIN_COMPOSE, found)
    )


def load_model(compose: list[str], version: str) -> dict | None:
    """The stack as Compose resolves it: relative paths made absolute, short syntax expanded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    out = run(
        compose
        + ["--project-directory", str(ROOT), "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        env=env,
    )
    if out.returncode != 0:
        problem(f"docker compose config rejects docker-compose.yml:\n      {tail(out.stderr)}")
        return None
    warnings = [line for line in out.stderr.splitlines() if line.strip()]
    if warnings:
        problem("docker compose config warns:\n      " + "\n      ".join(warnings))
    model = json.loads(out.stdout)
    ok(f"docker compose {version} config: docker-compose.yml is valid "
       f"({len(model['services'])} services: {', '.join(model['services'])})")
    return model


# ------------------------------------------------------------------------------------------
# Host paths, images, restart policies, dependencies
# ------------------------------------------------------------------------------------------


def check_host_paths(model: dict) -> None:
    mark, count = len(problems), 0
    for name, svc in model["services"].items():
        build = svc.get("build")
        if build:
            context = Path(build["context"])
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            count += 2
            if not context.is_dir():
                problem(f"{name}: build context {context} is not a directory")
            elif not dockerfile.is_file():
                problem(f"{name}: Dockerfile {dockerfile} does not exist")
        for vol in svc.get("volumes") or []:
            if vol.get("type") != "bind":
                continue
            count += 1
            source = Path(vol["source"])
            where = f"{name}: bind mount {vol['target']}"
            if not source.exists():
                problem(f"{where}: host path {source} does not exist")
            if ROOT not in source.resolve().parents and source.resolve() != ROOT:
                problem(f"{where}: host path {source} is outside the repository")
            if not vol.get("read_only"):
                problem(f"{where}: not read-only (the stack must not write into the checkout)")
            # Short syntax sets create_host_path; Compose leaves it out when false.
            if (vol.get("bind") or {}).get("create_host_path", False):
                problem(f"{where}: a missing host path would be created as an empty directory; "
                        "use the long syntax with bind: {create_host_path: false}")
    if len(problems) == mark:
        ok(f"host paths: {count} build and mount references exist; bind mounts read-only, "
           "never created")


def check_images_and_lifecycle(model: dict) -> None:
    mark = len(problems)
    services = model["services"]
    one_shot = {
        dep
        for svc in services.values()
        for dep, how in (svc.get("depends_on") or {}).items()
        if how.get("condition") == "service_completed_successfully"
    }
    for name, svc in services.items():
        image = svc.get("image", "")
        ref = image.split("@", 1)[0]
        tag = ref.rsplit(":", 1)[1] if ":" in ref.rsplit("/", 1)[-1] else ""
        if "@" not in image and tag in ("", "latest"):
            problem(f"{name}: image {image or '(none)'} is not pinned to a version tag")
        restart = svc.get("restart", "no")
        if name in one_shot:
            if restart not in ("no",) and not restart.startswith("on-failure"):
                problem(f"{name}: one-shot service (others wait for it to complete) has "
                        f"restart: {restart}")
        elif restart != "unless-stopped":
            problem(f"{name}: long-running service has restart: {restart}, not unless-stopped")
        for dep, how in (svc.get("depends_on") or {}).items():
            hc = services[dep].get("healthcheck") or {}
            if how.get("condition") == "service_healthy" and (hc.get("disable") or not hc.get("test")):
                problem(f"{name}: waits for {dep} to be healthy, but {dep} has no health check")
    if len(problems) == mark:
        ok(f"images pinned; restart policies and dependency conditions sound "
           f"(one-shot: {', '.join(sorted(one_shot)) or 'none'})")


# ------------------------------------------------------------------------------------------
# zpa-enricher: settings and command lines
# ------------------------------------------------------------------------------------------


def dockerfile_exec(dockerfile: Path, instruction: str) -> list[str]:
    """The exec-form ENTRYPOINT or CMD of the Dockerfile's final stage."""
    found: list[str] = []
    for line in dockerfile.read_text().splitlines():
        word, _, rest = line.strip().partition(" ")
        if word.upper() == "FROM":
            found = []
        elif word.upper() == instruction:
            try:
                found = json.loads(rest)
            except json.JSONDecodeError:
                problem(f"{rel(dockerfile)}: {instruction} is not in exec form: {rest}")
    return found


def service_env(svc: dict) -> dict[str, str]:
    return {k: ("" if v is None else str(v)) for k, v in (svc.get("environment") or {}).items()}


def process_env(svc: dict) -> dict[str, str]:
    """This machine's environment without any ZPA_ENRICHER variable, plus the service's."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("ZPA_ENRICHER")}
    env.update({k: v for k, v in service_env(svc).items() if k.upper().startswith("ZPA_ENRICHER")})
    return env


def flag_value(args: list[str], *names: str) -> str | None:
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def without_flags(args: list[str], drop: set[str]) -> list[str]:
    """`args` without the given flags and their values (`--flag value` or `--flag=value`)."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in drop:
            skip = True
            continue
        if "=" in arg and arg.split("=", 1)[0] in drop:
            continue
        out.append(arg)
    return out


def check_enricher_services(model: dict, binary: Path) -> dict:
    """Checks every service running the zpa-enricher image; returns facts for later checks."""
    services = model["services"]
    built = {svc["image"]: svc for svc in services.values() if svc.get("build") and svc.get("image")}
    facts: dict = {"settings": {}, "receivers": {}, "generators": {}}
    if not built:
        problem("no service builds the zpa-enricher image (build: and image:)")
        return facts
    image, builder = next(iter(built.items()))
    dockerfile = Path(builder["build"]["context"]) / builder["build"].get("dockerfile", "Dockerfile")
    if not dockerfile.is_file():
        return facts
    image_entrypoint = dockerfile_exec(dockerfile, "ENTRYPOINT")
    image_cmd = dockerfile_exec(dockerfile, "CMD")
    for name, svc in services.items():
        if svc.get("image") != image:
            continue
        mark = len(problems)
        if not svc.get("build") and svc.get("pull_policy") not in ("never", "build"):
            problem(f"{name}: uses the locally built {image} but may try to pull it "
                    "(set pull_policy: never)")
        env = service_env(svc)
        # A variable not spelled ZPA_ENRICHER__SECTION__KEY is silently ignored by the binary.
        for key in env:
            if key.upper().startswith("ZPA_ENRICHER") and not key.startswith("ZPA_ENRICHER__"):
                problem(f"{name}: {key} is not of the form ZPA_ENRICHER__<SECTION>__<KEY> "
                        "(upper case, double underscores); the binary would ignore it")
        settings_vars = [k for k in env if k.startswith("ZPA_ENRICHER__")]
        check = run([str(binary), "--check-config"], env=process_env(svc))
        if check.returncode != 0:
            problem(f"{name}: --check-config refuses the service's settings:\n      "
                    f"{tail(check.stderr + check.stdout)}")
            continue
        printed = run([str(binary), "--print-config"], env=process_env(svc))
        settings = tomllib.loads(printed.stdout) if printed.returncode == 0 else {}
        if len(problems) == mark:
            ok(f"{name}: {len(settings_vars)} ZPA_ENRICHER__ variable(s) accepted by --check-config")

        entrypoint = svc.get("entrypoint")
        command = svc.get("command")
        # Docker's rule: an entrypoint set by the service drops the image's CMD.
        argv = (entrypoint if entrypoint is not None else image_entrypoint) + (
            command if command is not None else ([] if entrypoint is not None else image_cmd)
        )
        if not argv or Path(argv[0]).name != "zpa-enricher":
            problem(f"{name}: runs {argv}, not zpa-enricher")
            continue
        args = argv[1:]
        subcommand = next((a for a in args if not a.startswith("-")), "")
        hc = svc.get("healthcheck") or {}
        if subcommand == "run":
            facts["settings"][name] = settings
            if not hc.get("test") or hc.get("disable"):
                problem(f"{name}: runs the service without a health check")
        elif subcommand == "receive":
            receiver = check_receiver_command(name, svc, args, binary)
            if receiver is not None:
                facts["receivers"][name] = receiver
            if not hc.get("test") or hc.get("disable"):
                problem(f"{name}: runs the receiver without a health check")
        elif not hc.get("disable"):
            problem(f"{name}: runs `{subcommand}`, which serves no /readyz, but keeps the image's "
                    "health check (set healthcheck: {disable: true})")
        if hc.get("test") and not hc.get("disable"):
            check_healthcheck(name, svc, hc["test"], binary)
        if subcommand == "generate":
            if check_generator(name, svc, args, binary):
                facts["generators"][name] = args
        elif subcommand not in ("run", "receive"):
            parsed = run([str(binary)] + args + ["--help"], env=process_env(svc))
            if parsed.returncode != 0:
                problem(f"{name}: command line {shlex.join(args)} does not parse:\n      "
                        f"{head(parsed.stderr)}")
    return facts


def check_receiver_command(name: str, svc: dict, args: list[str], binary: Path) -> dict | None:
    """The receiver's command line, flags and variables together, through --check-config; its
    effective settings (--print-config), or None when refused."""
    env = process_env(svc)
    check = run([str(binary)] + args + ["--check-config"], env=env)
    if check.returncode != 0:
        problem(f"{name}: `zpa-enricher {shlex.join(args)} --check-config` refuses the receiver's "
                f"command line or settings:\n      {tail(check.stderr + check.stdout)}")
        return None
    printed = run([str(binary)] + args + ["--print-config"], env=env)
    if printed.returncode != 0:
        problem(f"{name}: `zpa-enricher {shlex.join(args)} --print-config` fails:\n      "
                f"{tail(printed.stderr)}")
        return None
    settings = tomllib.loads(printed.stdout)
    receive = settings.get("receive") or {}
    if not receiver_ports(settings):
        problem(f"{name}: the receiver has no listener (--listen, receive.listen or "
                "receive.listeners)")
    ok(f"{name}: `zpa-enricher {shlex.join(args)}` and its variables accepted by --check-config "
       f"(listening on {', '.join(listen_addresses(settings)) or 'nothing'}, topic "
       f"{receive.get('topic')!r})")
    return settings


def listen_addresses(settings: dict) -> list[str]:
    """The addresses the receiver's listeners bind: receive.listen and receive.listeners."""
    receive = settings.get("receive") or {}
    addresses = list(receive.get("listen") or [])
    addresses += [entry.get("addr", "") for entry in receive.get("listeners") or []]
    return [a for a in addresses if a]


def receiver_ports(settings: dict) -> set[int]:
    return {port for _, port in map(host_port, listen_addresses(settings)) if port is not None}


def check_healthcheck(name: str, svc: dict, test: list[str], binary: Path) -> None:
    if test[0] != "CMD":
        problem(f"{name}: health check {test} needs a shell, which the image does not have")
        return
    argv = test[1:]
    if Path(argv[0]).name != "zpa-enricher":
        problem(f"{name}: health check runs {argv[0]}, which the image does not have")
        return
    # Nothing listens on a closed port: a command line that parses and settings that load end
    # in "cannot reach"; a typo ends in a usage or settings error.
    closed = "127.0.0.1:1"
    args, env = argv[1:], process_env(svc)
    if flag_value(args, "--addr") is None:
        env["ZPA_ENRICHER__METRICS__ADDR"] = closed
        probe = list(args)
    else:
        probe = without_flags(args, {"--addr"}) + ["--addr", closed]
    if flag_value(probe, "--timeout-ms") is None:
        probe += ["--timeout-ms", "500"]
    out = run([str(binary)] + probe, env=env, timeout=30)
    if out.returncode != 1 or "cannot reach" not in out.stderr:
        problem(f"{name}: health check `{shlex.join(argv)}` does not parse or load the service's "
                f"settings (exit {out.returncode}):\n      {tail(out.stderr)}")
    else:
        ok(f"{name}: health check `{shlex.join(argv)}` parses and loads the service's settings")


def check_generator(name: str, svc: dict, args: list[str], binary: Path) -> bool:
    """True when the generator's command line works."""
    env = process_env(svc)
    # 1. Every flag as written, Kafka ones included, is known and its value valid (clap parses
    #    the whole line, values included, before it acts on --help).
    parsed = run([str(binary)] + args + ["--help"], env=env)
    if parsed.returncode != 0:
        problem(f"{name}: generator command line does not parse:\n      {head(parsed.stderr)}")
        return False
    if flag_value(args, "--tcp") is None:
        for flag in ("--topic", "--brokers"):
            if flag_value(args, flag) is None:
                problem(f"{name}: generator has neither --tcp nor {flag}")
    # 2. The same run, for real, with the settings loaded and the generator's own checks made:
    #    one second of records to /dev/null instead of an endless stream to Kafka or the
    #    receiver. Only --count, the destination flags and --output change; every other flag
    #    stays as written.
    rate = flag_value(args, "--rate")
    count = rate if rate and rate.isdigit() and int(rate) > 0 else "50"
    dry = without_flags(args, {"--count", "-n", "--topic", "--brokers", "--output", "-o", "--tcp",
                               "--tls-ca", "--tls-cert", "--tls-key", "--tls-server-name",
                               "--connect-deadline-secs"})
    dry += ["--count", count, "--output", os.devnull]
    out = run([str(binary)] + dry, env=env, timeout=120)
    if out.returncode != 0:
        problem(f"{name}: `zpa-enricher {shlex.join(dry)}` fails:\n      {head(out.stderr)}")
        return False
    ok(f"{name}: generator command line parses and runs ({count} records to /dev/null)")
    if flag_value(args, "--burst-every-secs") not in (None, "0"):
        code = flag_value(args, "--burst-code") or "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"
        if run([str(binary), "catalog", "show", code], env=env).returncode != 0:
            problem(f"{name}: burst code {code} is not in the catalog, so its bursts count as "
                    "__unknown__ and no per-code alert can fire")
        else:
            ok(f"{name}: burst code {code} is a catalog code")
    return True


# ------------------------------------------------------------------------------------------
# Wiring between services
# ------------------------------------------------------------------------------------------


def listen_ports(svc: dict) -> set[int]:
    return {int(p["target"]) for p in svc.get("ports") or []} | {
        int(p) for p in svc.get("expose") or []
    }


def host_port(address: str) -> tuple[str, int | None]:
    host, _, port = address.rpartition(":")
    return host, int(port) if port.isdigit() else None


def check_kafka_wiring(model: dict, facts: dict) -> None:
    mark = len(problems)
    services = model["services"]
    kafka, init = services.get("kafka"), services.get("kafka-init")
    if not kafka or not init:
        problem("the stack needs the services kafka and kafka-init")
        return
    kenv = service_env(kafka)
    advertised = {
        listener.split("://", 1)[-1].strip()
        for listener in kenv.get("KAFKA_ADVERTISED_LISTENERS", "").split(",")
    }
    for voter in kenv.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "").split(","):
        node, _, address = voter.partition("@")
        if node != str(kenv.get("KAFKA_NODE_ID")) or host_port(address)[0] != "kafka":
            problem(f"kafka: controller quorum voter {voter} is not this node "
                    f"({kenv.get('KAFKA_NODE_ID')}@kafka:...)")
    created = set(service_env(init).get("TOPICS", "").split())
    uses: list[tuple[str, str, str | None]] = []  # (service, Kafka addresses, topic)
    for name, settings in facts["settings"].items():
        k = settings.get("kafka", {})
        for topic in k.get("input_topics", []) + [k.get("output_topic"), k.get("dlq_topic")]:
            uses.append((name, k.get("brokers", ""), topic))
        if k.get("create_missing_topics"):
            problem(f"{name}: kafka.create_missing_topics is on; kafka-init creates the topics")
    for name, settings in facts["receivers"].items():
        k, receive = settings.get("kafka", {}), settings.get("receive", {})
        topics = [receive.get("topic"), k.get("dlq_topic")]
        if receive.get("enrich"):
            topics.append(k.get("output_topic"))
        for topic in topics:
            uses.append((name, k.get("brokers", ""), topic))
        if k.get("create_missing_topics"):
            problem(f"{name}: kafka.create_missing_topics is on; kafka-init creates the topics")
    for name, args in facts["generators"].items():
        if flag_value(args, "--tcp") is None:
            uses.append((name, flag_value(args, "--brokers") or "", flag_value(args, "--topic") or ""))
    # Services of the Kafka image (topic creation): BOOTSTRAP.
    for name, svc in services.items():
        if name == "kafka" or svc.get("image") != kafka.get("image"):
            continue
        uses.append((name, service_env(svc).get("BOOTSTRAP", ""), None))
    addresses = {(name, b.strip()) for name, brokers, _ in uses for b in brokers.split(",")}
    for name, broker in sorted(addresses):
        if broker not in advertised:
            problem(f"{name}: Kafka address {broker!r} is not an advertised listener of kafka "
                    f"({', '.join(sorted(advertised))})")
    for name, _, topic in uses:
        if topic is not None and topic not in created:
            problem(f"{name}: topic {topic!r} is not created by kafka-init "
                    f"(TOPICS: {' '.join(sorted(created))})")
    if len(problems) == mark:
        ok(f"kafka: every client uses an advertised listener; kafka-init creates every topic used "
           f"({', '.join(sorted(created))})")


def check_receiver_wiring(model: dict, facts: dict) -> None:
    """Every `generate --tcp` streams to a port one of the receivers' listeners binds."""
    mark, count = len(problems), 0
    services = model["services"]
    for name, args in facts["generators"].items():
        target = flag_value(args, "--tcp")
        if target is None:
            continue
        count += 1
        host, port = host_port(target)
        if host not in facts["receivers"]:
            problem(f"{name}: --tcp {target}: {host} is not a service running the receiver "
                    f"(receivers: {', '.join(sorted(facts['receivers'])) or 'none'})")
            continue
        ports = receiver_ports(facts["receivers"][host])
        if port not in ports:
            problem(f"{name}: --tcp {target}: the receiver {host} listens on {sorted(ports)}")
        check_url(f"{name} --tcp", target, services)
        waits = (services[name].get("depends_on") or {}).get(host, {}).get("condition")
        if waits != "service_healthy":
            problem(f"{name}: streams to {host} but does not wait for it to be healthy "
                    "(depends_on: {condition: service_healthy})")
    if len(problems) == mark and count:
        ok(f"receiver: {count} generator(s) stream to ports the receiver's listeners bind, once it "
           "is healthy")


def container_to_host(svc: dict, path: str) -> Path | None:
    """The host path of a container path, through the service's bind mounts."""
    best = None
    for vol in svc.get("volumes") or []:
        if vol.get("type") != "bind":
            continue
        target = vol["target"].rstrip("/")
        if path == target or path.startswith(target + "/"):
            if best is None or len(target) > len(best[0]):
                best = (target, Path(vol["source"]) / path[len(target):].lstrip("/"))
    return best[1] if best else None


def check_url(owner: str, url: str, services: dict) -> None:
    parsed = urlparse(url if "://" in url else f"http://{url}")
    host, port = parsed.hostname, parsed.port
    if host not in services:
        problem(f"{owner}: {url} does not name a service of the stack")
    elif port is not None and port not in listen_ports(services[host]):
        problem(f"{owner}: {url}: {host} listens on {sorted(listen_ports(services[host]))}, "
                f"not {port}")


# ------------------------------------------------------------------------------------------
# Prometheus and Alertmanager
# ------------------------------------------------------------------------------------------


def check_prometheus(model: dict, facts: dict) -> dict | None:
    """Returns the configuration."""
    services = model["services"]
    prom = services.get("prometheus")
    if not prom:
        problem("the stack has no prometheus service")
        return None
    cfg_path = flag_value(prom.get("command") or [], "--config.file")
    host_cfg = container_to_host(prom, cfg_path) if cfg_path else None
    if not host_cfg or not host_cfg.is_file():
        problem(f"prometheus: --config.file {cfg_path} is not a mounted file")
        return None
    config = yaml.safe_load(host_cfg.read_text())
    # rule_files name container paths; promtool runs here, so it checks a copy whose rule files
    # are the host files mounted at those paths (a rule file that is not mounted is a problem).
    rules = []
    for pattern in config.get("rule_files") or []:
        host = container_to_host(prom, pattern)
        if host is None:
            problem(f"prometheus: rule file {pattern} is not mounted into the container")
            continue
        if not any(ch in str(host) for ch in "*?[") and not host.is_file():
            problem(f"prometheus: rule file {pattern} (host {host}) does not exist")
        rules.append(str(host))
    with tempfile.TemporaryDirectory() as tmp:
        tmp_cfg = Path(tmp) / "prometheus.yml"
        tmp_cfg.write_text(yaml.safe_dump(dict(config, rule_files=rules), sort_keys=False))
        out = run(["promtool", "check", "config", str(tmp_cfg)])
    if out.returncode != 0:
        problem(f"promtool check config {rel(host_cfg)} fails:\n      "
                f"{tail(out.stdout + out.stderr, 12)}")
    else:
        ok(f"promtool check config {rel(host_cfg)}: OK, with rule file(s) "
           f"{', '.join(rel(r) for r in rules)}")
    mark = len(problems)
    for am in (config.get("alerting") or {}).get("alertmanagers") or []:
        for sc in am.get("static_configs") or []:
            for target in sc.get("targets") or []:
                check_url("prometheus alerting", target, services)
    jobs = {job["job_name"]: job for job in config.get("scrape_configs") or []}
    if "zpa-enricher" not in jobs:
        problem('prometheus: no scrape job "zpa-enricher" (the rules and the dashboard select it)')
    for job_name, job in jobs.items():
        targets = [t for sc in job.get("static_configs") or [] for t in sc.get("targets") or []]
        for target in targets:
            if not target.startswith("localhost:"):
                check_url(f"prometheus job {job_name}", target, services)
        if job_name != "zpa-enricher":
            continue
        for svc_name, settings in {**facts["settings"], **facts["receivers"]}.items():
            port = host_port(settings.get("metrics", {}).get("addr", ""))[1]
            if f"{svc_name}:{port}" not in targets:
                problem(f"prometheus: job zpa-enricher scrapes {targets}, not {svc_name}:{port} "
                        "(the service's metrics.addr)")
            if port not in {int(p["target"]) for p in services[svc_name].get("ports") or []}:
                problem(f"{svc_name}: metrics port {port} is not published")
    if len(problems) == mark:
        ok("prometheus: scrapes the metrics ports of the enricher and the receiver as job "
           "zpa-enricher; alerts go to alertmanager")
    return config


def check_alertmanager(model: dict) -> None:
    am = model["services"].get("alertmanager")
    if not am:
        problem("the stack has no alertmanager service")
        return
    cfg_path = flag_value(am.get("command") or [], "--config.file")
    host_cfg = container_to_host(am, cfg_path) if cfg_path else None
    if not host_cfg or not host_cfg.is_file():
        problem(f"alertmanager: --config.file {cfg_path} is not a mounted file")
        return
    out = run(["amtool", "check-config", str(host_cfg)])
    if out.returncode != 0:
        problem(f"amtool check-config {rel(host_cfg)} fails:\n      {tail(out.stdout + out.stderr)}")
    else:
        ok(f"amtool check-config {rel(host_cfg)}: OK")


# ------------------------------------------------------------------------------------------
# Grafana
# ------------------------------------------------------------------------------------------


def provisioning_files(svc: dict, kind: str) -> list[Path]:
    host = container_to_host(svc, f"/etc/grafana/provisioning/{kind}")
    if host is None or not host.is_dir():
        problem(f"grafana: /etc/grafana/provisioning/{kind} is not a mounted directory")
        return []
    files = sorted(p for p in host.iterdir() if p.suffix in (".yml", ".yaml"))
    if not files:
        problem(f"grafana: no provisioning file in {rel(host)}")
    return files


def load_provisioning(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        problem(f"{rel(path)}: not YAML: {e}")
        return {}
    if not isinstance(doc, dict) or doc.get("apiVersion") != 1:
        problem(f"{rel(path)}: not a Grafana provisioning file (apiVersion: 1)")
        return {}
    return doc


def datasource_refs(node, out: list) -> None:
    """Every `datasource` reference of a dashboard (panels, targets, annotations, variables)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource" and value is not None:
                out.append(value)
            else:
                datasource_refs(value, out)
    elif isinstance(node, list):
        for item in node:
            datasource_refs(item, out)


def check_grafana(model: dict, prom_config: dict | None) -> None:
    mark = len(problems)
    services = model["services"]
    graf = services.get("grafana")
    if not graf:
        problem("the stack has no grafana service")
        return
    datasources = []
    for path in provisioning_files(graf, "datasources"):
        datasources += load_provisioning(path).get("datasources") or []
    by_uid = {ds.get("uid"): ds for ds in datasources}
    prom = [ds for ds in datasources if ds.get("type") == "prometheus"]
    ams = [ds for ds in datasources if ds.get("type") == "alertmanager"]
    if len(prom) != 1 or prom[0].get("uid") != "prometheus" or not prom[0].get("isDefault"):
        problem("grafana: needs one Prometheus data source, uid prometheus, the default")
    for ds in prom:
        jd = ds.get("jsonData") or {}
        if jd.get("manageAlerts") is not True:
            problem("grafana: the Prometheus data source does not show its alert rules "
                    "(jsonData.manageAlerts: true)")
        if jd.get("alertmanagerUid") and jd["alertmanagerUid"] not in by_uid:
            problem(f"grafana: alertmanagerUid {jd['alertmanagerUid']} is no provisioned data source")
        scrape = ((prom_config or {}).get("global") or {}).get("scrape_interval")
        if scrape and jd.get("timeInterval") != scrape:
            problem(f"grafana: Prometheus timeInterval {jd.get('timeInterval')} is not the scrape "
                    f"interval {scrape}")
    if len(ams) != 1 or (ams[0].get("jsonData") or {}).get("implementation") != "prometheus":
        problem("grafana: needs one Alertmanager data source with jsonData.implementation: prometheus")
    for ds in datasources:
        if ds.get("url"):
            check_url(f"grafana data source {ds.get('name')}", ds["url"], services)

    providers = []
    for path in provisioning_files(graf, "dashboards"):
        providers += load_provisioning(path).get("providers") or []
    dashboards = []
    for prov in providers:
        folder = ((prov.get("options") or {}).get("path") or "").rstrip("/")
        mounted = [
            v for v in graf.get("volumes") or []
            if v.get("type") == "bind" and (v["target"] == folder or v["target"].startswith(folder + "/"))
        ]
        if not folder or not mounted:
            problem(f"grafana: dashboard provider {prov.get('name')} reads {folder or '(no path)'}, "
                    "where nothing is mounted")
        for v in mounted:
            src = Path(v["source"])
            dashboards += sorted(src.glob("*.json")) if src.is_dir() else [src]
    if not providers:
        problem("grafana: no dashboard provider")
    home = service_env(graf).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home and not (container_to_host(graf, home) or Path("/nonexistent")).is_file():
        problem(f"grafana: home dashboard {home} is not a mounted file")
    titles = []
    for path in dashboards:
        if not path.is_file():
            continue  # reported with the host paths
        try:
            dash = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            problem(f"{rel(path)}: not JSON: {e}")
            continue
        variables = {
            v.get("name") for v in (dash.get("templating") or {}).get("list") or []
            if v.get("type") == "datasource"
        }
        refs: list = []
        datasource_refs(dash, refs)
        for ref in refs:
            uid = ref.get("uid") if isinstance(ref, dict) else ref
            if not isinstance(uid, str):
                continue
            if uid.startswith("$") and uid.strip("${}") in variables:
                continue
            if uid in by_uid or uid in ("-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana"):
                continue
            problem(f"{rel(path)}: data source {uid!r} is neither provisioned nor a data-source "
                    "variable of the dashboard")
        titles.append(f"{dash.get('title')!r} ({rel(path)}, {len(refs)} data-source references)")
    if len(problems) == mark:
        ok(f"grafana: data sources {', '.join(ds.get('name', '?') for ds in datasources)}; "
           f"dashboard {', '.join(titles)} provisioned where the provider reads")


# ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.environ.get("ZPA_ENRICHER_BIN", "target/debug/zpa-enricher"))
    args = parser.parse_args()
    binary = Path(args.bin) if Path(args.bin).is_absolute() else ROOT / args.bin
    for tool in ("promtool", "amtool"):
        if not shutil.which(tool):
            sys.exit(f"check_compose: {tool} is missing; run scripts/install_deploy_tools.sh")
    if not binary.is_file():
        sys.exit(f"check_compose: {binary} does not exist; build it with `cargo build`")

    compose, version = compose_command()
    model = load_model(compose, version)
    if model is not None:
        check_host_paths(model)
        check_images_and_lifecycle(model)
        facts = check_enricher_services(model, binary)
        check_kafka_wiring(model, facts)
        check_receiver_wiring(model, facts)
        prom_config = check_prometheus(model, facts)
        check_alertmanager(model)
        check_grafana(model, prom_config)

    print("\n".join(report))
    if problems:
        print(f"\ncheck_compose: {len(problems)} problem(s)")
        return 1
    print("\ncheck_compose: docker-compose.yml and deploy/compose/ are consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
