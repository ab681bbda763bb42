/**
 * The Kubernetes resource provider (Flink's KubernetesResourceManagerDriver): the JobManager, in
 * its pod, creates a TaskManager pod `<cluster-id>-taskmanager-<attempt>-<n>` when the
 * ResourceManager asks for slots and deletes it when the ResourceManager releases it (idle for
 * resourcemanager.taskmanager-timeout). A TaskManager pod shares the JobManager container's image,
 * environment and `-D` properties (read from the JobManager Deployment), is owned by that
 * Deployment (deleting the Deployment removes it) and has restartPolicy Never: a TaskManager that
 * ends is replaced by a new pod when slots are needed again, never restarted in place.
 *
 * With high availability every JobManager of the Deployment has a provider; the one granted
 * leadership takes over the TaskManager pods of the previous leader (Flink's recovery of workers
 * from previous attempts): they register with it, are its own to stop when idle, and its new pods
 * are numbered with the next attempt.
 *
 * Pods of the cluster are watched (an informer on the `component=taskmanager` label): a pod that
 * failed, ended or was deleted by someone else is reported through `onTerminated`.
 */
import { makeInformer, type V1Container, type V1OwnerReference, type V1Pod } from '@kubernetes/client-node';
import type { ResourceProvider } from '../../runtime/jobmanager/resource-provider.js';
import type { Logger } from '../../runtime/rpc/transport.js';
import { call, callOrMissing, statusOf, type KubeApi } from './kube-api.js';
import { mergePodTemplate, TASKMANAGER_TEMPLATE_ANNOTATION } from './pod-template.js';
import { ownerReference, selector, taskManagerPod } from './specs.js';

const INFORMER_RETRY_MS = 1000;

/** What the provider learns from the API server before the JobManager starts. */
export interface KubernetesClusterContext {
  api: KubeApi;
  clusterId: string;
  owner: V1OwnerReference;
  template: V1Container;
  serviceAccount: string | undefined;
  /** Numbers TaskManager pod names apart from those of an earlier JobManager of the same cluster. */
  attempt: number;
  /** The TaskManager pod template (kubernetes.pod-template-file.taskmanager|default), from the Deployment's annotation. */
  podTemplate?: V1Pod;
}

/** The environment variables Weir generates (the pod's IP, the secret references); the rest of the JobManager's come from its pod template. */
const GENERATED_ENV = /^(POD_IP|WEIR_SECRET_\d+)$/;

export interface KubernetesProviderOptions extends KubernetesClusterContext {
  jobManagerAddress: string;
  cpu: number;
  memoryBytes: number;
  log: Logger;
  /**
   * With high availability: a JobManager that stops leaves its TaskManager pods to the next leader
   * (they are the Deployment's, removed with it when the cluster is stopped).
   */
  keepTaskManagersOnClose?: boolean;
  /** How long a deleted pod may take to disappear before stopTaskManager gives up waiting (default 60 s). */
  stopTimeoutMs?: number;
}

/** Reads the JobManager Deployment (owner and pod template) and the attempt of this JobManager. */
export async function clusterContext(api: KubeApi, clusterId: string): Promise<KubernetesClusterContext> {
  const deployment = await callOrMissing(`reading the Deployment ${api.namespace}/${clusterId}`, () =>
    api.apps.readNamespacedDeployment({ name: clusterId, namespace: api.namespace }),
  );
  if (!deployment)
    throw new Error(`the JobManager Deployment ${api.namespace}/${clusterId} does not exist (kubernetes.cluster-id, kubernetes.namespace)`);
  const main = deployment.spec!.template.spec!.containers[0]!;
  const template = { ...main, env: (main.env ?? []).filter((e) => GENERATED_ENV.test(e.name)) };
  const annotation = deployment.metadata?.annotations?.[TASKMANAGER_TEMPLATE_ANNOTATION];
  let podTemplate: V1Pod | undefined;
  try {
    podTemplate = annotation ? (JSON.parse(annotation) as V1Pod) : undefined;
  } catch {
    throw new Error(`the annotation ${TASKMANAGER_TEMPLATE_ANNOTATION} of the Deployment ${api.namespace}/${clusterId} is not JSON`);
  }
  const pods = await call('listing the TaskManager pods', () =>
    api.core.listNamespacedPod({ namespace: api.namespace, labelSelector: selector(clusterId, 'taskmanager') }),
  );
  const attempts = pods.items.map((p) => Number(/-taskmanager-(\d+)-\d+$/.exec(p.metadata!.name!)?.[1] ?? 0));
  return {
    api,
    clusterId,
    owner: ownerReference(deployment),
    template,
    serviceAccount: deployment.spec!.template.spec!.serviceAccountName,
    attempt: Math.max(0, ...attempts) + 1,
    ...(podTemplate ? { podTemplate } : {}),
  };
}

export class KubernetesResourceProvider implements ResourceProvider {
  readonly name = 'kubernetes';
  readonly active = true;
  onTerminated: ((resourceId: string, reason: string) => void) | undefined;
  /** Pods this provider created and has not seen end: name → resolves when the pod is gone. */
  private readonly pods = new Map<string, { gone: Promise<void>; markGone: () => void; stopping: boolean }>();
  private counter = 0;
  private attempt: number;
  private closed = false;
  private readonly informer;

  constructor(private readonly o: KubernetesProviderOptions) {
    this.attempt = o.attempt;
    const { core, namespace, kubeConfig } = o.api;
    const labelSelector = selector(o.clusterId, 'taskmanager');
    this.informer = makeInformer<V1Pod>(
      kubeConfig,
      `/api/v1/namespaces/${namespace}/pods`,
      () => core.listNamespacedPod({ namespace, labelSelector }),
      labelSelector,
    );
    this.informer.on('update', (pod) => this.onPod(pod, false));
    this.informer.on('add', (pod) => this.onPod(pod, false));
    this.informer.on('delete', (pod) => this.onPod(pod, true));
    this.informer.on('error', () => {
      // The watch broke (the API server restarted, a network blip): list and watch again.
      if (!this.closed) setTimeout(() => void this.informer.start().catch(() => undefined), INFORMER_RETRY_MS).unref();
    });
    void this.informer.start().catch((e: Error) => o.log.error(`watching the TaskManager pods failed: ${e.message}`));
  }

  startTaskManager(slots: number): string {
    if (this.closed) throw new Error('the Kubernetes provider is closed');
    const name = `${this.o.clusterId}-taskmanager-${this.attempt}-${++this.counter}`;
    let markGone!: () => void;
    const gone = new Promise<void>((r) => (markGone = r));
    this.pods.set(name, { gone, markGone, stopping: false });
    const generated = taskManagerPod({
      name,
      clusterId: this.o.clusterId,
      namespace: this.o.api.namespace,
      template: this.o.template,
      serviceAccount: this.o.serviceAccount,
      jobManagerAddress: this.o.jobManagerAddress,
      slots,
      cpu: this.o.cpu,
      memoryBytes: this.o.memoryBytes,
      owner: this.o.owner,
    });
    const pod: V1Pod = { ...generated, ...mergePodTemplate(this.o.podTemplate, generated) };
    call(`creating the TaskManager pod ${name}`, () =>
      this.o.api.core.createNamespacedPod({ namespace: this.o.api.namespace, body: pod }),
    ).then(
      () => this.o.log.info(`created TaskManager pod ${name} (${slots} slot(s))`),
      (e: Error) => {
        this.forget(name);
        queueMicrotask(() => this.onTerminated?.(name, `could not be created: ${e.message}`));
      },
    );
    return name;
  }

  async leadershipGranted(): Promise<void> {
    const { core, namespace } = this.o.api;
    const pods = await call('listing the TaskManager pods', () =>
      core.listNamespacedPod({ namespace, labelSelector: selector(this.o.clusterId, 'taskmanager') }),
    );
    const attempts = pods.items.map((p) => Number(/-taskmanager-(\d+)-\d+$/.exec(p.metadata!.name!)?.[1] ?? 0));
    this.attempt = Math.max(this.attempt, ...attempts.map((a) => a + 1));
    this.counter = 0;
    let adopted = 0;
    for (const pod of pods.items) {
      const name = pod.metadata!.name!;
      const phase = pod.status?.phase;
      if (this.pods.has(name) || pod.metadata?.deletionTimestamp || phase === 'Failed' || phase === 'Succeeded') continue;
      let markGone!: () => void;
      const gone = new Promise<void>((r) => (markGone = r));
      this.pods.set(name, { gone, markGone, stopping: false });
      adopted++;
    }
    this.o.log.info(`leading: took over ${adopted} TaskManager pod(s) of the previous leader; new pods are of attempt ${this.attempt}`);
  }

  private forget(name: string): void {
    this.pods.get(name)?.markGone();
    this.pods.delete(name);
  }

  private onPod(pod: V1Pod, deleted: boolean): void {
    const name = pod.metadata?.name ?? '';
    const known = this.pods.get(name);
    if (!known) return;
    const phase = pod.status?.phase;
    if (!deleted && phase !== 'Failed' && phase !== 'Succeeded') return;
    const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
    const reason = deleted
      ? `its pod ${name} was deleted`
      : `its pod ${name} ended (${phase}${term ? `, exit code ${term.exitCode}` : ''}${pod.status?.message ? `: ${pod.status.message}` : ''})`;
    if (deleted) this.forget(name);
    if (known.stopping || this.closed) return;
    known.stopping = true;
    this.o.log.info(`TaskManager ${name}: ${reason}`);
    this.onTerminated?.(name, reason);
    // An ended pod of restartPolicy Never stays until deleted: remove it.
    if (!deleted) void this.deletePod(name);
  }

  owns(resourceId: string): boolean {
    return this.pods.has(resourceId);
  }

  private async deletePod(name: string): Promise<void> {
    try {
      await this.o.api.core.deleteNamespacedPod({ name, namespace: this.o.api.namespace });
    } catch (e) {
      if (statusOf(e) === 404) this.forget(name);
      else this.o.log.error(`deleting the TaskManager pod ${name} failed: ${(e as Error).message}`);
    }
  }

  async stopTaskManager(resourceId: string, reason: string): Promise<void> {
    const p = this.pods.get(resourceId);
    if (!p) return;
    p.stopping = true;
    this.o.log.info(`deleting TaskManager pod ${resourceId}: ${reason}`);
    await this.deletePod(resourceId);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p.gone, new Promise<void>((r) => (timer = setTimeout(r, this.o.stopTimeoutMs ?? 60_000)))]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.o.keepTaskManagersOnClose) {
      this.o.log.info(`leaving ${this.pods.size} TaskManager pod(s) to the next leader`);
      await this.informer.stop();
      return;
    }
    await Promise.all([...this.pods.keys()].map((id) => this.stopTaskManager(id, 'the cluster is shutting down')));
    await this.informer.stop();
  }
}
