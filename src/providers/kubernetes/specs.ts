/**
 * The Kubernetes objects of a Weir cluster, with Flink's names and labels: the JobManager
 * Deployment `<cluster-id>`, its REST Service `<cluster-id>-rest`, and TaskManager pods
 * `<cluster-id>-taskmanager-<attempt>-<n>`, all labelled `app=<cluster-id>`,
 * `type=weir-native-kubernetes` and `component=jobmanager|taskmanager`. The Service and the
 * TaskManager pods are owned by the Deployment, so deleting it removes the whole cluster (the
 * garbage collector follows the owner references).
 *
 * Configuration reaches the processes as `-D key=value` arguments of the container, as Flink's
 * dynamic properties; secret values (security.*) stay in a Secret `<cluster-id>-secrets` and enter
 * the arguments as `$(VAR)` references the kubelet expands from the container's environment.
 */
import type { V1Container, V1Deployment, V1EnvVar, V1OwnerReference, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';

export const REST_PORT_NAME = 'rest';
export const RPC_PORT_NAME = 'jobmanager-rpc';
/** The Service's port when the JobManagers bind free ports (rest.port 0): clients then use leader retrieval. */
const DEFAULT_REST_PORT = 8081;

export function labels(clusterId: string, component?: 'jobmanager' | 'taskmanager'): Record<string, string> {
  return { app: clusterId, type: 'weir-native-kubernetes', ...(component ? { component } : {}) };
}

export function selector(clusterId: string, component: 'jobmanager' | 'taskmanager'): string {
  return Object.entries(labels(clusterId, component))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export interface ClusterSpec {
  clusterId: string;
  namespace: string;
  image: string;
  pullPolicy: string;
  serviceAccount: string;
  jobManager: { cpu: number; memoryBytes: number; replicas: number };
  restPort: number;
  rpcPort: number;
  exposedType: string;
  /** The `-D` properties every process gets (non-secret). */
  properties: readonly string[];
  /** Secret keys and values: stored in the Secret, referenced from the arguments. */
  secrets: Readonly<Record<string, string>>;
}

const secretEnvName = (i: number): string => `WEIR_SECRET_${i}`;

/** The container environment: the pod's IP and the secret references. */
function env(spec: ClusterSpec): V1EnvVar[] {
  return [
    { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
    ...Object.keys(spec.secrets).map((key, i) => ({
      name: secretEnvName(i),
      valueFrom: { secretKeyRef: { name: secretName(spec.clusterId), key } },
    })),
  ];
}

/** `-D` arguments of every process of the cluster (secrets as $(VAR) references). */
function dynamicArgs(spec: ClusterSpec): string[] {
  const props = [...spec.properties, ...Object.keys(spec.secrets).map((key, i) => `${key}=$(${secretEnvName(i)})`)];
  return props.flatMap((p) => ['-D', p]);
}

function resources(cpu: number, memoryBytes: number): V1Container['resources'] {
  const r = { cpu: String(cpu), memory: String(memoryBytes) };
  return { requests: r, limits: r };
}

export function secretName(clusterId: string): string {
  return `${clusterId}-secrets`;
}

export function restServiceName(clusterId: string): string {
  return `${clusterId}-rest`;
}

export function secret(spec: ClusterSpec, owner: V1OwnerReference): V1Secret {
  return {
    metadata: { name: secretName(spec.clusterId), namespace: spec.namespace, labels: labels(spec.clusterId), ownerReferences: [owner] },
    stringData: { ...spec.secrets },
  };
}

export function jobManagerDeployment(spec: ClusterSpec, jobManagerArgs: readonly string[]): V1Deployment {
  const podLabels = labels(spec.clusterId, 'jobmanager');
  return {
    metadata: { name: spec.clusterId, namespace: spec.namespace, labels: podLabels },
    spec: {
      replicas: spec.jobManager.replicas,
      selector: { matchLabels: podLabels },
      template: {
        metadata: { labels: podLabels },
        spec: {
          serviceAccountName: spec.serviceAccount,
          containers: [
            {
              name: 'weir-main-container',
              image: spec.image,
              imagePullPolicy: spec.pullPolicy,
              command: ['weir'],
              args: [
                'jobmanager',
                '--provider',
                'kubernetes',
                ...jobManagerArgs,
                ...dynamicArgs(spec),
                '-D',
                'jobmanager.rpc.address=$(POD_IP)',
                '-D',
                `jobmanager.rpc.port=${spec.rpcPort}`,
                '-D',
                'rest.address=$(POD_IP)',
                '-D',
                `rest.port=${spec.restPort}`,
              ],
              env: env(spec),
              // Port 0 (a free port per JobManager, found through leader retrieval) is not declared.
              ports: [
                { name: REST_PORT_NAME, containerPort: spec.restPort },
                { name: RPC_PORT_NAME, containerPort: spec.rpcPort },
              ].filter((p) => p.containerPort > 0),
              resources: resources(spec.jobManager.cpu, spec.jobManager.memoryBytes),
            },
          ],
        },
      },
    },
  };
}

export function restService(spec: ClusterSpec, owner: V1OwnerReference): V1Service {
  return {
    metadata: {
      name: restServiceName(spec.clusterId),
      namespace: spec.namespace,
      labels: labels(spec.clusterId),
      ownerReferences: [owner],
    },
    spec: {
      type: spec.exposedType,
      selector: labels(spec.clusterId, 'jobmanager'),
      ports: [{ name: REST_PORT_NAME, port: spec.restPort || DEFAULT_REST_PORT, targetPort: REST_PORT_NAME, protocol: 'TCP' }],
    },
  };
}

/** The owner reference that ties an object to the JobManager Deployment. */
export function ownerReference(deployment: V1Deployment): V1OwnerReference {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: deployment.metadata!.name!,
    uid: deployment.metadata!.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface TaskManagerPodSpec {
  name: string;
  clusterId: string;
  namespace: string;
  /** The JobManager's container, whose image, environment and -D arguments the TaskManager shares. */
  template: V1Container;
  serviceAccount: string | undefined;
  jobManagerAddress: string;
  slots: number;
  cpu: number;
  memoryBytes: number;
  owner: V1OwnerReference;
}

/** The `-D` arguments of a container's args (the JobManager's own ports and addresses excluded). */
export function inheritedProperties(container: V1Container): string[] {
  const own = /^(jobmanager\.rpc\.(address|port)|rest\.(address|port))=/;
  const args = container.args ?? [];
  const out: string[] = [];
  for (let i = 0; i < args.length - 1; i++) if (args[i] === '-D' && !own.test(args[i + 1]!)) out.push(args[++i]!);
  return out;
}

export function taskManagerPod(s: TaskManagerPodSpec): V1Pod {
  return {
    metadata: { name: s.name, namespace: s.namespace, labels: labels(s.clusterId, 'taskmanager'), ownerReferences: [s.owner] },
    spec: {
      restartPolicy: 'Never',
      ...(s.serviceAccount ? { serviceAccountName: s.serviceAccount } : {}),
      containers: [
        {
          name: 'weir-main-container',
          image: s.template.image,
          imagePullPolicy: s.template.imagePullPolicy,
          command: ['weir'],
          args: [
            'taskmanager',
            '--jobmanager',
            s.jobManagerAddress,
            ...inheritedProperties(s.template).flatMap((p) => ['-D', p]),
            '-D',
            `taskmanager.resource-id=${s.name}`,
            '-D',
            `taskmanager.numberOfTaskSlots=${s.slots}`,
            '-D',
            'taskmanager.host=$(POD_IP)',
          ],
          env: s.template.env ?? [],
          resources: resources(s.cpu, s.memoryBytes),
        },
      ],
    },
  };
}
