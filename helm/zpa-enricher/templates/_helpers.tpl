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
{{- $settings := deepCopy (.Values.config | default dict) }}
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
{{- $dir := include "zpa-enricher.tlsDir" $ }}
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
{{- toYaml $settings }}
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
