{{- define "lapor.env" -}}
- name: LAPOR_REDIS_ADDR
  value: {{ .Values.redis.addr | quote }}
{{- if .Values.redis.existingSecret }}
- name: LAPOR_REDIS_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .Values.redis.existingSecret }}, key: password}}
{{- end }}
- name: LAPOR_CLICKHOUSE_ADDR
  value: {{ .Values.clickhouse.addr | quote }}
- name: LAPOR_CLICKHOUSE_DB
  value: {{ .Values.clickhouse.database | quote }}
- name: LAPOR_CLICKHOUSE_USER
  value: {{ .Values.clickhouse.user | quote }}
{{- if .Values.clickhouse.existingSecret }}
- name: LAPOR_CLICKHOUSE_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .Values.clickhouse.existingSecret }}, key: password}}
{{- end }}
- name: LAPOR_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}

{{- define "lapor.probes" -}}
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
{{- end -}}

{{- /*
lapor.trustedProxies renders a trustedProxies value, a comma-separated
string or a list, as the comma-separated string the services read. It
refuses a range that holds every address: anyone could then claim any
address in X-Forwarded-For.
Call as (dict "name" "web.trustedProxies" "value" .Values.web.trustedProxies).
*/ -}}
{{- define "lapor.trustedProxies" -}}
{{- $list := .value -}}
{{- if not (kindIs "slice" $list) -}}
{{- $list = splitList "," (toString (default "" $list)) -}}
{{- end -}}
{{- $out := list -}}
{{- range $list -}}
{{- $p := trim (toString .) -}}
{{- if has $p (list "0.0.0.0/0" "::/0") -}}
{{- fail (printf "%s must not contain %s: that trusts every address to say who it is for. List only your proxies' own CIDRs." $.name $p) -}}
{{- end -}}
{{- if $p -}}
{{- $out = append $out $p -}}
{{- end -}}
{{- end -}}
{{- join "," $out -}}
{{- end -}}

{{- /*
lapor.forwardSecretEnv mounts the forward secret that the web signs
forwarded client addresses with and the ingest verifies them with.
*/ -}}
{{- define "lapor.forwardSecretEnv" -}}
- name: LAPOR_FORWARD_SECRET
  valueFrom: {secretKeyRef: {name: {{ required "forwardSecret.existingSecret must name a Secret with key \"forward-secret\" (at least 16 bytes, e.g. openssl rand -hex 32) shared by web and ingest" .Values.forwardSecret.existingSecret | quote }}, key: forward-secret}}
{{- end -}}
