/**
 * Plan mode (DESIGN §3): the client side of execute(). Each call turns the pipeline into a
 * StreamGraph and JobGraph here, checks sources and sinks (paths exist, ...), and submits the
 * JobGraph with the program's bundle to the cluster. No operator runs in the client.
 */
import { existsSync } from 'node:fs';
import type { ExecutionRecord, Pipeline, PipelineExecutor } from '../api/execution-context.js';
import { resultValue } from '../api/accumulators.js';
import type { JobClient, JobExecutionResult, JobStatus } from '../api/job-client.js';
import { Configuration } from '../config/index.js';
import { buildJobGraph, type JobGraph } from '../graph/job-graph.js';
import { buildStreamGraph, type StreamGraph, type StreamGraphDefaults } from '../graph/stream-graph.js';
import { resolveCachedFiles } from '../runtime/blob/cached-files.js';
import type { JobResult } from '../runtime/jobmanager/job-master.js';
import type { Bundle } from './bundler.js';
import type { ClusterClient } from './cluster-client.js';

export interface ProgramListener {
  onSubmitted?(job: SubmittedJob): void;
  onFinished?(job: SubmittedJob, result: JobResult): void;
}

export interface SubmittedJob {
  jobId: string;
  jobName: string;
  jobGraph: JobGraph;
  streamGraph: StreamGraph;
  cluster: ClusterClient;
  result: Promise<JobResult>;
  /** The program cancelled the job itself (JobClient.cancel()): its CANCELED end is not a failure of the run. */
  cancelledByProgram?: boolean;
}

export interface ProgramExecutorOptions {
  bundle: Bundle;
  args: string[];
  cwd: string;
  config: Configuration;
  defaults: StreamGraphDefaults;
  cluster: () => Promise<ClusterClient>;
  listener?: ProgramListener;
  /** main() ran from code compiled differently from the bundle (a program started without weir). */
  structuralCheck?: boolean;
  /** `weir run -d` (execution.attached: false): execute() returns once the job is submitted. */
  detached?: boolean;
  /** The id of the job of main()'s n-th execute()/executeAsync() call (Application mode); the cluster picks one otherwise. */
  jobIdFor?: (executionIndex: number) => string;
}

/** Turns a pipeline's settings and the program's env.configure() into job configuration. */
export function jobConfiguration(base: Configuration, pipeline: Pipeline): Configuration {
  const c = base.clone();
  const s = pipeline.settings;
  for (const [k, v] of Object.entries(s.config)) c.set(k, v as string, `the program (env.configure)`);
  if (s.bufferTimeout !== undefined) c.set('execution.buffer-timeout', s.bufferTimeout, 'the program');
  if (s.autoWatermarkInterval !== undefined) c.set('pipeline.auto-watermark-interval', s.autoWatermarkInterval, 'the program');
  if (s.checkpointInterval !== undefined) c.set('execution.checkpointing.interval', s.checkpointInterval, 'the program');
  if (s.checkpointingMode !== undefined) c.set('execution.checkpointing.mode', s.checkpointingMode, 'the program');
  return c;
}

export function resolveGraphs(pipeline: Pipeline, defaults: StreamGraphDefaults): { streamGraph: StreamGraph; jobGraph: JobGraph } {
  const streamGraph = buildStreamGraph(pipeline, defaults);
  for (const n of streamGraph.nodes) {
    if (n.spec.type === 'source') n.spec.source.validate?.();
    if (n.spec.type === 'sink') n.spec.sink.validate?.();
  }
  return { streamGraph, jobGraph: buildJobGraph(streamGraph) };
}

export class ProgramExecutor implements PipelineExecutor {
  readonly jobs: SubmittedJob[] = [];
  private closed = false;
  /** What main() saw of each execute() call, by execution index (shipped with later jobs). */
  private readonly records: ExecutionRecord[] = [];

  constructor(private readonly o: ProgramExecutorOptions) {}

  /** main() has returned: an execute() it did not await submits nothing (its promise never settles). */
  close(): void {
    this.closed = true;
  }

  async execute(pipeline: Pipeline, options: { detached: boolean }): Promise<JobClient> {
    if (this.closed) return new Promise<JobClient>(() => undefined);
    const record: ExecutionRecord = { statuses: [], savepoints: [] };
    this.records[pipeline.executionIndex] = record;
    // Frozen now: what main() saw before this call (later observations belong to later jobs).
    const observed = Array.from({ length: pipeline.executionIndex }, (_, i) =>
      structuredClone(this.records[i] ?? { statuses: [], savepoints: [] }),
    );
    void options;
    try {
      return await this.submitPipeline(pipeline, record, observed);
    } catch (e) {
      record.submitError = errorRecord(e);
      throw e;
    }
  }

  private async submitPipeline(pipeline: Pipeline, record: ExecutionRecord, observed: ExecutionRecord[]): Promise<JobClient> {
    const { streamGraph, jobGraph } = resolveGraphs(pipeline, this.o.defaults);
    const config = jobConfiguration(this.o.config, pipeline);
    await checkRestorePoint(config, jobGraph);
    // Registered files must exist before anything is submitted; the cluster client stores them.
    const cachedFiles = await resolveCachedFiles(pipeline.settings.cachedFiles, this.o.cwd);
    const cluster = await this.o.cluster();
    const fixedId = this.o.jobIdFor?.(pipeline.executionIndex);
    const jobId = await cluster.submit(
      {
        ...(fixedId !== undefined ? { jobId: fixedId } : {}),
        jobGraph,
        programArgs: this.o.args,
        cwd: this.o.cwd,
        executionIndex: pipeline.executionIndex,
        graphDefaults: this.o.defaults,
        config: config.toJSON() as Record<string, unknown>,
        ...(this.o.structuralCheck ? { structuralCheck: true } : {}),
        ...(observed.length ? { observed } : {}),
        ...(cachedFiles.length ? { cachedFiles } : {}),
      },
      this.o.bundle,
    );
    if (this.closed) {
      // Submitted while main() was returning without awaiting it: the run reports that; the job goes.
      await cluster.cancel(jobId).catch(() => undefined);
      return new Promise<JobClient>(() => undefined);
    }
    // Detached (Flink's -d): nobody waits for the job; execute() returns a result without figures.
    const detached = this.o.detached === true;
    const result: Promise<JobResult> = detached ? new Promise<JobResult>(() => undefined) : cluster.waitForResult(jobId);
    const job: SubmittedJob = { jobId, jobName: jobGraph.jobName, jobGraph, streamGraph, cluster, result };
    this.jobs.push(job);
    this.o.listener?.onSubmitted?.(job);
    const finished = detached
      ? Promise.resolve<JobExecutionResult>({ jobId, jobName: jobGraph.jobName, netRuntime: 0, accumulators: {}, collected: {} })
      : result.then(async (r) => {
          this.o.listener?.onFinished?.(job, r);
          // The JobMaster's module is loaded only when a job failed: a client does not need the runtime.
          if (r.status !== 'FINISHED') throw (await import('../runtime/jobmanager/job-master.js')).jobFailure(r);
          return toExecutionResult(r);
        });
    record.jobId = jobId;
    // Recorded as main() sees them, for replays of later jobs.
    const seen = finished.then(
      (r) => {
        record.result = r;
        return r;
      },
      (e: unknown) => {
        record.error = errorRecord(e);
        throw e;
      },
    );
    // A detached job's failure is reported through its JobClient, not as an unhandled rejection.
    seen.catch(() => undefined);
    const client: JobClient = {
      jobId,
      getJobStatus: async (): Promise<JobStatus> => {
        const status = (await cluster.progress(jobId)).status;
        const last = record.statuses.at(-1);
        if (last && last[0] === status) last[1]++;
        else record.statuses.push([status, 1]);
        return status;
      },
      cancel: () => {
        job.cancelledByProgram = true;
        return cluster.cancel(jobId);
      },
      stopWithSavepoint: async (o = {}) => {
        const path = await cluster.stopWithSavepoint(jobId, o.savepointPath, o.drain === true);
        record.savepoints.push(path);
        return path;
      },
      getJobExecutionResult: () => seen,
    };
    return client;
  }
}

/**
 * `execution.savepoint.path` (`-s`) is checked before the job is submitted: it must name a
 * completed savepoint or checkpoint (with a readable `_metadata`) whose operators the job claims,
 * unless execution.savepoint.ignore-unclaimed-state. A remote cluster whose filesystem the client
 * does not see checks it when the job starts.
 */
async function checkRestorePoint(config: Configuration, jobGraph: JobGraph): Promise<void> {
  const location = config.get('execution.savepoint.path');
  if (typeof location !== 'string' || location === '') return;
  if (config.get('execution.target') === 'remote' && !existsSync(location.replace(/^file:(\/\/)?/, ''))) return;
  const [{ loadRestorePoint }, { checkUnclaimedState }] = await Promise.all([
    import('../runtime/checkpoint/storage.js'),
    import('../runtime/checkpoint/state-assignment.js'),
  ]);
  const cp = await loadRestorePoint(location);
  checkUnclaimedState(cp, jobGraph, config.get('execution.savepoint.ignore-unclaimed-state') === true);
}

function errorRecord(e: unknown): { code: string; message: string } {
  const code = (e as { code?: unknown } | undefined)?.code;
  return { code: typeof code === 'string' ? code : 'WEIR_PROGRAM_FAILED', message: e instanceof Error ? e.message : String(e) };
}

export function toExecutionResult(r: JobResult): JobExecutionResult {
  const accumulators: Record<string, unknown> = {};
  for (const [name, acc] of Object.entries(r.accumulators ?? {})) accumulators[name] = resultValue(acc);
  return { jobId: r.jobId, jobName: r.jobName, netRuntime: r.endTime - r.startTime, accumulators, collected: r.collected };
}
