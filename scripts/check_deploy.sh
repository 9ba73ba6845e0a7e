#!/usr/bin/env bash
# Checks every deployment artifact with the real tool, no Docker engine or cluster needed:
#   YAML files                 yamllint (.yamllint.yml), on every tracked .yml/.yaml but templates
#   Dockerfile                 hadolint, build inputs, runtime user, HEALTHCHECK, shared libraries
#   alert rules and dashboard  promtool check/test rules, dashboard and metric names against the
#                              binary, a unit test for every alert
#   Helm chart                 helm lint --strict, helm template (default and ci/*-values.yaml),
#                              kubernetes-validate --strict, the rendered manifests against each
#                              other and the binary (`zpa-enricher --check-config`)
#   docker-compose.yml         docker compose config, mounts, settings and command lines against
#                              the binary, wiring, promtool/amtool check config, Grafana files
#   deploy/elastic/            the Filebeat, Logstash and Kafka Connect files parse and agree
#                              with each other and config/default.toml (topic, data stream)
#   Splunk app                 packaged as Splunk installs it, splunk-appinspect --mode precert
#                              with no failure or error; the Kafka connector configuration
# Tools: scripts/install_deploy_tools.sh. The binary: $ZPA_ENRICHER_BIN or target/debug/zpa-enricher.
set -euo pipefail
cd "$(dirname "$0")/.."

export ZPA_ENRICHER_BIN="${ZPA_ENRICHER_BIN:-target/debug/zpa-enricher}"
[ -x "$ZPA_ENRICHER_BIN" ] || cargo build --locked --quiet

step() { printf '\n==> %s\n' "$*"; }
step "YAML files (yamllint)"
git ls-files -z '*.yml' '*.yaml' ':!:helm/*/templates/*' |
  PYTHONPATH=.tools/python xargs -0 python3 -m yamllint --strict
echo "ok"
step "Dockerfile";                 python3 scripts/check_dockerfile.py
step "alert rules and dashboard";  bash scripts/check_monitoring.sh
step "Helm chart";                 bash scripts/check_helm.sh
step "docker-compose.yml";         bash scripts/check_compose.sh
step "Elasticsearch shipping";     PYTHONPATH=.tools/python python3 scripts/check_elastic.py
step "Splunk app (appinspect)";    bash scripts/check_splunk_app.sh
printf '\ndeployment artifacts OK\n'
