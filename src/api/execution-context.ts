/**
 * How an environment hands a finished pipeline to whoever runs it. The API layer knows only this
 * interface: the CLI's client (plan mode), a TaskManager slot replaying main() (task mode) and
 * `weir info` each install their own executor; without one, programs run on an embedded local
 * mini-cluster (as Flink's LocalStreamEnvironment).
 */
import type { CachedFileRegistration } from './distributed-cache.js';
import type { JobClient, JobExecutionResult, JobStatus } from './job-client.js';
import type { Transformation } from './transformation.js';
import type { CheckpointingMode } from '../schema.js';

export type { CheckpointingMode };

/** Everything the environment settles before execute(); travels with the pipeline. */
export interface EnvironmentSettings {
  parallelism: number | undefined;
  maxParallelism: number | undefined;
  runtimeMode: 'STREAMING' | 'BATCH' | undefined;
  checkpointInterval: number | undefined;
  checkpointingMode: CheckpointingMode | undefined;
  bufferTimeout: number | undefined;
  autoWatermarkInterval: number | undefined;
  chainingEnabled: boolean;
  /** Configuration set by the program (env.configure / getExecutionEnvironment(config)). */
  config: Record<string, unknown>;
  /** Files registered with env.registerCachedFile(), shipped with every job of the environment. */
  cachedFiles: CachedFileRegistration[];
}

export interface Pipeline {
  readonly jobName: string;
  readonly sinks: readonly Transformation[];
  readonly settings: EnvironmentSettings;
  /** 0 for the program's first execute() call, 1 for the second, ... */
  readonly executionIndex: number;
}

/**
 * What main() saw of one execute()/executeAsync() call while it ran in the client. The records of
 * the earlier calls travel with each job, so a slot replaying main() sees the same results and
 * takes the same path (DESIGN §3).
 */
export interface ExecutionRecord {
  /** The call threw before a job was submitted (e.g. a missing input path). */
  submitError?: { code: string; message: string };
  jobId?: string;
  /** What getJobExecutionResult() resolved with (execute() awaits it) ... */
  result?: JobExecutionResult;
  /** ... or rejected with. Neither: main() had not seen the job end. */
  error?: { code: string; message: string };
  /** What getJobStatus() returned, call by call, as runs of equal answers (a polling loop stays small). */
  statuses: [status: JobStatus, times: number][];
  /** What stopWithSavepoint() resolved with, call by call. */
  savepoints: string[];
}

export interface PipelineExecutor {
  /** `detached`: resolve as soon as the job is submitted (executeAsync). */
  execute(pipeline: Pipeline, options: { detached: boolean }): Promise<JobClient>;
}

export type PipelineExecutorFactory = () => PipelineExecutor;

const FACTORY = Symbol.for('weir.pipelineExecutorFactory');
const EXECUTIONS = Symbol.for('weir.executionCount');
type Holder = { [FACTORY]?: PipelineExecutorFactory | undefined; [EXECUTIONS]?: number };

/**
 * Installed by the client, the task runtime or `weir info`; undefined restores the local default.
 * Starts a new program run: execute() calls are numbered from 0 again.
 */
export function setPipelineExecutorFactory(factory: PipelineExecutorFactory | undefined): void {
  (globalThis as Holder)[FACTORY] = factory;
  (globalThis as Holder)[EXECUTIONS] = 0;
}

/**
 * The Pipeline.executionIndex of the next execute() of this program run. Counted across all of the
 * program's environments: a program may call getExecutionEnvironment() more than once.
 */
export function nextExecutionIndex(): number {
  const h = globalThis as Holder;
  const i = h[EXECUTIONS] ?? 0;
  h[EXECUTIONS] = i + 1;
  return i;
}

/** How many execute()/executeAsync() calls this program run has made so far. */
export function executionCount(): number {
  return (globalThis as Holder)[EXECUTIONS] ?? 0;
}

export function getPipelineExecutorFactory(): PipelineExecutorFactory | undefined {
  return (globalThis as Holder)[FACTORY];
}

/** What an environment runs on when nothing else installed a factory: loaded only when used. */
export type DefaultPipelineExecutorLoader = () => Promise<PipelineExecutor>;

const DEFAULT = Symbol.for('weir.defaultPipelineExecutor');

/**
 * Registers the executor a program gets outside `weir` (e.g. `tsx job.ts`): the embedded local
 * cluster. The API knows no executor; the composition root (src/bootstrap.ts) registers it, as
 * Flink's PipelineExecutorServiceLoader finds executors the API does not name.
 */
export function setDefaultPipelineExecutor(loader: DefaultPipelineExecutorLoader): void {
  (globalThis as { [DEFAULT]?: DefaultPipelineExecutorLoader })[DEFAULT] = loader;
}

export function getDefaultPipelineExecutor(): DefaultPipelineExecutorLoader | undefined {
  return (globalThis as { [DEFAULT]?: DefaultPipelineExecutorLoader })[DEFAULT];
}
