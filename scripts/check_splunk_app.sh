#!/usr/bin/env bash
# Checks the Splunk app (deploy/splunk/zpa_enricher) with splunk-appinspect and the Splunk
# Connect for Kafka connector configuration beside it. See scripts/check_splunk_app.py.
#
# Needs: the tools of scripts/install_deploy_tools.sh (splunk-appinspect) and libmagic.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=".tools/python${PYTHONPATH:+:$PYTHONPATH}"
exec python3 scripts/check_splunk_app.py "$@"
