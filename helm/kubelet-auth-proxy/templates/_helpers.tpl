{{- define "kap.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kap.fullname" -}}
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

{{- define "kap.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kap.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "kap.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kap.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kap.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kap.tlsSecretName" -}}
{{- if eq .Values.tls.mode "existingSecret" }}
{{- required "tls.existingSecret is required with tls.mode=existingSecret" .Values.tls.existingSecret }}
{{- else }}
{{- printf "%s-tls" (include "kap.fullname" .) }}
{{- end }}
{{- end }}

{{- define "kap.upstreamUrl" -}}
{{- if .Values.config.upstream.url }}
{{- .Values.config.upstream.url }}
{{- else if .Values.hostNetwork }}
{{- "https://127.0.0.1:10250" }}
{{- else }}
{{- "https://${HOST_IP}:10250" }}
{{- end }}
{{- end }}

{{/* The proxy's settings: the values' config tree plus what the chart knows (node, kubelet URL, ports). */}}
{{- define "kap.applicationYaml" -}}
{{- $config := deepCopy .Values.config }}
{{- $_ := set $config.upstream "url" (include "kap.upstreamUrl" .) }}
{{- $_ := set $config "nodeName" "${NODE_NAME}" }}
kubelet-auth-proxy:
{{ toYaml $config | indent 2 }}
management:
  server:
    port: {{ .Values.managementPort }}
{{- with .Values.logFormat }}
logging:
  structured:
    format:
      console: {{ . }}
{{- end }}
{{- end }}
