/**
 * `weir operator`'s controller: watches the WeirDeployments of the watched namespaces (an informer
 * per namespace: list, then watch, listed again when the watch breaks) and reconciles each through
 * the work queue. A reconcile runs when a WeirDeployment is added, deleted, or its spec changed
 * (its generation differs from the status' observedGeneration, so the operator's own status writes
 * do not wake it), when it is being deleted, and again every kubernetes.operator.reconcile.interval
 * to observe its job.
 */
import { makeInformer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Configuration } from '../../../config/index.js';
import type { Logger } from '../../../runtime/rpc/transport.js';
import { Reconciler } from './reconciler.js';
import { ResourceApi } from './resource-api.js';
import { GROUP, PLURAL, VERSION, type WeirDeployment } from './resource.js';
import { WorkQueue } from './workqueue.js';

const INFORMER_RETRY_MS = 1000;

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  config: Configuration;
  log: Logger;
}

export class WeirOperator {
  readonly namespaces: readonly string[];
  private readonly api: ResourceApi;
  private readonly reconciler: Reconciler;
  private readonly queue: WorkQueue;
  private readonly informers: { stop(): Promise<void> }[] = [];
  private closed = false;

  constructor(private readonly o: OperatorOptions) {
    const watched = o.config.get('kubernetes.operator.watched.namespaces');
    this.namespaces = watched.length > 0 ? [...new Set(watched)] : [o.config.get('kubernetes.namespace')];
    this.api = new ResourceApi(o.kubeConfig);
    this.reconciler = new Reconciler({ api: this.api, config: o.config, log: o.log });
    const reconciler = this.reconciler;
    this.queue = new WorkQueue({
      concurrency: o.config.get('kubernetes.operator.reconcile.parallelism'),
      initialBackoffMs: o.config.get('kubernetes.operator.retry.initial.interval'),
      maxBackoffMs: o.config.get('kubernetes.operator.retry.max.interval'),
      handle: (key) => {
        const slash = key.indexOf('/');
        return reconciler.reconcile(key.slice(0, slash), key.slice(slash + 1));
      },
      onError: (key, e, retryMs) => o.log.error(`reconciling the WeirDeployment ${key} failed: ${e.message} (again in ${retryMs} ms)`),
    });
  }

  /** Starts watching; resolves once every namespace was listed (its resources queued). */
  async start(): Promise<void> {
    await Promise.all(this.namespaces.map((ns) => this.watch(ns)));
  }

  private async watch(namespace: string): Promise<void> {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
    const informer = makeInformer<KubernetesObject>(this.o.kubeConfig, path, () =>
      this.api.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace }),
    );
    const key = (d: KubernetesObject): string => `${d.metadata!.namespace ?? namespace}/${d.metadata!.name}`;
    informer.on('add', (d) => this.queue.add(key(d)));
    informer.on('delete', (d) => this.queue.add(key(d)));
    informer.on('update', (obj) => {
      const d = obj as unknown as WeirDeployment;
      if (d.metadata.deletionTimestamp || d.metadata.generation !== d.status?.observedGeneration) this.queue.add(key(obj));
    });
    informer.on('error', (e: unknown) => {
      // The watch broke (the API server restarted, a network blip): list and watch again.
      if (this.closed) return;
      this.o.log.warn(`watching the WeirDeployments of ${namespace} failed (${(e as Error)?.message ?? e}); watching again`);
      setTimeout(() => void informer.start().catch(() => undefined), INFORMER_RETRY_MS).unref();
    });
    this.informers.push(informer);
    await informer.start();
    this.o.log.info(`watching WeirDeployments in namespace ${namespace}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.queue.close();
  }
}
