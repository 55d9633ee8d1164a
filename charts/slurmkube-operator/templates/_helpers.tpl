{{/*
Object names are scoped by release so that a second release (another name, another namespace)
collides with nothing, cluster-scoped objects included. "<release>-operator" keeps the names the
release "slurmkube" has always had (slurmkube-operator), which the install script and tests use.
A release already named "...-operator" is used as is; fullnameOverride replaces it outright.
*/}}
{{- define "slurmkube.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if hasSuffix "-operator" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-operator" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{/* The GPU plugin's ClusterRole and ClusterRoleBinding: slurmkube-gpu-dra-plugin for the default release. */}}
{{- define "slurmkube.gpuDraClusterName" -}}
{{- printf "%s-gpu-dra-plugin" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
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
{{/* The selector labels as key=value,key=value, for OPERATOR_POD_LABELS. */}}
{{- define "slurmkube.selectorList" -}}
{{- $pairs := list -}}
{{- range $key, $value := include "slurmkube.selector" . | fromYaml -}}
{{- $pairs = append $pairs (printf "%s=%s" $key $value) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}
