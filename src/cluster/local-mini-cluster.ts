/**
 * The embedded local cluster (target `local`, Flink's MiniCluster): the same JobManager and
 * TaskManager classes as a real cluster, in this process, with every slot a worker thread. Messages
 * between them are delivered asynchronously, as they would be over RPC. TaskManagers are added on
 * demand so that a job always finds the slots its parallelism needs.
 */
import { dirname } from 'node:path';
import { BlobServer } from '../runtime/blob/blob-server.js';
import { storeCachedFiles } from '../runtime/blob/cached-files.js';
import type { MetricRegistry } from '../metrics/registry.js';
import { JobManager } from '../runtime/jobmanager/job-manager.js';
import type { ToJobManager, ToTaskManager } from '../runtime/rpc/messages.js';
import { PeerBroker } from '../runtime/taskmanager/peer-broker.js';
import { TaskManager } from '../runtime/taskmanager/task-manager.js';
import type { Bundle } from '../client/bundler.js';
import { jobArchiver } from './job-archiver.js';
import type { ClusterClient, JobProgress, SubmissionRequest } from '../client/cluster-client.js';
import { liveMetricsFromStore } from '../client/live-metrics.js';
import { stopJobWithSavepoint, type JobResult } from '../runtime/jobmanager/job-master.js';

export interface MiniClusterOptions {
  taskManagers?: number;
  slotsPerTaskManager?: number;
  /** jobmanager.archive.dir: ended jobs are archived there, as by a standalone JobManager. */
  archiveDir?: string | undefined;
  /** The process's metric registry (with its reporters; closed with the cluster); default one without reporters. */
  metricRegistry?: MetricRegistry;
}

export class LocalMiniCluster implements ClusterClient {
  readonly description = 'local mini-cluster';
  readonly webUrl = undefined;
  readonly jobManager: JobManager;
  readonly taskManagers: TaskManager[] = [];
  private readonly broker = new PeerBroker();
  private readonly slotsPerTm: number;
  private readonly metricRegistry: MetricRegistry | undefined;

  constructor(opts: MiniClusterOptions = {}) {
    this.slotsPerTm = Math.max(1, opts.slotsPerTaskManager ?? 1);
    this.metricRegistry = opts.metricRegistry;
    this.jobManager = new JobManager({
      archive: jobArchiver(opts.archiveDir),
      ...(opts.metricRegistry ? { metricRegistry: opts.metricRegistry } : {}),
    });
    for (let i = 0; i < (opts.taskManagers ?? 1); i++) this.addTaskManager(this.slotsPerTm);
  }

  private addTaskManager(slots: number): TaskManager {
    const id = `tm-${this.taskManagers.length}`;
    const toJm = (m: ToJobManager): void => queueMicrotask(() => this.jobManager.receive(m));
    const tm = new TaskManager(id, slots, toJm, this.broker, this.metricRegistry ? { metrics: { registry: this.metricRegistry } } : {});
    this.taskManagers.push(tm);
    this.jobManager.registerTaskManager({ id, numberOfSlots: slots, send: (m: ToTaskManager) => queueMicrotask(() => tm.handle(m)) });
    return tm;
  }

  /** Adds a TaskManager when fewer than `n` slots are free. */
  ensureFreeSlots(n: number): void {
    const free = this.jobManager.resourceManager.freeSlots;
    if (free < n) this.addTaskManager(Math.max(this.slotsPerTm, n - free));
  }

  async submit(request: SubmissionRequest, bundle: Bundle): Promise<string> {
    this.ensureFreeSlots(Math.max(...request.jobGraph.vertices.map((v) => v.parallelism)));
    // Cached files are stored content-addressed next to the bundle; the TaskManagers copy them per job.
    const { cachedFiles: files, ...rest } = request;
    const store = files?.length ? new BlobServer(dirname(bundle.path)) : undefined;
    const cachedFiles = store ? await storeCachedFiles(files, (bytes) => store.put(bytes, 'file')) : [];
    return this.jobManager.dispatcher.submit({
      ...rest,
      bundle: { id: bundle.id, path: bundle.path },
      ...(cachedFiles.length ? { cachedFiles } : {}),
    });
  }

  async progress(jobId: string): Promise<JobProgress> {
    const jm = this.jobManager.dispatcher.job(jobId);
    const vertices = jm.vertexSummaries();
    const live =
      jm.status === 'RUNNING'
        ? liveMetricsFromStore(
            this.jobManager.metrics.store,
            jobId,
            vertices.map((v) => v.id),
            jm.checkpointStats(),
          )
        : undefined;
    return { status: jm.status, vertices, ...(live ? { live } : {}) };
  }

  async cancel(jobId: string): Promise<void> {
    this.jobManager.dispatcher.cancel(jobId);
  }

  stopWithSavepoint(jobId: string, dir: string | undefined, drain: boolean): Promise<string> {
    return stopJobWithSavepoint(this.jobManager.dispatcher.job(jobId), dir, drain);
  }

  waitForResult(jobId: string): Promise<JobResult> {
    return this.jobManager.dispatcher.result(jobId);
  }

  logs(): string {
    return 'this process (the local mini-cluster logs to this terminal)';
  }

  async close(): Promise<void> {
    this.jobManager.shutdown();
    await Promise.all(this.taskManagers.map((tm) => tm.shutdown()));
    await this.jobManager.dispatcher.archivesWritten();
    await this.metricRegistry?.close();
  }
}
