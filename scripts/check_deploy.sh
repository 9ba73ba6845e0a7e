#!/usr/bin/env bash
# Checks every deployment artifact with the real tool, no Docker engine or cluster needed:
#   Dockerfile                 hadolint, build inputs, runtime user, HEALTHCHECK, shared libraries
#   alert rules and dashboard  promtool check/test rules, dashboard structure and metric names
#   Helm chart                 helm lint/template (default and ci/*-values.yaml), rendered manifests,
#                              the rendered settings through `zpa-enricher --check-config`
#   docker-compose.yml         docker compose config, mounts, settings, Prometheus/Alertmanager
# Tools: scripts/install_deploy_tools.sh. The binary: $ZPA_ENRICHER_BIN or target/debug/zpa-enricher.
set -euo pipefail
cd "$(dirname "$0")/.."

export ZPA_ENRICHER_BIN="${ZPA_ENRICHER_BIN:-target/debug/zpa-enricher}"
[ -x "$ZPA_ENRICHER_BIN" ] || cargo build --locked --quiet

step() { printf '\n==> %s\n' "$*"; }
step "Dockerfile";                 python3 scripts/check_dockerfile.py
step "alert rules and dashboard";  bash scripts/check_monitoring.sh
step "Helm chart";                 bash scripts/check_helm.sh
step "docker-compose.yml";         bash scripts/check_compose.sh
printf '\ndeployment artifacts OK\n'
