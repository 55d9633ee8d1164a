{{- define "slurmkube.name" -}}slurmkube-operator{{- end -}}
{{- define "slurmkube.labels" -}}
app.kubernetes.io/name: slurmkube-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
{{- define "slurmkube.selector" -}}
app.kubernetes.io/name: slurmkube-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
