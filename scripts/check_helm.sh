#!/usr/bin/env bash
# Checks the Helm chart helm/zpa-enricher without a cluster:
#   1. chart metadata and values schema against the binary (scripts/check_manifests.py chart):
#      appVersion = crate version; the schema's settings keys = the binary's settings keys minus
#      the ones the chart sets; every schema enum value and bound is accepted by the binary;
#   2. helm lint --strict with the default values and with each ci/*-values.yaml;
#   3. helm template with each of them, for an old and a recent Kubernetes version;
#      kubernetes-validate --strict on the output (the Kubernetes API schemas of that version,
#      unknown fields refused), then scripts/check_manifests.py manifests: labels,
#      selectors, probes, resources, security context, volumes, the PrometheusRule and dashboard
#      against files/, termination grace period, and `zpa-enricher run --config ... --check-config`
#      on the settings and files exactly as the pod sees them;
#   4. values that must be refused: misspelt keys (values.schema.json) and combinations the
#      templates reject (HPA and KEDA together, SASL without a Secret, receiver listeners on one
#      port, receiver TLS without its Secret, ...).
#
# Tools: helm 3 in .tools/, PyYAML and kubernetes-validate in .tools/python, as installed by
# scripts/install_deploy_tools.sh. The binary is
# $ZPA_ENRICHER_BIN, or target/debug/zpa-enricher (built when missing). HELM and CHART override
# the helm binary and the chart directory.
set -euo pipefail
cd "$(dirname "$0")/.."

CHART=${CHART:-helm/zpa-enricher}
HELM=${HELM:-.tools/node_modules/.bin/helm}
RELEASE=zpa-enricher
NAMESPACE=zpa
# An old and a recent Kubernetes version the manifests are checked for (the chart itself
# declares kubeVersion >=1.23; the API schemas available start at 1.25).
KUBE_VERSIONS=(1.25.0 1.34.0)
export PYTHONPATH=".tools/python${PYTHONPATH:+:$PYTHONPATH}"

[ -x "$HELM" ] || { echo "helm not found at $HELM; run scripts/install_deploy_tools.sh" >&2; exit 1; }
python3 -c 'import yaml, kubernetes_validate' 2>/dev/null ||
  { echo "PyYAML or kubernetes-validate missing; run scripts/install_deploy_tools.sh" >&2; exit 1; }
for f in files/prometheus-rules.yml files/grafana-dashboard.json; do
  [ -s "$CHART/$f" ] || { echo "$CHART/$f is missing" >&2; exit 1; }
done

BIN=${ZPA_ENRICHER_BIN:-target/debug/zpa-enricher}
if [ ! -x "$BIN" ]; then
  echo "==> building $BIN"
  cargo build --locked --bin zpa-enricher
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=()
passed=0
ok() { passed=$((passed + 1)); }
bad() { failures+=("$1"); echo "FAIL $1" >&2; }

step() { printf '\n==> %s\n' "$*"; }

step "chart metadata and values schema against $BIN"
if python3 scripts/check_manifests.py chart --chart "$CHART" --binary "$BIN"; then ok; else bad "chart/schema check"; fi

# Value sets: the defaults, then each ci/*-values.yaml.
sets=(default)
for f in "$CHART"/ci/*-values.yaml; do if [ -e "$f" ]; then sets+=("$f"); fi; done

for set in "${sets[@]}"; do
  if [ "$set" = default ]; then values_args=(); label=default; else values_args=(-f "$set"); label=$(basename "$set" .yaml); fi

  step "helm lint --strict ($label)"
  if "$HELM" lint --strict "$CHART" "${values_args[@]}" >"$work/lint.out" 2>&1; then
    ok; grep -v '^\[INFO\]' "$work/lint.out" | sed '/^$/d' | tail -n 1
  else
    cat "$work/lint.out"; bad "helm lint --strict ($label)"
  fi

  for kube in "${KUBE_VERSIONS[@]}"; do
    step "helm template ($label, Kubernetes $kube) and manifest checks"
    out="$work/$label-$kube.yaml"
    if ! "$HELM" template "$RELEASE" "$CHART" --namespace "$NAMESPACE" --kube-version "$kube" \
        "${values_args[@]}" >"$out" 2>"$work/template.err"; then
      cat "$work/template.err"; bad "helm template ($label, $kube)"; continue
    fi
    # CRD kinds (ServiceMonitor, PrometheusRule, ScaledObject) have no schema here: --no-warn.
    if python3 -m kubernetes_validate --strict --quiet --no-warn -k "$kube" "$out"; then
      ok; echo "ok   Kubernetes $kube API schemas (strict)"
    else
      bad "Kubernetes $kube API schemas ($label)"
    fi
    check_values=()
    [ "$set" = default ] || check_values=(--values "$set")
    if python3 scripts/check_manifests.py manifests --chart "$CHART" --rendered "$out" --binary "$BIN" \
        --namespace "$NAMESPACE" --label "$label, Kubernetes $kube" "${check_values[@]}"; then
      ok
    else
      bad "manifest checks ($label, Kubernetes $kube)"
    fi
  done
done

step "values that must be refused"
# refuse NAME EXPECTED BAD GOOD: with the values BAD, helm lint --strict and helm template must
# both fail and say EXPECTED (so that an unrelated failure does not pass for the expected one);
# GOOD, the same values without the fault, must render (so that the refusal is about the fault).
refuse() {
  local name=$1 expected=$2 bad_values=$3 good_values=$4 out="$work/refuse.out"
  printf '%s\n' "$bad_values" >"$work/bad.yaml"
  printf '%s\n' "$good_values" >"$work/good.yaml"
  local tool
  for tool in lint template; do
    local -a cmd=("$HELM" lint --strict "$CHART" -f "$work/bad.yaml")
    [ "$tool" = template ] && cmd=("$HELM" template "$RELEASE" "$CHART" --kube-version "${KUBE_VERSIONS[-1]}" -f "$work/bad.yaml")
    if "${cmd[@]}" >"$out" 2>&1; then
      bad "helm $tool accepted $name"
    elif grep -qF -- "$expected" "$out"; then
      ok; echo "ok   helm $tool refuses $name"
    else
      bad "helm $tool refused $name without mentioning '$expected': $(tr '\n' ' ' <"$out" | cut -c1-300)"
    fi
  done
  if "$HELM" template "$RELEASE" "$CHART" --kube-version "${KUBE_VERSIONS[-1]}" -f "$work/good.yaml" >"$out" 2>&1; then
    ok
  else
    bad "$name: the corrected values are refused too: $(tr '\n' ' ' <"$out" | cut -c1-300)"
  fi
}
sasl=$'config:\n  kafka:\n    security:\n      protocol: sasl_ssl\n      sasl_username: u'
refuse top-level-typo "replicaCont" 'replicaCont: 3' 'replicaCount: 3'
refuse nested-typo "enabeld" $'serviceMonitor:\n  enabeld: true' $'serviceMonitor:\n  enabled: true'
refuse settings-typo "group_idd" $'config:\n  kafka:\n    group_idd: other' $'config:\n  kafka:\n    group_id: other'
refuse settings-wrong-type "max_in_flight" $'config:\n  kafka:\n    max_in_flight: "many"' \
  $'config:\n  kafka:\n    max_in_flight: 5000'
refuse settings-bad-enum "compression" $'config:\n  kafka:\n    compression: brotli' \
  $'config:\n  kafka:\n    compression: zstd'
refuse password-in-configmap "sasl_password" "$sasl"$'\n      sasl_password: hunter2\nkafka:\n  sasl:\n    existingSecret: s' \
  "$sasl"$'\nkafka:\n  sasl:\n    existingSecret: s'
refuse hpa-and-keda "enable at most one" $'autoscaling:\n  enabled: true\nkeda:\n  enabled: true' \
  $'autoscaling:\n  enabled: false\nkeda:\n  enabled: true'
refuse sasl-without-secret "kafka.sasl.existingSecret" "$sasl" "$sasl"$'\nkafka:\n  sasl:\n    existingSecret: s'
refuse tls-secret-with-plaintext "kafka.tls.existingSecret" $'kafka:\n  tls:\n    existingSecret: kafka-ca' \
  $'config:\n  kafka:\n    security:\n      protocol: ssl\nkafka:\n  tls:\n    existingSecret: kafka-ca'
refuse replace-without-catalog "replace" $'config:\n  catalog:\n    mode: replace' \
  $'config:\n  catalog:\n    mode: replace\ncatalogOverride:\n  enabled: true\n  existingConfigMap: zpa-catalog'
refuse catalog-without-content "catalogOverride.enabled" $'catalogOverride:\n  enabled: true' \
  $'catalogOverride:\n  enabled: true\n  content: |\n    catalog_version = "1"'
rcv=$'receiver:\n  enabled: true'
refuse receiver-without-listeners "receiver.listeners" "$rcv"$'\n  listeners: []' "$rcv"
refuse receiver-port-twice "port 9018 is used twice" \
  "$rcv"$'\n  listeners:\n    - {name: a, port: 9018}\n    - {name: b, port: 9018}' \
  "$rcv"$'\n  listeners:\n    - {name: a, port: 9018}\n    - {name: b, port: 9019}'
refuse receiver-privileged-port "receiver.listeners.0.port" "$rcv"$'\n  listeners:\n    - {name: syslog, port: 514}' \
  "$rcv"$'\n  listeners:\n    - {name: syslog, port: 1514, servicePort: 514}'
refuse receiver-listener-typo "logtype" "$rcv"$'\n  listeners:\n    - {name: a, port: 9018, logtype: audit}' \
  "$rcv"$'\n  listeners:\n    - {name: a, port: 9018, logType: audit}'
refuse receiver-format-and-template "format or template" \
  "$rcv"$'\n  listeners:\n    - {name: a, port: 9018, format: csv, template: "%s{Customer}"}' \
  "$rcv"$'\n  listeners:\n    - {name: a, port: 9018, template: "%s{Customer}"}'
refuse receiver-tls-without-secret "receiver.tls.existingSecret" "$rcv"$'\n  tls:\n    enabled: true' \
  "$rcv"$'\n  tls:\n    enabled: true\n    existingSecret: receiver-tls'
refuse receiver-client-ca-without-tls "receiver.tls.enabled is false" "$rcv"$'\n  tls:\n    clientCaSecret: enrollment-ca' \
  "$rcv"$'\n  tls:\n    enabled: true\n    existingSecret: receiver-tls\n    clientCaSecret: enrollment-ca'
refuse receiver-traffic-policy-on-clusterip "externalTrafficPolicy" "$rcv"$'\n  service:\n    type: ClusterIP' \
  "$rcv"$'\n  service:\n    type: ClusterIP\n    externalTrafficPolicy: ""'

echo
echo "helm chart checks: ${passed} passed, ${#failures[@]} failed (value sets: ${#sets[@]}, Kubernetes ${KUBE_VERSIONS[*]})"
if [ ${#failures[@]} -gt 0 ]; then
  printf '  - %s\n' "${failures[@]}"
  exit 1
fi
echo "helm chart OK"
