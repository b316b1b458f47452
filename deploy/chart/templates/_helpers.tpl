{{/* The labels every object of the release carries. */}}
{{- define "vnest.labels" -}}
{{ include "vnest.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service | default "Helm" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* The labels that select the control plane pod. */}}
{{- define "vnest.selectorLabels" -}}
app.kubernetes.io/name: vnest
app.kubernetes.io/instance: {{ .Release.Name }}
vnest.io/vcluster: {{ .Release.Name }}
{{- end }}

{{/* The control plane's ServiceAccount, Role and RoleBinding. */}}
{{- define "vnest.serviceAccountName" -}}
vc-{{ .Release.Name }}
{{- end }}

{{- define "vnest.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
