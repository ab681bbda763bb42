{{/* Name of the chart, or nameOverride. */}}
{{- define "weir-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects: fullnameOverride, else <release>-<chart> (the release name alone when it contains the chart's). */}}
{{- define "weir-operator.fullname" -}}
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

{{- define "weir-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "weir-operator.labels" -}}
helm.sh/chart: {{ include "weir-operator.chart" . }}
{{ include "weir-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the operator's pods. */}}
{{- define "weir-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "weir-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The operator's service account. */}}
{{- define "weir-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "weir-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image of the operator: <repository>:<tag>, the tag defaulting to the chart's appVersion. */}}
{{- define "weir-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The namespaces where job clusters run: the watched ones, else the release's. One per line. */}}
{{- define "weir-operator.jobNamespaces" -}}
{{- if .Values.watchNamespaces }}
{{- range .Values.watchNamespaces }}
{{ . }}
{{- end }}
{{- else }}
{{ .Release.Namespace }}
{{- end }}
{{- end }}

{{/*
The operator's configuration as -D arguments (Flink's dynamic properties, as the Kubernetes provider
passes configuration): weirConfiguration in key order, with the job clusters' service account.
Whole numbers are written as integers (Helm reads YAML numbers as floats), lists joined with ';'.
*/}}
{{- define "weir-operator.configArgs" -}}
{{- $conf := deepCopy .Values.weirConfiguration }}
{{- if not (hasKey $conf "kubernetes.service-account") }}
{{- $_ := set $conf "kubernetes.service-account" .Values.jobServiceAccount.name }}
{{- end }}
{{- range $key := keys $conf | sortAlpha }}
{{- $v := get $conf $key }}
{{- $s := toString $v }}
{{- if kindIs "slice" $v }}
{{- $s = join ";" $v }}
{{- else if and (kindIs "float64" $v) (eq $v (floor $v)) }}
{{- $s = printf "%d" (int64 $v) }}
{{- end }}
- -D
- {{ printf "%s=%s" $key $s | quote }}
{{- end }}
{{- end }}

{{/* The rules of the operator: its resources, the objects of the clusters it deploys, events, leader election. */}}
{{- define "weir-operator.rules" -}}
- apiGroups: [weir.dev]
  resources:
    - weirdeployments
    - weirdeployments/status
    - weirdeployments/finalizers
    - weirsessionjobs
    - weirsessionjobs/status
    - weirsessionjobs/finalizers
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [apps]
  resources: [deployments, deployments/scale]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [pods, services, configmaps, secrets]
  verbs: [get, list, watch, create, update, patch, delete, deletecollection]
- apiGroups: [""]
  resources: [events]
  verbs: [get, list, watch, create, update, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [get, list, watch, create, update, patch]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, list, watch, create, update, patch, delete]
{{- end }}

{{/* The rules of the job clusters' service account: TaskManager pods, HA ConfigMaps and Leases, its own Deployment. */}}
{{- define "weir-operator.jobRules" -}}
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get]
{{- end }}
