{{/* Chart name, overridable. */}}
{{- define "iceberg-online.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 45 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources. Flink caps a cluster id (the FlinkDeployment name) at 45
characters, so names are cut there rather than at Kubernetes' 63.
*/}}
{{- define "iceberg-online.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "iceberg-online.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "iceberg-online.labels" -}}
helm.sh/chart: {{ include "iceberg-online.chart" . }}
{{ include "iceberg-online.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "iceberg-online.selectorLabels" -}}
app.kubernetes.io/name: {{ include "iceberg-online.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "iceberg-online.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "iceberg-online.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "iceberg-online.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Where the job config and the enrichment SQL scripts are mounted, and the job jar. */}}
{{- define "iceberg-online.configDir" -}}/opt/iceberg-online/config{{- end }}

{{/*
The Protobuf descriptor sets of the views that give one (protobufDescriptorSet, base64), as a
ConfigMap's binaryData: <view name>.desc, which the job config names as the view's
protobuf_descriptor_file in the config directory.
*/}}
{{- define "iceberg-online.descriptorSets" -}}
{{- range $view := .Values.featureViews }}
{{- with $view.protobufDescriptorSet }}
{{ $view.name }}.desc: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- define "iceberg-online.sqlDir" -}}/opt/iceberg-online/sql{{- end }}
{{- define "iceberg-online.jarURI" -}}local:///opt/flink/usrlib/iceberg-online-job.jar{{- end }}
{{- define "iceberg-online.entryClass" -}}io.icebergonline.job.Main{{- end }}

{{/*
Fails when a property whose key looks secret (the job's own list: secret, password, token,
credential, session-key, sasl.jaas) holds anything but ${NAME} references without defaults, so
that credentials reach the job only through environment variables, never through a ConfigMap.
Call with (dict "path" "onlineStore.properties" "properties" $map).
*/}}
{{- define "iceberg-online.requireSecretReferences" -}}
{{- range $key, $value := .properties }}
{{- $text := toString $value }}
{{- if and (regexMatch "(?i)secret|password|token|credential|session-key|sasl\\.jaas" $key) (or (not (regexMatch "\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}" $text)) (regexMatch "\\$\\{[A-Za-z_][A-Za-z0-9_]*:-" $text)) }}
{{- fail (printf "%s.%s looks like a secret: write \"${NAME}\" (no default) and set NAME from existingSecret through secretEnv, so the value stays out of the ConfigMap" $.path $key) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The job config file (job.yaml): the values mapped to the job's snake_case keys. */}}
{{- define "iceberg-online.jobConfig" -}}
{{- $store := .Values.onlineStore }}
{{- include "iceberg-online.requireSecretReferences" (dict "path" "onlineStore.properties" "properties" $store.properties) }}
{{- include "iceberg-online.requireSecretReferences" (dict "path" "kafka.properties" "properties" .Values.kafka.properties) }}
{{- $onlineStore := dict "type" "iceberg" "catalog_type" $store.catalogType "catalog_name" $store.catalogName "namespace" $store.namespace }}
{{- with $store.uri }}{{ $_ := set $onlineStore "uri" . }}{{ end }}
{{- with $store.warehouse }}{{ $_ := set $onlineStore "warehouse" . }}{{ end }}
{{- with $store.properties }}{{ $_ := set $onlineStore "properties" . }}{{ end }}
{{- $kafka := dict "bootstrap_servers" .Values.kafka.bootstrapServers "group_id" .Values.kafka.groupId }}
{{- with .Values.kafka.properties }}{{ $_ := set $kafka "properties" . }}{{ end }}
{{- $views := list }}
{{- range .Values.featureViews }}
{{- $view := dict "name" .name "topic" .topic "entities" .entities "features" .features }}
{{- with .timestampField }}{{ $_ := set $view "timestamp_field" . }}{{ end }}
{{- with .createdTimestampColumn }}{{ $_ := set $view "created_timestamp_column" . }}{{ end }}
{{- with .ttl }}{{ $_ := set $view "ttl" . }}{{ end }}
{{- with .buckets }}{{ $_ := set $view "buckets" . }}{{ end }}
{{- with .timestampUnit }}{{ $_ := set $view "timestamp_unit" . }}{{ end }}
{{- with .deleteRetention }}{{ $_ := set $view "delete_retention" . }}{{ end }}
{{- with .format }}{{ $_ := set $view "format" . }}{{ end }}
{{- with .avroSchema }}{{ $_ := set $view "avro_schema" . }}{{ end }}
{{- with .protobufMessage }}{{ $_ := set $view "protobuf_message" . }}{{ end }}
{{- if .protobufDescriptorSet }}{{ $_ := set $view "protobuf_descriptor_file" (printf "%s/%s.desc" (include "iceberg-online.configDir" $) .name) }}{{ end }}
{{- with .schemaRegistry }}{{ $_ := set $view "schema_registry" (include "iceberg-online.schemaRegistry" (dict "path" "featureViews[].schemaRegistry" "registry" .) | fromYaml) }}{{ end }}
{{- $views = append $views $view }}
{{- end }}
{{- $config := dict "online_store" $onlineStore "kafka" $kafka "dead_letter_topic" .Values.deadLetterTopic "feature_views" $views }}
{{- with .Values.featureServices }}{{ $_ := set $config "feature_services" . }}{{ end }}
{{- with .Values.pushSources }}{{ $_ := set $config "push_sources" . }}{{ end }}
{{- with .Values.schemaRegistry }}{{ $_ := set $config "schema_registry" (include "iceberg-online.schemaRegistry" (dict "path" "schemaRegistry" "registry" .) | fromYaml) }}{{ end }}
{{- with .Values.maintenance }}
{{- $maintenance := dict }}
{{- if hasKey . "enabled" }}{{ $_ := set $maintenance "enabled" .enabled }}{{ end }}
{{- with .interval }}{{ $_ := set $maintenance "interval" . }}{{ end }}
{{- with .expireOlderThan }}{{ $_ := set $maintenance "expire_older_than" . }}{{ end }}
{{- with .retainLast }}{{ $_ := set $maintenance "retain_last" . }}{{ end }}
{{- with .orphanOlderThan }}{{ $_ := set $maintenance "orphan_older_than" . }}{{ end }}
{{- with .targetFileSize }}{{ $_ := set $maintenance "target_file_size" . }}{{ end }}
{{- $_ := set $config "maintenance" $maintenance }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/*
The Flink configuration shared by every FlinkDeployment of the release: checkpoint and savepoint
directories, the state backend, HA, the Prometheus reporter, then .Values.flinkConfiguration on top.
*/}}
{{- define "iceberg-online.flinkConfiguration" -}}
{{- $conf := dict
  "taskmanager.numberOfTaskSlots" (toString .Values.taskManager.slots)
  "execution.checkpointing.dir" .Values.checkpoints.directory
  "execution.checkpointing.savepoint-dir" .Values.checkpoints.savepointDirectory
  "state.backend.type" .Values.stateBackend.type
  "execution.checkpointing.incremental" (toString .Values.stateBackend.incremental)
}}
{{- if eq .Values.stateBackend.type "rocksdb" }}
{{- /* every event looks its key up in the state, and most misses are new keys: bloom filters skip the files without it */}}
{{- $_ := set $conf "state.backend.rocksdb.use-bloom-filter" "true" }}
{{- end }}
{{- if .Values.highAvailability.enabled }}
{{- $_ := set $conf "high-availability.type" "kubernetes" }}
{{- $_ := set $conf "high-availability.storageDir" .Values.highAvailability.storageDir }}
{{- end }}
{{- if .Values.metrics.enabled }}
{{- $_ := set $conf "metrics.reporter.prom.factory.class" "org.apache.flink.metrics.prometheus.PrometheusReporterFactory" }}
{{- $_ := set $conf "metrics.reporter.prom.port" (toString .Values.metrics.port) }}
{{- end }}
{{- toYaml (merge (deepCopy .Values.flinkConfiguration) $conf) }}
{{- end }}

{{/*
The pod template shared by JobManager and TaskManager pods of every FlinkDeployment: service
account, security contexts, credentials from existingSecret, metrics port and annotations, and
one ConfigMap mounted read-only.
Call with (dict "root" $ "configMap" <name> "mountPath" <dir> "checksum" <of the ConfigMap data>).
*/}}
{{- define "iceberg-online.podTemplate" -}}
{{- $root := .root }}
{{- $values := $root.Values }}
{{- if and $values.secretEnv (not $values.existingSecret) }}
{{- fail "secretEnv needs existingSecret: the name of the Secret holding those keys" }}
{{- end -}}
metadata:
  labels:
    {{- include "iceberg-online.selectorLabels" $root | nindent 4 }}
    {{- with $values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ .checksum }}
    {{- if $values.metrics.enabled }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ $values.metrics.port | quote }}
    {{- end }}
    {{- with $values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- with $values.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  securityContext:
    {{- toYaml $values.podSecurityContext | nindent 4 }}
  containers:
    # The operator merges this into the JobManager and TaskManager containers.
    - name: flink-main-container
      securityContext:
        {{- toYaml $values.securityContext | nindent 8 }}
      {{- if or $values.secretEnv $values.env }}
      env:
        {{- range $name, $key := $values.secretEnv }}
        - name: {{ $name }}
          valueFrom:
            secretKeyRef:
              name: {{ $values.existingSecret }}
              key: {{ $key }}
        {{- end }}
        {{- with $values.env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- if $values.metrics.enabled }}
      ports:
        - name: metrics
          containerPort: {{ $values.metrics.port }}
          protocol: TCP
      {{- end }}
      volumeMounts:
        - name: iceberg-online
          mountPath: {{ .mountPath }}
          readOnly: true
  volumes:
    - name: iceberg-online
      configMap:
        name: {{ .configMap }}
  {{- with $values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
The FlinkDeployment spec fields every deployment of the release shares (all but job).
Call with (dict "root" $ "configMap" <name> "mountPath" <dir> "checksum" <sha>).
*/}}
{{- define "iceberg-online.deploymentSpec" -}}
{{- $values := .root.Values -}}
image: {{ include "iceberg-online.image" .root }}
imagePullPolicy: {{ $values.image.pullPolicy }}
flinkVersion: v2_1
mode: native
serviceAccount: {{ include "iceberg-online.serviceAccountName" .root }}
flinkConfiguration:
  {{- include "iceberg-online.flinkConfiguration" .root | nindent 2 }}
podTemplate:
  {{- include "iceberg-online.podTemplate" . | nindent 2 }}
jobManager:
  replicas: {{ $values.jobManager.replicas }}
  resource:
    {{- toYaml $values.jobManager.resource | nindent 4 }}
taskManager:
  resource:
    {{- toYaml $values.taskManager.resource | nindent 4 }}
{{- end }}

{{/* The feature server's jar in the image and where its TLS Secret is mounted. */}}
{{- define "iceberg-online.featureServerJar" -}}/opt/iceberg-online/iceberg-online-feature-server.jar{{- end }}
{{- define "iceberg-online.tlsDir" -}}/opt/iceberg-online/tls{{- end }}

{{/*
The feature server's config file: the job config plus its server block (the job ignores that
block; it lives in its own ConfigMap so server changes do not restart the job).
*/}}
{{- define "iceberg-online.featureServerConfig" -}}
{{- $server := .Values.featureServer }}
{{- $block := dict "port" $server.port "max_body_size" (toString $server.maxBodySize) "max_entities" $server.maxEntities "request_timeout" $server.requestTimeout }}
{{- with $server.indexMaxMemory }}{{ $_ := set $block "index_max_memory" (toString .) }}{{ end }}
{{- with $server.maxWriteBodySize }}{{ $_ := set $block "max_write_body_size" (toString .) }}{{ end }}
{{- with $server.maxWriteRows }}{{ $_ := set $block "max_write_rows" . }}{{ end }}
{{- with $server.writeTimeout }}{{ $_ := set $block "write_timeout" . }}{{ end }}
{{- if $server.tlsSecret }}
{{- $_ := set $block "tls_cert" (printf "%s/tls.crt" (include "iceberg-online.tlsDir" .)) }}
{{- $_ := set $block "tls_key" (printf "%s/tls.key" (include "iceberg-online.tlsDir" .)) }}
{{- end }}
{{- if $server.bearerTokenKey }}
{{- $_ := set $block "bearer_token_env" "FEATURE_SERVER_TOKEN" }}
{{- end }}
{{- include "iceberg-online.jobConfig" . }}
{{ toYaml (dict "server" $block) }}
{{- end }}

{{/*
A schemaRegistry value (camelCase) as the job config's schema_registry block. Its credentials must
be ${NAME} references to the environment (existingSecret), never values in the ConfigMap.
Call with (dict "path" <values path> "registry" <the value>).
*/}}
{{- define "iceberg-online.schemaRegistry" -}}
{{- $registry := dict "url" .registry.url }}
{{- range $key, $configKey := dict "basicAuthUserInfo" "basic_auth_user_info" "bearerToken" "bearer_token" }}
{{- with (get $.registry $key) }}
{{- if not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (toString .)) }}
{{- fail (printf "%s.%s is a credential: write \"${NAME}\" and set NAME from existingSecret through secretEnv, so the value stays out of the ConfigMap" $.path $key) }}
{{- end }}
{{- $_ := set $registry $configKey . }}
{{- end }}
{{- end }}
{{- toYaml $registry }}
{{- end }}
