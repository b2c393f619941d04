{{- /*
Names and labels. Every selector carries the release's instance label as
well as the component, so two releases in one namespace never select each
other's pods. Call with (dict "root" $ "component" "ingest").
*/ -}}
{{- define "lapor.name" -}}
{{- printf "%s-%s" .root.Release.Name .component -}}
{{- end -}}

{{- define "lapor.selectorLabels" -}}
app.kubernetes.io/name: lapor
app.kubernetes.io/instance: {{ .root.Release.Name | quote }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "lapor.labels" -}}
{{ include "lapor.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | quote }}
{{- end -}}

{{- define "lapor.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.repository .image .root.Values.image.tag | quote -}}
{{- end -}}

{{- /*
lapor.list renders a list, or a comma-separated string, as the
comma-separated string the services read, each entry trimmed and empty ones
dropped.
*/ -}}
{{- define "lapor.list" -}}
{{- $list := . -}}
{{- if not (kindIs "slice" $list) -}}
{{- $list = splitList "," (toString (default "" $list)) -}}
{{- end -}}
{{- $out := list -}}
{{- range $list -}}
{{- $p := trim (toString .) -}}
{{- if $p -}}
{{- $out = append $out $p -}}
{{- end -}}
{{- end -}}
{{- join "," $out -}}
{{- end -}}

{{- /*
lapor.int renders a whole number (values read from YAML arrive as floats,
which would print as 1e+06) and refuses anything else or anything below
min. Call as (dict "name" "redis.reportShards" "value" .Values.redis.reportShards "min" 1).
*/ -}}
{{- define "lapor.int" -}}
{{- $s := toString .value -}}
{{- if or (not (regexMatch "^-?[0-9][0-9.e+]*$" $s)) (ne (float64 (int64 .value)) (float64 .value)) -}}
{{- fail (printf "%s must be a whole number, got %q" .name $s) -}}
{{- end -}}
{{- $n := int64 .value -}}
{{- if and (hasKey . "min") (lt $n (int64 .min)) -}}
{{- fail (printf "%s must be at least %d, got %d" .name (int64 .min) $n) -}}
{{- end -}}
{{- $n -}}
{{- end -}}

{{- /* Settings every service shares. */ -}}
{{- define "lapor.logEnv" -}}
- name: LAPOR_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}

{{- /* LAPOR_HTTP_ADDR on every address, IPv4 and IPv6. Call with the port. */ -}}
{{- define "lapor.httpEnv" -}}
- name: LAPOR_HTTP_ADDR
  value: {{ printf ":%d" (int .) | quote }}
{{- end -}}

{{- /*
Redis: one address, or a Redis Cluster's nodes; the number of report
shards, which every service must agree on.
*/ -}}
{{- define "lapor.redisEnv" -}}
{{- if hasKey .Values.redis "addr" -}}
{{- fail "redis.addr is now redis.addrs: a list of addresses (one for a single Redis, several for a Redis Cluster)" -}}
{{- end -}}
{{- $addrs := include "lapor.list" .Values.redis.addrs -}}
{{- if not $addrs -}}
{{- fail "redis.addrs is empty: list your Redis address, or your Redis Cluster's nodes" -}}
{{- end -}}
{{- $db := include "lapor.int" (dict "name" "redis.db" "value" .Values.redis.db "min" 0) -}}
{{- if and (contains "," $addrs) (ne $db "0") -}}
{{- fail (printf "redis.db is %s, but redis.addrs lists several nodes: a Redis Cluster has database 0 only" $db) -}}
{{- end -}}
- name: LAPOR_REDIS_ADDR
  value: {{ $addrs | quote }}
- name: LAPOR_REDIS_DB
  value: {{ $db | quote }}
{{- with .Values.redis.existingSecret }}
- name: LAPOR_REDIS_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ . | quote }}, key: {{ $.Values.redis.passwordKey | quote }}}}
{{- end }}
- name: LAPOR_REPORT_SHARDS
  value: {{ include "lapor.int" (dict "name" "redis.reportShards" "value" .Values.redis.reportShards "min" 1) | quote }}
{{- end -}}

{{- /* ClickHouse: one node or a cluster's nodes, and the cluster's name. */ -}}
{{- define "lapor.clickhouseEnv" -}}
{{- if hasKey .Values.clickhouse "addr" -}}
{{- fail "clickhouse.addr is now clickhouse.addrs: a list of native-protocol addresses (one node, or a cluster's nodes)" -}}
{{- end -}}
{{- $addrs := include "lapor.list" .Values.clickhouse.addrs -}}
{{- if not $addrs -}}
{{- fail "clickhouse.addrs is empty: list your ClickHouse native-protocol address (port 9000), or your cluster's nodes" -}}
{{- end -}}
- name: LAPOR_CLICKHOUSE_ADDR
  value: {{ $addrs | quote }}
- name: LAPOR_CLICKHOUSE_CLUSTER
  value: {{ .Values.clickhouse.cluster | default "" | quote }}
- name: LAPOR_CLICKHOUSE_REPLICATED
  value: {{ .Values.clickhouse.replicated | default false | toString | quote }}
{{- if and .Values.clickhouse.replicated (not .Values.clickhouse.cluster) }}
{{- fail "clickhouse.replicated is true but clickhouse.cluster is empty: name the remote_servers cluster the replicated tables live on" }}
{{- end }}
- name: LAPOR_CLICKHOUSE_DB
  value: {{ required "clickhouse.database must name the database" .Values.clickhouse.database | quote }}
- name: LAPOR_CLICKHOUSE_USER
  value: {{ required "clickhouse.user must name a ClickHouse user" .Values.clickhouse.user | quote }}
{{- with .Values.clickhouse.existingSecret }}
- name: LAPOR_CLICKHOUSE_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ . | quote }}, key: {{ $.Values.clickhouse.passwordKey | quote }}}}
{{- end }}
{{- end -}}

{{- /*
lapor.trustedProxies renders a trustedProxies value, a comma-separated
string or a list, as the comma-separated string the services read. It
refuses a range that holds every address: anyone could then claim any
address in X-Forwarded-For.
Call as (dict "name" "web.trustedProxies" "value" .Values.web.trustedProxies).
*/ -}}
{{- define "lapor.trustedProxies" -}}
{{- $list := include "lapor.list" .value -}}
{{- range splitList "," $list -}}
{{- if has . (list "0.0.0.0/0" "::/0") -}}
{{- fail (printf "%s must not contain %s: that trusts every address to say who it is for. List only your proxies' own CIDRs." $.name .) -}}
{{- end -}}
{{- end -}}
{{- $list -}}
{{- end -}}

{{- /*
lapor.forwardSecretEnv mounts the forward secret that the web signs
forwarded client addresses with and the ingest verifies them with.
*/ -}}
{{- define "lapor.forwardSecretEnv" -}}
- name: LAPOR_FORWARD_SECRET
  valueFrom: {secretKeyRef: {name: {{ required "forwardSecret.existingSecret must name a Secret with key \"forward-secret\" (at least 16 bytes, e.g. openssl rand -hex 32) shared by web and ingest" .Values.forwardSecret.existingSecret | quote }}, key: forward-secret}}
{{- end -}}

{{- /*
The pod-level part every Lapor pod shares: non-root, no service account
token (no pod talks to the Kubernetes API), and no service links, which
would otherwise give each container a LAPOR_<SERVICE>_PORT variable per
Service of a release named "lapor". Call with (dict "root" $ "component"
"ingest"), and "noSpread" true for a pod that runs alone (the Job).
*/ -}}
{{- define "lapor.podSpec" -}}
{{- $v := .root.Values -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext: {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- with $v.imagePullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity: {{- toYaml . | nindent 2 }}
{{- end }}
{{- if and $v.spreadAcrossNodes (not (hasKey . "noSpread")) }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels: {{- include "lapor.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end -}}

{{- define "lapor.podMetadata" -}}
labels: {{- include "lapor.selectorLabels" . | nindent 2 }}
{{- with .root.Values.podAnnotations }}
annotations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "lapor.containerSecurity" -}}
securityContext: {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end -}}

{{- /*
Probes. /readyz answers 200 while the service's dependencies answer;
/healthz while the process serves HTTP.
*/ -}}
{{- define "lapor.probes" -}}
{{- $p := .Values.probes -}}
readinessProbe:
  httpGet: {path: {{ $p.readiness.path | quote }}, port: http}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
livenessProbe:
  httpGet: {path: {{ $p.liveness.path | quote }}, port: http}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
{{- end -}}

{{- /* The Service in front of a component. Call with (dict "root" $ "component" "ingest" "port" 8081). */ -}}
{{- define "lapor.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "lapor.name" . }}
  labels: {{- include "lapor.labels" . | nindent 4 }}
spec:
  selector: {{- include "lapor.selectorLabels" . | nindent 4 }}
  ports: [{name: http, port: {{ .port }}, targetPort: http}]
{{- end -}}
