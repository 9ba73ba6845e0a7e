{{/*
Chart name, shortened to the 63 characters a label value may have.
*/}}
{{- define "zpa-enricher.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources: <release>-<chart>, or <release> when it already contains
the chart name.
*/}}
{{- define "zpa-enricher.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "zpa-enricher.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "zpa-enricher.labels" -}}
helm.sh/chart: {{ include "zpa-enricher.chart" . }}
{{ include "zpa-enricher.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: zpa-enricher
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels that select the pods (Deployment, Service, PodDisruptionBudget); never change them on
upgrade, a Deployment's selector is immutable.
*/}}
{{- define "zpa-enricher.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zpa-enricher.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount.
*/}}
{{- define "zpa-enricher.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zpa-enricher.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The container image: repository@digest, or repository:tag (the tag defaults to appVersion).
*/}}
{{- define "zpa-enricher.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Where the settings, the catalog override and the TLS material are mounted.
*/}}
{{- define "zpa-enricher.configDir" -}}/etc/zpa-enricher/config{{- end }}
{{- define "zpa-enricher.catalogDir" -}}/etc/zpa-enricher/catalog{{- end }}
{{- define "zpa-enricher.tlsDir" -}}/etc/zpa-enricher/kafka-tls{{- end }}

{{/*
Name of the ConfigMap holding the catalog override, and the file name in it.
*/}}
{{- define "zpa-enricher.catalogConfigMapName" -}}
{{- if .Values.catalogOverride.existingConfigMap }}
{{- .Values.catalogOverride.existingConfigMap }}
{{- else }}
{{- printf "%s-catalog" (include "zpa-enricher.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "zpa-enricher.catalogFileName" -}}
{{- if .Values.catalogOverride.existingConfigMap }}
{{- .Values.catalogOverride.existingConfigMapKey }}
{{- else }}
{{- $format := .Values.catalogOverride.format }}
{{- if not $format }}
{{- /* Not given: JSON when the content is a JSON object, else TOML. */}}
{{- $format = ternary "json" "toml" (hasPrefix "{" (trim .Values.catalogOverride.content)) }}
{{- end }}
{{- printf "catalog.%s" $format }}
{{- end }}
{{- end }}

{{/*
config.kafka.security.protocol in lower case (the service ignores letter case, so SASL_SSL as in
Kafka's own settings works), defaulting to plaintext as the service does.
*/}}
{{- define "zpa-enricher.protocol" -}}
{{- dig "kafka" "security" "protocol" "plaintext" (.Values.config | default dict) | lower }}
{{- end }}

{{/*
The settings file: .Values.config plus what the chart sets (metrics address, mounted catalog and
TLS files). Secrets never go here; they come from the environment.
*/}}
{{- define "zpa-enricher.settings" -}}
{{- $settings := dict }}
{{- include "zpa-enricher.settingsInto" (dict "root" . "out" $settings) }}
{{- toYaml $settings }}
{{- end }}

{{/*
Fills the map .out with the settings of zpa-enricher.settings, for the root context .root. A map
rather than YAML text: fromYaml would turn every number into a float, and toYaml writes a large
float such as 1000000 as 1e+06, which is not what the settings said.
*/}}
{{- define "zpa-enricher.settingsInto" -}}
{{- $root := .root }}
{{- $settings := .out }}
{{- range $key, $value := deepCopy ($root.Values.config | default dict) }}
{{- $_ := set $settings $key $value }}
{{- end }}
{{- with $root }}
{{- $_ := set $settings "metrics" (dict "addr" (printf "0.0.0.0:%d" (int .Values.containerPorts.metrics))) }}
{{- if .Values.catalogOverride.enabled }}
{{- $catalog := get $settings "catalog" | default dict }}
{{- $_ := set $catalog "path" (printf "%s/%s" (include "zpa-enricher.catalogDir" .) (include "zpa-enricher.catalogFileName" .)) }}
{{- $_ := set $settings "catalog" $catalog }}
{{- end }}
{{- with .Values.kafka.tls }}
{{- if .existingSecret }}
{{- $kafka := get $settings "kafka" | default dict }}
{{- $security := get $kafka "security" | default dict }}
{{- $dir := include "zpa-enricher.tlsDir" $root }}
{{- if .caKey }}
{{- $_ := set $security "ca_file" (printf "%s/%s" $dir .caKey) }}
{{- end }}
{{- if .certKey }}
{{- $_ := set $security "cert_file" (printf "%s/%s" $dir .certKey) }}
{{- $_ := set $security "key_file" (printf "%s/%s" $dir .keyKey) }}
{{- end }}
{{- $_ := set $kafka "security" $security }}
{{- $_ := set $settings "kafka" $kafka }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
config.service.shutdown_grace_period_secs (default 25, as in the service) plus
terminationGracePeriodExtraSeconds.
*/}}
{{- define "zpa-enricher.terminationGracePeriodSeconds" -}}
{{- $grace := dig "service" "shutdown_grace_period_secs" 25 (.Values.config | default dict) | int }}
{{- add $grace (int .Values.terminationGracePeriodExtraSeconds) }}
{{- end }}

{{/*
Combinations of values that cannot work, reported before anything is installed.
*/}}
{{- define "zpa-enricher.validate" -}}
{{- if and .Values.autoscaling.enabled .Values.keda.enabled }}
{{- fail "autoscaling.enabled and keda.enabled: enable at most one (KEDA makes its own HorizontalPodAutoscaler)" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (not (or .Values.autoscaling.targetCPUUtilizationPercentage .Values.autoscaling.targetMemoryUtilizationPercentage .Values.autoscaling.consumerLag.enabled)) }}
{{- fail "autoscaling.enabled: set targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage or consumerLag.enabled" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and .Values.keda.enabled (gt (int .Values.keda.minReplicaCount) (int .Values.keda.maxReplicaCount)) }}
{{- fail "keda.minReplicaCount must not exceed keda.maxReplicaCount" }}
{{- end }}
{{- if and .Values.keda.enabled (eq .Values.keda.trigger "prometheus") (eq (int .Values.keda.minReplicaCount) 0) }}
{{- fail "keda.minReplicaCount: the prometheus trigger needs at least 1 (the lag metric comes from running replicas); use the kafka trigger to scale to zero" }}
{{- end }}
{{- $protocol := include "zpa-enricher.protocol" . }}
{{- $username := dig "kafka" "security" "sasl_username" "" (.Values.config | default dict) }}
{{- $sasl := has $protocol (list "sasl_plaintext" "sasl_ssl") }}
{{- $tls := has $protocol (list "ssl" "sasl_ssl") }}
{{- with .Values.kafka.sasl }}
{{- if and $sasl (not .existingSecret) }}
{{- fail (printf "kafka.sasl.existingSecret: config.kafka.security.protocol %s needs a Secret with the SASL password" $protocol) }}
{{- end }}
{{- if and .existingSecret (not $sasl) }}
{{- fail (printf "kafka.sasl.existingSecret is set but config.kafka.security.protocol is %s (use sasl_ssl or sasl_plaintext)" $protocol) }}
{{- end }}
{{- if and $sasl (not .usernameKey) (not $username) }}
{{- fail "kafka.sasl.usernameKey or config.kafka.security.sasl_username: the SASL user name is missing" }}
{{- end }}
{{- if and $sasl .usernameKey $username }}
{{- fail "kafka.sasl.usernameKey and config.kafka.security.sasl_username: set the user name in one place only" }}
{{- end }}
{{- end }}
{{- with .Values.kafka.tls }}
{{- if and .existingSecret (not $tls) }}
{{- fail (printf "kafka.tls.existingSecret is set but config.kafka.security.protocol is %s (use ssl or sasl_ssl)" $protocol) }}
{{- end }}
{{- if and .existingSecret (not .caKey) (not .certKey) }}
{{- fail "kafka.tls.existingSecret: set caKey, or certKey and keyKey, to say which files to use" }}
{{- end }}
{{- if ne (empty .certKey) (empty .keyKey) }}
{{- fail "kafka.tls.certKey and kafka.tls.keyKey go together (mutual TLS needs both)" }}
{{- end }}
{{- if and .keyPasswordKey (not .keyKey) }}
{{- fail "kafka.tls.keyPasswordKey needs kafka.tls.keyKey" }}
{{- end }}
{{- if and (or .certKey .keyPasswordKey) (not .existingSecret) }}
{{- fail "kafka.tls.certKey, keyKey and keyPasswordKey need kafka.tls.existingSecret" }}
{{- end }}
{{- end }}
{{- $mode := dig "catalog" "mode" "extend" (.Values.config | default dict) }}
{{- with .Values.catalogOverride }}
{{- if and (eq $mode "replace") (not .enabled) }}
{{- fail "config.catalog.mode \"replace\" needs catalogOverride.enabled with the catalog to use" }}
{{- end }}
{{- if and .enabled (not .content) (not .existingConfigMap) }}
{{- fail "catalogOverride.enabled: set content or existingConfigMap" }}
{{- end }}
{{- if and .enabled .content .existingConfigMap }}
{{- fail "catalogOverride: set content or existingConfigMap, not both" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The LSS receiver (`zpa-enricher receive`, receiver.enabled): its own Deployment, Services,
PodDisruptionBudget and ServiceMonitor. Its app.kubernetes.io/name is the chart name plus
"-receiver", so that the enricher's selectors (name and instance, immutable) never match the
receiver's pods or Services.
*/}}
{{- define "zpa-enricher.receiver.fullname" -}}
{{- printf "%s-receiver" (include "zpa-enricher.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "zpa-enricher.receiver.metricsServiceName" -}}
{{- printf "%s-metrics" (include "zpa-enricher.receiver.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "zpa-enricher.receiver.name" -}}
{{- printf "%s-receiver" (include "zpa-enricher.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that select the receiver's pods; never change them on upgrade.
*/}}
{{- define "zpa-enricher.receiver.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zpa-enricher.receiver.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: receiver
{{- end }}

{{/*
Labels of every receiver resource.
*/}}
{{- define "zpa-enricher.receiver.labels" -}}
helm.sh/chart: {{ include "zpa-enricher.chart" . }}
{{ include "zpa-enricher.receiver.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: zpa-enricher
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Where the receiver's TLS files are mounted, and their names there (fixed, so that keys of the
same name in two Secrets do not collide).
*/}}
{{- define "zpa-enricher.receiver.tlsDir" -}}/etc/zpa-enricher/receiver-tls{{- end }}

{{/*
Name of a listener's container port: lss-<port> (at most 15 characters, as a port name must be).
*/}}
{{- define "zpa-enricher.receiver.portName" -}}
{{- printf "lss-%d" (int .port) }}
{{- end }}

{{/*
The receiver's settings file: the shared settings (zpa-enricher.settings: config, metrics.addr,
the Kafka TLS files) plus the [receive] section: config.receive, the listeners from
receiver.listeners, and the TLS files mounted from receiver.tls.
*/}}
{{- define "zpa-enricher.receiver.settings" -}}
{{- $settings := dict }}
{{- include "zpa-enricher.settingsInto" (dict "root" . "out" $settings) }}
{{- $receive := get $settings "receive" | default dict }}
{{- $listeners := list }}
{{- range .Values.receiver.listeners }}
{{- $l := dict "name" .name "addr" (printf "%s:%d" $.Values.receiver.bindAddress (int .port)) }}
{{- if .logType }}{{ $_ := set $l "log_type" .logType }}{{ end }}
{{- if .format }}{{ $_ := set $l "format" .format }}{{ end }}
{{- if .template }}{{ $_ := set $l "template" .template }}{{ end }}
{{- if .maxConnections }}{{ $_ := set $l "max_connections" (int .maxConnections) }}{{ end }}
{{- $listeners = append $listeners $l }}
{{- end }}
{{- $_ := set $receive "listen" (list) }}
{{- $_ := set $receive "listeners" $listeners }}
{{- with .Values.receiver.tls }}
{{- if .enabled }}
{{- $dir := include "zpa-enricher.receiver.tlsDir" $ }}
{{- $_ := set $receive "tls_cert" (printf "%s/server.crt" $dir) }}
{{- $_ := set $receive "tls_key" (printf "%s/server.key" $dir) }}
{{- if .clientCaSecret }}
{{- $_ := set $receive "client_ca" (printf "%s/client-ca.crt" $dir) }}
{{- $_ := set $receive "mtls" true }}
{{- else }}
{{- $_ := set $receive "mtls" false }}
{{- end }}
{{- end }}
{{- end }}
{{- $_ := set $settings "receive" $receive }}
{{- toYaml $settings }}
{{- end }}

{{/*
Receiver values that cannot work, reported before anything is installed.
*/}}
{{- define "zpa-enricher.receiver.validate" -}}
{{- with .Values.receiver }}
{{- if not .listeners }}
{{- fail "receiver.listeners: the receiver needs at least one listener (name and port)" }}
{{- end }}
{{- $names := dict }}
{{- $ports := dict }}
{{- $servicePorts := dict }}
{{- range .listeners }}
{{- if hasKey $names .name }}
{{- fail (printf "receiver.listeners: the name %s is used twice (names label the metrics and must be unique)" .name) }}
{{- end }}
{{- $_ := set $names .name true }}
{{- $port := toString (int .port) }}
{{- if hasKey $ports $port }}
{{- fail (printf "receiver.listeners: port %s is used twice" $port) }}
{{- end }}
{{- $_ := set $ports $port true }}
{{- if eq (int .port) (int $.Values.containerPorts.metrics) }}
{{- fail (printf "receiver.listeners: port %s is containerPorts.metrics, the metrics port" $port) }}
{{- end }}
{{- $servicePort := toString (int (.servicePort | default .port)) }}
{{- if hasKey $servicePorts $servicePort }}
{{- fail (printf "receiver.listeners: Service port %s is used twice (servicePort, or port when servicePort is not set)" $servicePort) }}
{{- end }}
{{- $_ := set $servicePorts $servicePort true }}
{{- if and .template .format }}
{{- fail (printf "receiver.listeners %s: set format or template, not both (a template decides the format)" .name) }}
{{- end }}
{{- if and .nodePort (eq $.Values.receiver.service.type "ClusterIP") }}
{{- fail (printf "receiver.listeners %s: nodePort needs receiver.service.type NodePort or LoadBalancer" .name) }}
{{- end }}
{{- end }}
{{- with .tls }}
{{- if and .enabled (not .existingSecret) }}
{{- fail "receiver.tls.enabled: set receiver.tls.existingSecret, the Secret with the server certificate and key" }}
{{- end }}
{{- if and (not .enabled) (or .existingSecret .clientCaSecret) }}
{{- fail "receiver.tls.existingSecret or clientCaSecret is set but receiver.tls.enabled is false (the listeners would be plain TCP)" }}
{{- end }}
{{- end }}
{{- if and .service.externalTrafficPolicy (eq .service.type "ClusterIP") }}
{{- fail "receiver.service.externalTrafficPolicy applies to LoadBalancer and NodePort Services only; set it to \"\" for ClusterIP" }}
{{- end }}
{{- end }}
{{- end }}
