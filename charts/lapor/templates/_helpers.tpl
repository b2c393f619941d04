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
