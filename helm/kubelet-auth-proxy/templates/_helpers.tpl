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

{{/*
An image reference from {registry, repository, tag, digest}: global.imageRegistry wins over the image's registry, a
repository that already starts with a registry host (a first segment with "." or ":", or localhost) is used as it
is (so image.repository=registry.example.com/x keeps working), and a digest wins over the tag.
Call with (dict "image" .Values.image "root" .).
*/}}
{{- define "kap.imageRef" -}}
{{- $image := .image }}
{{- $registry := ((.root.Values.global).imageRegistry) | default $image.registry }}
{{- $repository := $image.repository }}
{{- $first := first (splitList "/" $repository) }}
{{- $hasHost := and (gt (len (splitList "/" $repository)) 1) (or (contains "." $first) (contains ":" $first) (eq "localhost" $first)) }}
{{- $name := $repository }}
{{- if and $registry (not $hasHost) }}{{ $name = printf "%s/%s" (trimSuffix "/" $registry) $repository }}{{ end }}
{{- if $image.digest }}
{{- printf "%s@%s" $name $image.digest }}
{{- else }}
{{- printf "%s:%s" $name (toString ($image.tag | default .root.Chart.AppVersion)) }}
{{- end }}
{{- end }}

{{/* imagePullSecrets and global.imagePullSecrets, each a name or a {name: ...} object, without repeats */}}
{{- define "kap.imagePullSecrets" -}}
{{- $names := list }}
{{- range (concat (((.Values.global).imagePullSecrets) | default list) (.Values.imagePullSecrets | default list)) }}
{{- if kindIs "string" . }}{{ $names = append $names . }}{{ else }}{{ $names = append $names .name }}{{ end }}
{{- end }}
{{- range uniq $names }}
- name: {{ . }}
{{- end }}
{{- end }}

{{/* The fixed name every certificate the chart makes carries, for clients that connect by a node's or pod's address
(kubectl --tls-server-name, Prometheus tlsConfig.serverName). */}}
{{- define "kap.serverName" -}}
{{- .Values.tls.serverName | default (printf "%s.%s.svc" (include "kap.fullname" .) .Release.Namespace) }}
{{- end }}

{{- define "kap.testName" -}}
{{- printf "%s-test" (include "kap.fullname" . | trunc 58 | trimSuffix "-") }}
{{- end }}

{{/* The test's objects: the release's labels, but not the DaemonSet's selector (its controller would adopt the pod). */}}
{{- define "kap.testLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "kap.name" . | trunc 58 | trimSuffix "-" }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Non-empty when `helm test` can run: its allowed request is GET /healthz with a ServiceAccount token (values
that turn either off, valid in chart 0.1.0, render no test instead of failing; NOTES.txt says so). */}}
{{- define "kap.testEnabled" -}}
{{- if and .Values.test.enabled .Values.endpoints.healthz .Values.config.authentication.token.enabled }}true{{ end }}
{{- end }}

{{/* Non-empty when the proxy is on each node's address (hostNetwork or hostPort): the test connects there. */}}
{{- define "kap.testViaNode" -}}
{{- if or .Values.hostNetwork .Values.hostPort }}true{{ end }}
{{- end }}
