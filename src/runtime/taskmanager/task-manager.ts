/**
 * A TaskManager: a number of slots, and for each job attempt running here one worker thread per
 * slot it uses. It takes workers from its warm pool (or starts them), forwards deployments and
 * split assignments to them, relays their reports to the JobManager, and terminates them when the
 * JobManager releases the job.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { serializeError, type SerializedError } from '../../errors.js';
import { materializeCachedFiles } from '../blob/cached-files.js';
import type {
  DeployedCachedFile,
  FromSlotWorker,
  JobDeployment,
  TaskDeploymentDescriptor,
  ToJobManager,
  ToSlotWorker,
  ToTaskManager,
} from '../rpc/messages.js';
import { lsmWorkingDir, stateBackendType } from '../state/state-backends.js';
import { workerEntry } from '../worker-entry.js';
import type { PeerBroker } from './peer-broker.js';
import { trackWorkerThread } from '../../util/process-info.js';
import { TaskManagerMetrics, type TaskManagerMetricsOptions } from './task-manager-metrics.js';
import { fileSystemSettings } from '../../fs/index.js';
import { WarmPool } from './warm-pool.js';

interface SlotWorker {
  worker: Worker;
  address: string;
  ready: Promise<boolean>;
  /** Tasks deployed here that have not reached a terminal state. */
  tasks: Set<string>;
}

export function workerAddress(tmId: string, jobId: string, attempt: number, slot: number): string {
  return `${tmId}/${jobId}/${attempt}/${slot}`;
}

export interface TaskManagerOptions {
  /**
   * Where the copies of each job attempt's distributed cache files go (one sub-directory per
   * attempt, removed when its workers end; the directory itself at shutdown). Default: a new
   * temporary directory, made when a job first has cached files.
   */
  filesDir?: string;
  /** The process's metric registry, host and push interval. */
  metrics?: TaskManagerMetricsOptions;
  /**
   * Slot workers kept started ahead of jobs (taskmanager.slot.warm-pool.size). Default 0: a
   * TaskManager that lives for one job (the local mini-cluster) gains nothing from a pool.
   */
  warmPoolSize?: number;
}

export class TaskManager {
  private readonly workers = new Map<string, SlotWorker>();
  /** Copies of the cached files of each job attempt ("jobId/attempt") that has any. */
  private readonly jobFiles = new Map<string, { dir: string; files: Promise<Record<string, string>> }>();
  private filesDir: string | undefined;
  /** The lsm working directory of each job attempt with workers here, by `<jobId>/<attempt>`. */
  private readonly localStateDirs = new Map<string, string>();
  readonly metrics: TaskManagerMetrics;
  readonly warmPool: WarmPool;

  constructor(
    readonly id: string,
    readonly numberOfSlots: number,
    private readonly toJobManager: (m: ToJobManager) => void,
    private readonly broker: PeerBroker,
    options: TaskManagerOptions = {},
  ) {
    this.filesDir = options.filesDir;
    this.metrics = new TaskManagerMetrics(
      id,
      (m) => this.toJobManager(m),
      () => this.workers.size,
      options.metrics,
    );
    this.warmPool = new WarmPool(options.warmPoolSize ?? 0, () => {
      const worker = new Worker(workerEntry('./taskmanager/slot-worker.js'), {
        workerData: { host: this.metrics.host, fileSystems: fileSystemSettings() },
        stdout: false,
        stderr: false,
      });
      trackWorkerThread(worker, 'Warm slot worker (no job yet)');
      return worker;
    });
  }

  handle(msg: ToTaskManager): void {
    switch (msg.type) {
      case 'submitTask':
        this.submitTask(msg.deployment, msg.slot, msg.task);
        return;
      case 'splits': {
        for (const w of this.workers.values()) {
          if (w.address.includes(`/${msg.jobId}/${msg.attempt}/`) && w.tasks.has(`${msg.vertexId}/${msg.subtask}`)) {
            w.worker.postMessage({
              type: 'splits',
              vertexId: msg.vertexId,
              subtask: msg.subtask,
              splits: msg.splits,
              noMoreSplits: msg.noMoreSplits,
            } satisfies ToSlotWorker);
          }
        }
        return;
      }
      case 'triggerCheckpoint': {
        const w = this.workerOf(msg.jobId, msg.attempt, `${msg.vertexId}/${msg.subtask}`);
        // A task that is gone (finished, failed) is not triggered: the coordinator learns of it from its state.
        w?.worker.postMessage({
          type: 'triggerCheckpoint',
          vertexId: msg.vertexId,
          subtask: msg.subtask,
          checkpointId: msg.checkpointId,
          timestamp: msg.timestamp,
          mode: msg.mode,
          ...(msg.options ? { options: msg.options } : {}),
        } satisfies ToSlotWorker);
        return;
      }
      case 'checkpointNotification': {
        for (const w of this.workers.values()) {
          if (w.address.includes(`/${msg.jobId}/${msg.attempt}/`)) {
            w.worker.postMessage({ type: 'checkpointNotification', checkpointId: msg.checkpointId, kind: msg.kind } satisfies ToSlotWorker);
          }
        }
        return;
      }
      case 'releaseJob':
        void this.releaseJob(msg.jobId, msg.attempt);
        return;
    }
  }

  private workerOf(jobId: string, attempt: number, task: string): SlotWorker | undefined {
    for (const w of this.workers.values()) if (w.address.includes(`/${jobId}/${attempt}/`) && w.tasks.has(task)) return w;
    return undefined;
  }

  /** Terminates every worker of the job (of one attempt, or all attempts), then removes their cached files and local state directories. */
  async releaseJob(jobId: string, attempt?: number): Promise<void> {
    const prefix = attempt === undefined ? `${this.id}/${jobId}/` : `${this.id}/${jobId}/${attempt}/`;
    const ends: Promise<unknown>[] = [];
    for (const [addr, w] of this.workers) {
      if (!addr.startsWith(prefix)) continue;
      this.workers.delete(addr);
      this.broker.unregister(addr);
      this.metrics.workerGone(addr);
      ends.push(w.worker.terminate());
    }
    await Promise.all(ends);
    if (ends.length) this.warmPool.released();
    const removals: Promise<void>[] = [];
    for (const [key, f] of this.jobFiles) {
      if (attempt === undefined ? !key.startsWith(`${jobId}/`) : key !== `${jobId}/${attempt}`) continue;
      this.jobFiles.delete(key);
      removals.push(
        f.files.then(
          () => rm(f.dir, { recursive: true, force: true }),
          () => rm(f.dir, { recursive: true, force: true }),
        ),
      );
    }
    await Promise.all(removals);
    await this.removeLocalState((k) => (attempt === undefined ? k.startsWith(`${jobId}/`) : k === `${jobId}/${attempt}`));
  }

  async shutdown(): Promise<void> {
    this.metrics.close();
    const ends: Promise<unknown>[] = [this.warmPool.close(), ...[...this.workers.values()].map((w) => w.worker.terminate())];
    this.workers.clear();
    await Promise.all(ends);
    await Promise.allSettled([...this.jobFiles.values()].map((f) => f.files));
    this.jobFiles.clear();
    if (this.filesDir) rmSync(this.filesDir, { recursive: true, force: true });
    await this.removeLocalState(() => true);
  }

  /** The copies of a job attempt's cached files (made once per attempt, shared by its workers). */
  private cachedFiles(d: JobDeployment & { cachedFiles: DeployedCachedFile[] }): Promise<Record<string, string>> {
    const key = `${d.jobId}/${d.attempt}`;
    let f = this.jobFiles.get(key);
    if (!f) {
      this.filesDir ??= mkdtempSync(join(tmpdir(), 'weir-taskmanager-files-'));
      const dir = join(this.filesDir, `${d.jobId}-${d.attempt}`);
      f = { dir, files: materializeCachedFiles(d.cachedFiles, dir) };
      this.jobFiles.set(key, f);
    }
    return f.files;
  }

  /** Removes the lsm working directories of the job attempts `which` selects (their workers are gone). */
  private async removeLocalState(which: (jobAttempt: string) => boolean): Promise<void> {
    const dirs: string[] = [];
    for (const [k, dir] of this.localStateDirs) {
      if (!which(k)) continue;
      this.localStateDirs.delete(k);
      dirs.push(dir);
    }
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }).catch(() => undefined)));
  }

  /** Fails the tasks of one slot worker (its connection to a peer TaskManager broke); the JobMaster fails over. */
  failWorker(address: string, error: SerializedError): void {
    const w = this.workers.get(address);
    if (!w) return;
    const [, jobId, attempt] = address.split('/');
    for (const key of w.tasks) {
      const [vertexId, subtask] = key.split('/') as [string, string];
      this.toJobManager({
        type: 'taskState',
        jobId: jobId!,
        attempt: Number(attempt),
        vertexId,
        subtask: Number(subtask),
        state: 'FAILED',
        error,
      });
    }
    w.tasks.clear();
  }

  get activeWorkers(): number {
    return this.workers.size;
  }

  private submitTask(d: JobDeployment, slot: number, task: TaskDeploymentDescriptor): void {
    const address = workerAddress(this.id, d.jobId, d.attempt, slot);
    if (stateBackendType(d.settings.config) === 'lsm')
      this.localStateDirs.set(`${d.jobId}/${d.attempt}`, lsmWorkingDir(d.settings.config, d.jobId, d.attempt));
    let w = this.workers.get(address);
    if (!w) w = this.startWorker(address, d);
    const key = `${task.vertexId}/${task.subtask}`;
    w.tasks.add(key);
    const sw = w;
    void w.ready.then((ok) => {
      if (ok && this.workers.get(address) === sw) sw.worker.postMessage({ type: 'deploy', task } satisfies ToSlotWorker);
    });
  }

  private startWorker(address: string, d: JobDeployment): SlotWorker {
    const worker = this.warmPool.take();
    const { jobId, attempt } = d;
    trackWorkerThread(worker, `Slot ${address} (job ${jobId}, attempt ${attempt})`);
    let resolveReady!: (ok: boolean) => void;
    const sw: SlotWorker = { worker, address, ready: new Promise<boolean>((r) => (resolveReady = r)), tasks: new Set() };
    this.workers.set(address, sw);
    this.broker.register(address, worker);
    const failAll = (error: ReturnType<typeof serializeError>): void => {
      for (const key of sw.tasks) {
        const [vertexId, subtask] = key.split('/') as [string, string];
        this.toJobManager({ type: 'taskState', jobId, attempt, vertexId, subtask: Number(subtask), state: 'FAILED', error });
      }
      sw.tasks.clear();
    };
    worker.on('message', (m: FromSlotWorker) => {
      switch (m.type) {
        case 'ready':
          resolveReady(true);
          return;
        case 'initFailed':
          resolveReady(false);
          failAll(m.error);
          return;
        case 'taskState': {
          const msg: ToJobManager = { type: 'taskState', jobId, attempt, vertexId: m.vertexId, subtask: m.subtask, state: m.state };
          if (m.error) msg.error = m.error;
          if (m.metrics) msg.metrics = m.metrics;
          if (m.state === 'FINISHED' || m.state === 'FAILED' || m.state === 'CANCELED') sw.tasks.delete(`${m.vertexId}/${m.subtask}`);
          this.toJobManager(msg);
          return;
        }
        case 'requestConnection':
          this.broker.connect(address, m.peer);
          return;
        case 'sourceEvent':
          this.toJobManager({
            type: 'sourceEvent',
            jobId,
            attempt,
            operatorId: m.operatorId,
            vertexId: m.vertexId,
            subtask: m.subtask,
            event: m.event,
          });
          return;
        case 'collect': {
          const msg: ToJobManager = { type: 'collect', jobId, attempt, collectId: m.collectId, values: m.values };
          if (m.vertexId !== undefined && m.subtask !== undefined) Object.assign(msg, { vertexId: m.vertexId, subtask: m.subtask });
          this.toJobManager(msg);
          return;
        }
        case 'metrics':
          if (this.workers.get(address) === sw) this.metrics.workerSample(address, m.groups);
          return;
        case 'print':
          // Written here, not by the worker: a worker's stdout reaches this process asynchronously, after
          // its later messages (FINISHED) and possibly after the process exits.
          (m.toStderr ? process.stderr : process.stdout).write(m.text);
          return;
        case 'acknowledgeCheckpoint':
        case 'declineCheckpoint':
        case 'endOfData':
          this.toJobManager({ ...m, jobId, attempt });
          return;
      }
    });
    worker.on('error', (e) => {
      resolveReady(false);
      failAll(serializeError(e, 'WEIR_USER_FUNCTION', { jobName: d.jobGraph.jobName }));
    });
    worker.on('exit', () => {
      if (this.workers.get(address) === sw) {
        this.metrics.workerGone(address);
        this.workers.delete(address);
        this.broker.unregister(address);
        failAll(serializeError(new Error(`slot worker ${address} exited unexpectedly`), 'WEIR_INTERNAL'));
      }
    });
    if (!d.cachedFiles?.length) {
      worker.postMessage({ type: 'init', deployment: d, workerAddress: address } satisfies ToSlotWorker);
      return sw;
    }
    // The worker starts once the job attempt's cached files are in place.
    this.cachedFiles({ ...d, cachedFiles: d.cachedFiles }).then(
      (cachedFiles) => {
        if (this.workers.get(address) !== sw) return;
        worker.postMessage({ type: 'init', deployment: d, workerAddress: address, cachedFiles } satisfies ToSlotWorker);
      },
      (e: unknown) => {
        resolveReady(false);
        failAll(serializeError(e, 'WEIR_CACHED_FILE', { jobId, jobName: d.jobGraph.jobName }));
      },
    );
    return sw;
  }
}
