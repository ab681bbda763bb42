/**
 * The client's side of a Kubernetes session cluster (Flink's kubernetes-session.sh): creates the
 * JobManager Deployment, its REST Service and the Secret of the cluster's secret settings, waits
 * until the REST API answers, and finds that REST API again for `weir run -t kubernetes-session`
 * and for `weir kubernetes-session stop`, which deletes the Deployment and, through the owner
 * references, everything else of the cluster.
 */
import { randomBytes } from 'node:crypto';
import type { V1Deployment, V1OwnerReference, V1Service } from '@kubernetes/client-node';
import { isSecretKey, type Configuration } from '../../config/index.js';
import { WeirError } from '../../errors.js';
import { clusterHaType, deleteHaData, kubernetesLeaderRestUrl } from './ha-leader.js';
import { call, callOrMissing, kubeApi, type KubeApi } from './kube-api.js';
import { mergePodTemplate, podTemplateFor, taskManagerTemplateAnnotation } from './pod-template.js';
import {
  jobManagerDeployment,
  labels,
  ownerReference,
  REST_PORT_NAME,
  restService,
  restServiceName,
  secret,
  selector,
  type ClusterSpec,
} from './specs.js';

/** Keys the cluster's processes get from elsewhere (their own pod, their own kubeconfig) or that concern only the client. */
const NOT_PASSED = new Set([
  'execution.target',
  'execution.attached',
  'kubernetes.config.file',
  'kubernetes.context',
  'jobmanager.rpc.address',
  'jobmanager.rpc.port',
  'rest.address',
  'rest.port',
  'taskmanager.host',
  'taskmanager.resource-id',
  // Files of the client: their content reaches the cluster in its objects.
  'kubernetes.pod-template-file.default',
  'kubernetes.pod-template-file.jobmanager',
  'kubernetes.pod-template-file.taskmanager',
]);

export function clusterSpec(config: Configuration, clusterId: string, namespace: string): ClusterSpec {
  const properties: string[] = [];
  const secrets: Record<string, string> = {};
  for (const p of config.toDynamicProperties()) {
    const eq = p.indexOf('=');
    const key = p.slice(0, eq);
    if (NOT_PASSED.has(key) || key === 'kubernetes.cluster-id') continue;
    if (isSecretKey(key)) secrets[key] = p.slice(eq + 1);
    else properties.push(p);
  }
  properties.push(`kubernetes.cluster-id=${clusterId}`);
  const replicas = config.get('kubernetes.jobmanager.replicas');
  if (replicas > 1 && config.get('high-availability.type') === 'none')
    throw new WeirError(
      'WEIR_KUBERNETES',
      `kubernetes.jobmanager.replicas ${replicas} needs high availability (high-availability.type kubernetes, etcd or zookeeper): standby JobManagers wait for leadership, without it each would lead`,
    );
  return {
    clusterId,
    namespace,
    image: config.get('kubernetes.container.image'),
    // Flink's kubernetes.container.image.pull-policy cannot be a key here (it would nest under kubernetes.container.image).
    pullPolicy: 'IfNotPresent',
    serviceAccount: config.get('kubernetes.service-account'),
    jobManager: {
      cpu: config.get('kubernetes.jobmanager.cpu'),
      memoryBytes: config.get('kubernetes.jobmanager.memory'),
      replicas,
    },
    restPort: config.get('rest.port'),
    rpcPort: config.get('jobmanager.rpc.port'),
    exposedType: config.get('kubernetes.rest-service.exposed.type'),
    properties,
    secrets,
  };
}

/** The REST URL of a cluster, from its Service: node port, load balancer, or (ClusterIP) a ready JobManager pod. */
export async function restEndpoint(api: KubeApi, clusterId: string): Promise<string | undefined> {
  const { core, namespace } = api;
  const service: V1Service | undefined = await callOrMissing(`reading the Service ${namespace}/${restServiceName(clusterId)}`, () =>
    core.readNamespacedService({ name: restServiceName(clusterId), namespace }),
  );
  if (!service) return undefined;
  const port = service.spec?.ports?.find((p) => p.name === REST_PORT_NAME);
  if (!port) return undefined;
  const scheme = 'http';
  if (service.spec?.type === 'LoadBalancer') {
    const ingress = service.status?.loadBalancer?.ingress?.[0];
    const host = ingress?.ip ?? ingress?.hostname;
    return host ? `${scheme}://${host}:${port.port}` : undefined;
  }
  if (service.spec?.type === 'NodePort') {
    const nodes = await call('listing the nodes', () => core.listNode());
    const address = nodes.items[0]?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    return address && port.nodePort ? `${scheme}://${address}:${port.nodePort}` : undefined;
  }
  // ClusterIP: the address of a ready JobManager pod, reachable from within the cluster network.
  const pods = await call('listing the JobManager pods', () =>
    core.listNamespacedPod({ namespace, labelSelector: selector(clusterId, 'jobmanager') }),
  );
  const ready = pods.items.find(
    (p) => !p.metadata?.deletionTimestamp && p.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  if (!ready) return undefined;
  const containerPort = ready.spec?.containers[0]?.ports?.find((p) => p.name === REST_PORT_NAME)?.containerPort ?? port.port;
  const ip = ready.status!.podIP!;
  return `${scheme}://${ip.includes(':') ? `[${ip}]` : ip}:${containerPort}`;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/config`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** Polls `f` until it resolves truthy or `ms` passed (bounded in time; 250 ms apart). */
async function until<T>(ms: number, f: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface DeployedSession {
  clusterId: string;
  namespace: string;
  restUrl: string;
}

/** What an Application cluster adds to a session cluster's objects (application.ts). */
export interface ClusterExtras {
  /** Arguments of `weir jobmanager` after `--provider kubernetes`. */
  jobManagerArgs: string[];
  /** Properties the cluster's processes get besides the client's. */
  properties: string[];
  /** Creates the cluster's further objects once the Deployment (their owner) exists. */
  create(api: KubeApi, owner: V1OwnerReference): Promise<void>;
}

/** The JobManager Deployment with the pod templates: the JobManager's merged in, the TaskManagers' carried in an annotation. */
export function templatedDeployment(config: Configuration, spec: ClusterSpec, jobManagerArgs: string[]): V1Deployment {
  const jobManagerTemplate = podTemplateFor(config, 'jobmanager');
  const annotation = taskManagerTemplateAnnotation(podTemplateFor(config, 'taskmanager'));
  const d = jobManagerDeployment(spec, jobManagerArgs);
  const pod = d.spec!.template;
  d.spec!.template = mergePodTemplate(jobManagerTemplate, pod);
  if (Object.keys(annotation).length) d.metadata!.annotations = { ...d.metadata!.annotations, ...annotation };
  return d;
}

export async function deploySession(config: Configuration, startupTimeoutMs = 120_000, extras?: ClusterExtras): Promise<DeployedSession> {
  const api = kubeApi(config);
  const { apps, core, namespace } = api;
  const clusterId = config.get('kubernetes.cluster-id') ?? `weir-${randomBytes(4).toString('hex')}`;
  const existing = await callOrMissing(`reading the Deployment ${namespace}/${clusterId}`, () =>
    apps.readNamespacedDeployment({ name: clusterId, namespace }),
  );
  if (existing)
    throw new WeirError(
      'WEIR_KUBERNETES',
      `a cluster with kubernetes.cluster-id '${clusterId}' exists already in namespace ${namespace}: stop it or pick another id`,
    );
  const base = clusterSpec(config, clusterId, namespace);
  const spec = { ...base, properties: [...base.properties, ...(extras?.properties ?? [])] };
  const body = templatedDeployment(config, spec, extras?.jobManagerArgs ?? []);
  const deployment = await call(`creating the JobManager Deployment ${namespace}/${clusterId}`, () =>
    apps.createNamespacedDeployment({ namespace, body }),
  );
  const owner = ownerReference(deployment);
  try {
    await extras?.create(api, owner);
  } catch (e) {
    // Nothing of a cluster that could not be made complete stays behind.
    await apps.deleteNamespacedDeployment({ name: clusterId, namespace, propagationPolicy: 'Background' }).catch(() => undefined);
    throw e;
  }
  if (Object.keys(spec.secrets).length > 0)
    await call(`creating the Secret of ${clusterId}`, () => core.createNamespacedSecret({ namespace, body: secret(spec, owner) }));
  await call(`creating the REST Service of ${clusterId}`, () =>
    core.createNamespacedService({ namespace, body: restService(spec, owner) }),
  );
  // With Kubernetes HA the leader is found through its Lease (its REST API, not a standby's).
  const haLeader = config.get('high-availability.type') === 'kubernetes';
  let gone = false;
  const url = await until(startupTimeoutMs, async () => {
    const u = haLeader ? await kubernetesLeaderRestUrl(api, clusterId, 1000) : await restEndpoint(api, clusterId).catch(() => undefined);
    if (u && (await answers(u))) return u;
    // An Application cluster whose application ended at once deletes itself: no REST API will answer.
    gone =
      (await callOrMissing(`reading the Deployment ${namespace}/${clusterId}`, () =>
        apps.readNamespacedDeployment({ name: clusterId, namespace }),
      ).catch(() => true)) === undefined;
    return gone ? '' : undefined;
  });
  if (gone)
    throw new WeirError(
      'WEIR_CLUSTER_DEPLOYMENT',
      `the cluster ${clusterId} ended before its REST API was reached: its Deployment is gone (an Application cluster deletes itself once its application has ended; a detached run does not see the result, an attached one does)`,
    );
  if (!url) {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: selector(clusterId, 'jobmanager') }).catch(() => undefined);
    const state = pods?.items
      .map((p) => `${p.metadata?.name}: ${p.status?.phase ?? 'no status'}${p.status?.message ? ` (${p.status.message})` : ''}`)
      .join(', ');
    throw new WeirError(
      'WEIR_CLUSTER_DEPLOYMENT',
      `the JobManager of ${clusterId} did not answer within ${startupTimeoutMs / 1000} s (pods: ${state || 'none'}); the Deployment stays: weir kubernetes-session stop -D kubernetes.cluster-id=${clusterId}`,
    );
  }
  return { clusterId, namespace, restUrl: url };
}

/**
 * Deletes the cluster's Deployment in the foreground and waits until none of its pods is left;
 * then, the cluster being stopped for good, its HA ConfigMaps and Lease (with Kubernetes HA;
 * `kubectl delete deployment` keeps them, so a cluster started again under the same id recovers).
 */
export async function stopSession(config: Configuration, timeoutMs = 120_000): Promise<{ clusterId: string }> {
  const api = kubeApi(config);
  const clusterId = config.get('kubernetes.cluster-id');
  if (!clusterId) throw new WeirError('WEIR_CLI_USAGE', 'which cluster? set -D kubernetes.cluster-id=<id>');
  const { apps, core, namespace } = api;
  const haType = await clusterHaType(api, config, clusterId);
  const deleted = await callOrMissing(`deleting the Deployment ${namespace}/${clusterId}`, () =>
    apps.deleteNamespacedDeployment({ name: clusterId, namespace, propagationPolicy: 'Foreground' }),
  );
  if (!deleted)
    throw new WeirError('WEIR_KUBERNETES', `there is no cluster '${clusterId}' in namespace ${namespace} (no Deployment ${clusterId})`);
  const appSelector = `app=${labels(clusterId).app},type=${labels(clusterId).type}`;
  const gone = await until(timeoutMs, async () => {
    const d = await callOrMissing('reading the Deployment', () => apps.readNamespacedDeployment({ name: clusterId, namespace }));
    const pods = await call('listing the pods', () => core.listNamespacedPod({ namespace, labelSelector: appSelector }));
    return d === undefined && pods.items.length === 0 ? true : undefined;
  });
  if (!gone)
    throw new WeirError(
      'WEIR_KUBERNETES',
      `the objects of ${clusterId} were not all gone after ${timeoutMs / 1000} s (is the garbage collector of kube-controller-manager running?)`,
    );
  if (haType === 'kubernetes') await call(`deleting the HA ConfigMaps and Lease of ${clusterId}`, () => deleteHaData(api, clusterId));
  return { clusterId };
}
