#!/usr/bin/env bash
# Checks the demo stack (docker-compose.yml, deploy/compose/) without a Docker engine: Docker
# Compose v2 validates the file, promtool and amtool the Prometheus and Alertmanager
# configurations, and the zpa-enricher binary the settings and command lines the stack gives it.
# See scripts/check_compose.py for the full list.
#
# Needs: the tools of scripts/install_deploy_tools.sh (Docker Compose v2, promtool, amtool,
# PyYAML) and a built binary (`cargo build`; another one with ZPA_ENRICHER_BIN=path).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=".tools/python${PYTHONPATH:+:$PYTHONPATH}"
exec python3 scripts/check_compose.py "$@"
