#!/usr/bin/env bash
# Checks the monitoring files that the compose stack and the Helm chart share:
#   helm/zpa-enricher/files/prometheus-rules.yml   promtool check rules
#   tests/monitoring/*.test.yml                     promtool test rules (alert unit tests)
#   helm/zpa-enricher/files/grafana-dashboard.json  scripts/check_dashboard.py (dashboard, the
#                                                   metric names of rules and dashboard against
#                                                   src/metrics/, and a unit test for every alert)
# Needs promtool (Debian package prometheus) and PyYAML in .tools/python
# (scripts/install_deploy_tools.sh). Exits non-zero on the first failing check.
set -euo pipefail

cd "$(dirname "$0")/.."
export PYTHONPATH=.tools/python${PYTHONPATH:+:$PYTHONPATH}

RULES=helm/zpa-enricher/files/prometheus-rules.yml
DASHBOARD=helm/zpa-enricher/files/grafana-dashboard.json

if ! command -v promtool >/dev/null; then
    echo "check_monitoring: promtool not found (install the Debian package prometheus, see scripts/install_deploy_tools.sh)" >&2
    exit 1
fi

shopt -s nullglob
TESTS=(tests/monitoring/*.test.yml)
if [ ${#TESTS[@]} -eq 0 ]; then
    echo "check_monitoring: no rule unit tests in tests/monitoring" >&2
    exit 1
fi

echo "== promtool check rules $RULES ($(promtool --version 2>&1 | head -n1))"
promtool check rules "$RULES"

echo "== promtool test rules ${TESTS[*]}"
promtool test rules "${TESTS[@]}"

echo "== scripts/check_dashboard.py $DASHBOARD"
python3 scripts/check_dashboard.py \
    --dashboard "$DASHBOARD" \
    --rules "$RULES" \
    --tests "${TESTS[@]}" \
    --metrics-source src/metrics \
    --promtool promtool

echo "check_monitoring: OK: rules, ${#TESTS[@]} rule test files and the dashboard"
