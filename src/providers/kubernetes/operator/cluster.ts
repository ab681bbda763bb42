/**
 * The Weir cluster of one WeirDeployment: its configuration (weirConfiguration plus the
 * kubernetes.* keys the spec's fields stand for), and the JobManager Deployment, REST Service and
 * Secret the session code creates (specs.ts), the Deployment owned by the WeirDeployment so that
 * the garbage collector removes everything once the WeirDeployment is gone. TaskManager pods are
 * created on demand by the JobManager's ResourceManager, owned by the Deployment.
 */
import type { V1Deployment, V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { Configuration, type RawValue } from '../../../config/index.js';
import { WeirError } from '../../../errors.js';
import { call, callOrMissing, type KubeApi } from '../kube-api.js';
import { mergePodTemplate, taskManagerTemplateAnnotation } from '../pod-template.js';
import { clusterSpec, restEndpoint } from '../session.js';
import { jobManagerDeployment, labels, ownerReference, restService, secret } from '../specs.js';
import { GROUP, KIND, VERSION, type WeirDeployment, type WeirDeploymentSpec } from './resource.js';

/** Kubernetes memory quantities (2Gi, 512Mi, 1G) as Weir memory sizes; Weir's own forms pass through. */
export function memorySize(v: string): string {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)$/.exec(v.trim());
  if (!m) return v;
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as 'Ki'];
  return String(Math.round(Number(m[1]) * unit));
}

/** The configuration of the deployment's processes; a bad key or value throws a WeirError naming it. */
export function deploymentConfiguration(dep: WeirDeployment, spec: WeirDeploymentSpec): Configuration {
  const entries: Record<string, RawValue> = { ...spec.weirConfiguration };
  const set = (key: string, v: RawValue | undefined): void => {
    if (v !== undefined) entries[key] = v;
  };
  // last-state upgrades start from the latest checkpoint of a cancelled job: it has to be kept.
  if (spec.job.upgradeMode === 'last-state')
    entries['execution.checkpointing.externalized-checkpoint-retention'] ??= 'RETAIN_ON_CANCELLATION';
  set('kubernetes.namespace', dep.metadata.namespace);
  set('kubernetes.cluster-id', dep.metadata.name);
  set('kubernetes.container.image', spec.image);
  set('kubernetes.service-account', spec.serviceAccount);
  set('kubernetes.jobmanager.replicas', spec.jobManager?.replicas);
  set('kubernetes.jobmanager.cpu', spec.jobManager?.resource?.cpu);
  set('kubernetes.jobmanager.memory', spec.jobManager?.resource?.memory && memorySize(spec.jobManager.resource.memory));
  set('kubernetes.taskmanager.cpu', spec.taskManager?.resource?.cpu);
  set('kubernetes.taskmanager.memory', spec.taskManager?.resource?.memory && memorySize(spec.taskManager.resource.memory));
  try {
    return Configuration.fromEntries(entries, `WeirDeployment ${dep.metadata.namespace}/${dep.metadata.name}`);
  } catch (e) {
    throw new WeirError('WEIR_OPERATOR', `invalid weirConfiguration or resources: ${(e as Error).message}`);
  }
}

export function weirDeploymentOwner(dep: WeirDeployment): V1OwnerReference {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: KIND,
    name: dep.metadata.name,
    uid: dep.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * Merges the WeirDeployment's pod template (Flink's `spec.podTemplate`, for both components) by the
 * rules of kubernetes.pod-template-file (pod-template.ts): merged into the JobManager pod here, and
 * carried to the JobManager in the Deployment's annotation for the TaskManager pods it creates.
 */
export function withPodTemplate(d: V1Deployment, podTemplate: Record<string, unknown> | undefined): V1Deployment {
  if (!podTemplate) return d;
  const template = { apiVersion: 'v1', kind: 'Pod', ...podTemplate } as V1Pod;
  const merged = mergePodTemplate(template, d.spec!.template);
  // The labels select the Deployment's pods: the template may add to them, not change them.
  merged.metadata = { ...merged.metadata, labels: { ...merged.metadata.labels, ...d.spec!.template.metadata!.labels } };
  const annotations = { ...d.metadata?.annotations, ...taskManagerTemplateAnnotation(template) };
  return { ...d, metadata: { ...d.metadata, annotations }, spec: { ...d.spec!, template: merged } };
}

/** Creates the cluster's objects unless its Deployment exists already (an operator restarted mid-way). */
export async function ensureCluster(api: KubeApi, dep: WeirDeployment, spec: WeirDeploymentSpec): Promise<void> {
  const { apps, core, namespace } = api;
  const name = dep.metadata.name;
  const existing = await callOrMissing(`reading the Deployment ${namespace}/${name}`, () =>
    apps.readNamespacedDeployment({ name, namespace }),
  );
  if (existing && !existing.metadata?.deletionTimestamp) return;
  if (existing)
    throw new WeirError('WEIR_KUBERNETES', `the Deployment ${namespace}/${name} of an earlier deployment is still being deleted`);
  const config = deploymentConfiguration(dep, spec);
  const cs = clusterSpec(config, name, namespace);
  const body = withPodTemplate(jobManagerDeployment(cs, []), spec.podTemplate);
  body.metadata = { ...body.metadata, ownerReferences: [weirDeploymentOwner(dep)] };
  const deployment = await call(`creating the JobManager Deployment ${namespace}/${name}`, () =>
    apps.createNamespacedDeployment({ namespace, body }),
  );
  const owner = ownerReference(deployment);
  if (Object.keys(cs.secrets).length > 0)
    await call(`creating the Secret of ${name}`, () => core.createNamespacedSecret({ namespace, body: secret(cs, owner) }));
  await call(`creating the REST Service of ${name}`, () => core.createNamespacedService({ namespace, body: restService(cs, owner) }));
}

/** The REST URL once the JobManager answers; undefined while it does not. */
export async function readyRestUrl(api: KubeApi, name: string): Promise<string | undefined> {
  const url = await restEndpoint(api, name).catch(() => undefined);
  if (!url) return undefined;
  try {
    return (await fetch(`${url}/config`, { signal: AbortSignal.timeout(2000) })).ok ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Deletes the JobManager Deployment (and through owner references the rest); true once no object or pod is left. */
export async function deleteCluster(api: KubeApi, name: string): Promise<boolean> {
  const { apps, core, namespace } = api;
  const d = await callOrMissing(`reading the Deployment ${namespace}/${name}`, () => apps.readNamespacedDeployment({ name, namespace }));
  if (d && !d.metadata?.deletionTimestamp)
    await callOrMissing(`deleting the Deployment ${namespace}/${name}`, () =>
      apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Foreground' }),
    );
  const l = labels(name);
  const pods = await call('listing the pods', () => core.listNamespacedPod({ namespace, labelSelector: `app=${l.app},type=${l.type}` }));
  return d === undefined && pods.items.length === 0;
}
