/**
 * The options of the Kubernetes resource provider (Flink's `kubernetes.*` keys), kept beside the
 * main table in options.ts, which spreads them in.
 */
import type { OptionSpec } from './options.js';

const DNS_LABEL = (v: string): string | undefined =>
  /^[a-z]([-a-z0-9]{0,43}[a-z0-9])?$/.test(v)
    ? undefined
    : 'a DNS label of at most 45 lower-case letters, digits and dashes, starting with a letter';

export const KUBERNETES_OPTIONS = {
  'kubernetes.cluster-id': {
    type: 'string',
    check: DNS_LABEL,
    defaultDescription: 'generated per cluster (weir-<random>)',
    description: 'Id of a Kubernetes cluster: the name of its JobManager Deployment and the prefix of its other objects.',
  },
  'kubernetes.namespace': {
    type: 'string',
    default: 'default',
    description: 'Namespace the cluster runs in.',
  },
  'kubernetes.config.file': {
    type: 'string',
    defaultDescription: '$KUBECONFIG, ~/.kube/config, or the in-cluster service account',
    description: 'kubeconfig file the client and the JobManager reach the API server with.',
  },
  'kubernetes.context': {
    type: 'string',
    defaultDescription: 'the current context of the kubeconfig',
    description: 'Context of the kubeconfig to use.',
  },
  'kubernetes.container.image': {
    type: 'string',
    default: 'weir:0.1.0',
    description: 'Image of the JobManager and TaskManager containers (its entrypoint is weir).',
  },
  'kubernetes.service-account': {
    type: 'string',
    default: 'default',
    description: 'Service account of the JobManager and TaskManager pods; the JobManager needs to create, watch and delete pods with it.',
  },
  'kubernetes.jobmanager.replicas': {
    type: 'integer',
    default: 1,
    min: 1,
    description:
      'Replicas of the JobManager Deployment: more than one gives standby JobManagers, which needs high availability (high-availability.type kubernetes, etcd or zookeeper).',
  },
  'kubernetes.jobmanager.cpu': {
    type: 'number',
    default: 1,
    min: 0.001,
    description: 'CPU request and limit of the JobManager pod.',
  },
  'kubernetes.jobmanager.memory': {
    type: 'memory-size',
    default: '1 gb',
    description: 'Memory request and limit of the JobManager pod.',
  },
  'kubernetes.taskmanager.cpu': {
    type: 'number',
    default: 1,
    min: 0.001,
    description: 'CPU request and limit of each TaskManager pod.',
  },
  'kubernetes.taskmanager.memory': {
    type: 'memory-size',
    default: '1 gb',
    description: 'Memory request and limit of each TaskManager pod.',
  },
  'kubernetes.rest-service.exposed.type': {
    type: 'enum',
    values: ['ClusterIP', 'NodePort', 'LoadBalancer'],
    default: 'ClusterIP',
    description:
      'Type of the REST Service: ClusterIP (reached in the cluster network), NodePort (on every node), LoadBalancer (an external address).',
  },
  'kubernetes.pod-template-file.default': {
    type: 'string',
    description:
      'Pod template (a YAML file with one Pod) the JobManager and TaskManager pods are merged onto; its container named weir-main-container is merged with the main container (docs/kubernetes.md).',
  },
  'kubernetes.pod-template-file.jobmanager': {
    type: 'string',
    defaultDescription: 'kubernetes.pod-template-file.default',
    description: 'Pod template of the JobManager pods.',
  },
  'kubernetes.pod-template-file.taskmanager': {
    type: 'string',
    defaultDescription: 'kubernetes.pod-template-file.default',
    description: 'Pod template of the TaskManager pods.',
  },
} as const satisfies Record<string, OptionSpec>;
