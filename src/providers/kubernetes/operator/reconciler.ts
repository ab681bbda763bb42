/**
 * Reconciles one WeirDeployment: brings its cluster and job to what the spec asks and reports what
 * it sees in the status (the Flink Kubernetes Operator's FlinkDeployment controller). Everything it
 * needs to continue after a restart is in the status: the spec last deployed (reconciledSpec), the
 * job's id, and where the next run starts from (jobStatus.upgradeSavepointPath).
 *
 *  - first deployment: the cluster, then the job (from job.initialSavepointPath) → DEPLOYED;
 *  - the job seen RUNNING → STABLE; FAILED → FAILED with the job's root exception in status.error;
 *  - a changed spec → UPGRADING: the job stops as upgradeMode says (savepoint: stop-with-savepoint;
 *    last-state: cancel, keeping its latest checkpoint; stateless: cancel), the cluster is replaced
 *    when its part of the spec changed, and the job starts again from that point → DEPLOYED;
 *  - job.state suspended → the job stops the same way, the cluster is deleted → SUSPENDED; running
 *    again → deployed from the savepoint kept in status;
 *  - savepointTriggerNonce changed → one savepoint of the running job (lastSavepoint, MANUAL);
 *  - deletion → DELETING: the job is cancelled, the cluster deleted, then the finalizer removed.
 */
import type { Configuration } from '../../../config/index.js';
import { WeirError } from '../../../errors.js';
import { RestClient } from '../../../rest/client.js';
import { callOrMissing } from '../kube-api.js';
import type { Logger } from '../../../runtime/rpc/transport.js';
import { deleteCluster, deploymentConfiguration, ensureCluster, readyRestUrl } from './cluster.js';
import {
  cancelJob,
  isTerminal,
  observeJob,
  readBundle,
  stopForUpgrade,
  submitJob,
  triggerSavepoint,
  unfinishedJob,
} from './job-control.js';
import {
  clusterRelevant,
  FINALIZER,
  parseSpec,
  sameForUpgrade,
  type SavepointRecord,
  type WeirDeployment,
  type WeirDeploymentSpec,
  type WeirDeploymentStatus,
} from './resource.js';
import type { ResourceApi } from './resource-api.js';

const HISTORY = 10;

export interface ReconcilerOptions {
  api: ResourceApi;
  config: Configuration;
  log: Logger;
}

export class Reconciler {
  private readonly intervalMs: number;
  private readonly savepointTimeoutMs: number;
  private readonly readinessTimeoutMs: number;

  constructor(private readonly o: ReconcilerOptions) {
    this.intervalMs = o.config.get('kubernetes.operator.reconcile.interval');
    this.savepointTimeoutMs = o.config.get('kubernetes.operator.savepoint.timeout');
    this.readinessTimeoutMs = o.config.get('kubernetes.operator.deployment.readiness.timeout');
  }

  /** Reconciles namespace/name once; resolves the delay until it should be looked at again. */
  async reconcile(namespace: string, name: string): Promise<number | undefined> {
    const dep = await this.o.api.get(namespace, name);
    if (!dep) return undefined;
    if (dep.metadata.deletionTimestamp) return this.delete(dep);
    const withFinalizer = await this.ensureFinalizer(dep);
    if (!withFinalizer) return undefined;
    const parsed = parseSpec(withFinalizer.spec);
    if ('error' in parsed) {
      await this.fail(withFinalizer, withFinalizer.status ?? {}, parsed.error);
      return undefined;
    }
    const r = new Run(this.o, withFinalizer, parsed.spec, this.savepointTimeoutMs, this.readinessTimeoutMs);
    try {
      await r.reconcile();
    } catch (e) {
      await this.fail(r.dep, r.status, (e as Error).message);
      throw e;
    }
    return this.intervalMs;
  }

  private async fail(dep: WeirDeployment, status: WeirDeploymentStatus, error: string): Promise<void> {
    await this.o.api.updateStatus(dep, { ...status, lifecycleState: 'FAILED', error, observedGeneration: dep.metadata.generation });
  }

  private async ensureFinalizer(dep: WeirDeployment): Promise<WeirDeployment | undefined> {
    if (dep.metadata.finalizers?.includes(FINALIZER)) return dep;
    return this.o.api.update(dep, (d) => (d.metadata.finalizers = [...(d.metadata.finalizers ?? []), FINALIZER]), 'object');
  }

  private async delete(dep: WeirDeployment): Promise<number | undefined> {
    if (!dep.metadata.finalizers?.includes(FINALIZER)) return undefined;
    const status: WeirDeploymentStatus = { ...dep.status, lifecycleState: 'DELETING' };
    const current = (await this.o.api.updateStatus(dep, status)) ?? dep;
    const api = this.o.api.kubeApi(dep.metadata.namespace);
    const jobId = status.jobStatus?.jobId;
    const url = jobId ? await readyRestUrl(api, dep.metadata.name) : undefined;
    if (url && jobId) {
      const rest = restClient(url, dep);
      const state = (await rest.jobStatus(jobId).catch(() => undefined))?.status;
      if (state && !isTerminal(state)) await cancelJob(rest, jobId, this.savepointTimeoutMs).catch(() => undefined);
    }
    if (!(await deleteCluster(api, dep.metadata.name))) return 250;
    await this.o.api.update(
      current,
      (d) => (d.metadata.finalizers = (d.metadata.finalizers ?? []).filter((f) => f !== FINALIZER)),
      'object',
    );
    this.o.log.info(`WeirDeployment ${dep.metadata.namespace}/${dep.metadata.name}: job stopped, cluster deleted, finalizer removed`);
    return undefined;
  }
}

function restClient(url: string, dep: WeirDeployment): RestClient {
  const settings = (dep.spec as WeirDeploymentSpec | undefined)?.weirConfiguration ?? {};
  return new RestClient({ url, token: settings['security.rest.token'], timeoutMs: 30_000 });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One reconciliation of one resource: the resource and the status as it is being built. */
class Run {
  status: WeirDeploymentStatus;
  private readonly reconciled: WeirDeploymentSpec | undefined;
  private readonly name: string;

  constructor(
    private readonly o: ReconcilerOptions,
    public dep: WeirDeployment,
    private readonly spec: WeirDeploymentSpec,
    private readonly savepointTimeoutMs: number,
    private readonly readinessTimeoutMs: number,
  ) {
    this.status = structuredClone(dep.status ?? {});
    this.reconciled = this.status.reconciledSpec ? (JSON.parse(this.status.reconciledSpec) as WeirDeploymentSpec) : undefined;
    this.name = `${dep.metadata.namespace}/${dep.metadata.name}`;
  }

  private get api() {
    return this.o.api.kubeApi(this.dep.metadata.namespace);
  }
  private get mode() {
    return this.spec.job.upgradeMode ?? 'stateless';
  }

  private async save(change: Partial<WeirDeploymentStatus>): Promise<void> {
    this.status = { ...this.status, ...change, observedGeneration: this.dep.metadata.generation };
    for (const k of Object.keys(this.status) as (keyof WeirDeploymentStatus)[]) if (this.status[k] === undefined) delete this.status[k];
    const updated = await this.o.api.updateStatus(this.dep, this.status);
    if (updated) this.dep = updated;
  }

  async reconcile(): Promise<void> {
    const wanted = this.spec.job.state ?? 'running';
    const reconciled = this.reconciled;
    if (!reconciled) {
      if (wanted === 'suspended')
        return this.save({ lifecycleState: 'SUSPENDED', jobManagerDeploymentStatus: 'MISSING', ...this.specDone() });
      await this.save({ lifecycleState: 'CREATED' });
      return this.deploy(this.spec.job.initialSavepointPath);
    }
    const wasRunning = (reconciled.job.state ?? 'running') === 'running';
    if (!wasRunning) {
      if (wanted === 'suspended') return this.save(this.specDone());
      const from =
        this.mode === 'stateless' ? undefined : (this.status.jobStatus?.upgradeSavepointPath ?? this.spec.job.initialSavepointPath);
      this.o.log.info(`WeirDeployment ${this.name}: resuming${from ? ` from ${from}` : ''}`);
      return this.deploy(from);
    }
    if (wanted === 'suspended') return this.suspend();
    if (!sameForUpgrade(this.spec, reconciled)) return this.upgrade(reconciled);
    if (this.spec.job.savepointTriggerNonce !== reconciled.job.savepointTriggerNonce) await this.manualSavepoint();
    return this.observe();
  }

  private specDone(): Partial<WeirDeploymentStatus> {
    return { reconciledSpec: JSON.stringify(this.spec), error: undefined };
  }

  private withSavepoint(rec: SavepointRecord | undefined): WeirDeploymentStatus['jobStatus'] {
    const js = { ...this.status.jobStatus };
    if (!rec) return js;
    if (rec.triggerType !== 'CHECKPOINT') {
      const history = [...(js.savepointInfo?.savepointHistory ?? []), rec].slice(-HISTORY);
      js.savepointInfo = { lastSavepoint: rec, savepointHistory: history };
    }
    return js;
  }

  /** The REST client of the running JobManager, or undefined when it does not answer. */
  private async rest(): Promise<RestClient | undefined> {
    const url = await readyRestUrl(this.api, this.dep.metadata.name);
    return url ? restClient(url, this.dep) : undefined;
  }

  /** Stops the job as the upgrade mode says; returns where the next run starts from. */
  private async stopJob(triggerType: SavepointRecord['triggerType']): Promise<string | undefined> {
    const jobId = this.status.jobStatus?.jobId;
    const rest = jobId ? await this.rest() : undefined;
    let from = this.status.jobStatus?.upgradeSavepointPath;
    if (rest && jobId) {
      const rec = await stopForUpgrade(rest, jobId, this.mode, this.savepointTimeoutMs, triggerType);
      const after = await observeJob(rest, jobId).catch(() => undefined);
      from = rec?.location ?? from;
      await this.save({ jobStatus: { ...this.withSavepoint(rec), state: after?.state ?? 'FINISHED', upgradeSavepointPath: from } });
      if (rec) this.o.log.info(`WeirDeployment ${this.name}: job ${jobId} stopped (${this.mode}) at ${rec.location}`);
    }
    return this.mode === 'stateless' ? undefined : from;
  }

  private async upgrade(reconciled: WeirDeploymentSpec): Promise<void> {
    this.o.log.info(`WeirDeployment ${this.name}: the spec changed, upgrading (${this.mode})`);
    await this.save({ lifecycleState: 'UPGRADING' });
    const from = await this.stopJob('UPGRADE');
    if (JSON.stringify(clusterRelevant(this.spec)) !== JSON.stringify(clusterRelevant(reconciled))) await this.removeCluster();
    await this.deploy(from);
  }

  private async suspend(): Promise<void> {
    this.o.log.info(`WeirDeployment ${this.name}: suspending (${this.mode})`);
    await this.save({ lifecycleState: 'UPGRADING' });
    await this.stopJob('SUSPEND');
    await this.removeCluster();
    await this.save({ lifecycleState: 'SUSPENDED', jobManagerDeploymentStatus: 'MISSING', ...this.specDone() });
  }

  private async removeCluster(): Promise<void> {
    const deadline = Date.now() + this.readinessTimeoutMs;
    while (!(await deleteCluster(this.api, this.dep.metadata.name))) {
      if (Date.now() > deadline)
        throw new WeirError('WEIR_OPERATOR', `the cluster ${this.name} was not deleted within ${this.readinessTimeoutMs} ms`);
      await sleep(250);
    }
  }

  private async deploy(from: string | undefined): Promise<void> {
    // A bad configuration or bundle URI fails here, before any object exists.
    deploymentConfiguration(this.dep, this.spec);
    const bundle = await readBundle(this.spec.job.bundleURI, this.spec.weirConfiguration ?? {});
    await ensureCluster(this.api, this.dep, this.spec);
    await this.save({ jobManagerDeploymentStatus: 'DEPLOYING' });
    const deadline = Date.now() + this.readinessTimeoutMs;
    let rest = await this.rest();
    while (!rest) {
      if (Date.now() > deadline)
        throw new WeirError('WEIR_OPERATOR', `the JobManager of ${this.name} did not answer within ${this.readinessTimeoutMs} ms`);
      await sleep(250);
      rest = await this.rest();
    }
    // The cluster runs only this resource's job: one still running was submitted by an operator
    // that stopped before it recorded it, and is adopted rather than started twice.
    const adopted = await unfinishedJob(rest);
    const jobId = adopted ?? (await submitJob(rest, this.spec.job, bundle, from));
    const seen = await observeJob(rest, jobId).catch(() => undefined);
    this.o.log.info(`WeirDeployment ${this.name}: job ${jobId} ${adopted ? 'adopted' : 'submitted'}${from ? ` from ${from}` : ''}`);
    await this.save({
      lifecycleState: 'DEPLOYED',
      jobManagerDeploymentStatus: 'READY',
      jobStatus: {
        ...this.status.jobStatus,
        jobId,
        jobName: seen?.jobName ?? this.status.jobStatus?.jobName,
        state: seen?.state ?? 'CREATED',
        startTime: seen?.startTime ?? Date.now(),
        upgradeSavepointPath: from,
      },
      ...this.specDone(),
    });
  }

  private async manualSavepoint(): Promise<void> {
    const jobId = this.status.jobStatus?.jobId;
    const rest = await this.rest();
    if (!rest || !jobId) throw new WeirError('WEIR_OPERATOR', `cannot trigger a savepoint of ${this.name}: its JobManager does not answer`);
    const location = await triggerSavepoint(rest, jobId, this.savepointTimeoutMs);
    await this.save({ jobStatus: this.withSavepoint({ location, timeStamp: Date.now(), triggerType: 'MANUAL' }), ...this.specDone() });
  }

  private async observe(): Promise<void> {
    const jobId = this.status.jobStatus?.jobId;
    const { apps, namespace } = this.api;
    const d = await callOrMissing(`reading the Deployment ${this.name}`, () =>
      apps.readNamespacedDeployment({ name: this.dep.metadata.name, namespace }),
    );
    if (!d) {
      // The JobManager Deployment vanished (deleted by hand): deploy again from the last savepoint kept.
      this.o.log.warn(`WeirDeployment ${this.name}: the JobManager Deployment is missing, deploying again`);
      const from =
        this.mode === 'stateless'
          ? undefined
          : (this.status.jobStatus?.savepointInfo?.lastSavepoint?.location ?? this.status.jobStatus?.upgradeSavepointPath);
      return this.deploy(from);
    }
    const rest = await this.rest();
    if (!rest || !jobId) {
      if (this.status.jobManagerDeploymentStatus !== 'DEPLOYING') await this.save({ jobManagerDeploymentStatus: 'DEPLOYING' });
      return;
    }
    const seen = await observeJob(rest, jobId);
    if (!seen) throw new WeirError('WEIR_OPERATOR', `the JobManager of ${this.name} does not know the job ${jobId}`);
    const lifecycle =
      seen.state === 'FAILED' ? 'FAILED' : seen.state === 'RUNNING' || seen.state === 'FINISHED' ? 'STABLE' : this.status.lifecycleState;
    const error = seen.state === 'FAILED' ? `the job ${jobId} failed: ${seen.failure ?? 'unknown cause'}` : undefined;
    const jobStatus = { ...this.status.jobStatus, jobId, jobName: seen.jobName, state: seen.state, startTime: seen.startTime };
    const next = {
      ...this.status,
      lifecycleState: lifecycle,
      jobManagerDeploymentStatus: 'READY' as const,
      jobStatus,
      error,
      observedGeneration: this.dep.metadata.generation,
    };
    if (JSON.stringify(next) !== JSON.stringify({ ...this.status, error: this.status.error })) await this.save(next);
  }
}
