/** A job as submitted to the JobManager, its runtime settings, and its result. */
import type { AccumulatorSnapshot } from '../../api/accumulators.js';
import type { ExecutionRecord } from '../../api/execution-context.js';
import { WeirError, type SerializedError } from '../../errors.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type { StreamGraphDefaults } from '../../graph/stream-graph.js';
import type { DeployedCachedFile, ExecutionState, RuntimeSettings, TaskMetrics } from '../rpc/messages.js';

export interface JobSubmission {
  jobId: string;
  jobGraph: JobGraph;
  bundle: { id: string; path: string };
  programArgs: string[];
  cwd: string;
  executionIndex: number;
  graphDefaults: StreamGraphDefaults;
  /** Job configuration: cluster configuration overlaid with the program's and the client's. */
  config: Record<string, unknown>;
  /** See JobDeployment.structuralCheck. */
  structuralCheck?: boolean;
  /** See JobDeployment.observed. */
  observed?: ExecutionRecord[];
  /** Distributed cache files, stored where this process's TaskManagers (or BlobServer) find them. */
  cachedFiles?: DeployedCachedFile[];
}

export interface JobResult {
  jobId: string;
  jobName: string;
  status: 'FINISHED' | 'FAILED' | 'CANCELED';
  startTime: number;
  endTime: number;
  error?: SerializedError;
  collected: Record<string, unknown[]>;
  vertices: VertexSummary[];
  /** The job's accumulators, merged over its subtasks (absent in results of older versions). */
  accumulators?: Record<string, AccumulatorSnapshot>;
}

export interface VertexSummary {
  id: string;
  name: string;
  parallelism: number;
  status: ExecutionState | 'MIXED';
  /** How many subtasks are in each state (REST aggregates them as Flink does). */
  states?: Partial<Record<ExecutionState, number>>;
  metrics: TaskMetrics;
  /** Every subtask's metrics are in `metrics` (each reported at least once in this attempt). */
  metricsComplete?: boolean;
}

export interface ExceptionEntry {
  timestamp: number;
  error: SerializedError;
  /** The TaskManager the failed task ran on, and its data address ('in-process' for a local one). */
  taskManagerId?: string;
  endpoint?: string;
}

export function resolveRuntimeSettings(jg: JobGraph, get: (key: string) => unknown): RuntimeSettings {
  const n = (k: string, d: number): number => (get(k) === undefined ? d : Number(get(k)));
  const b = (k: string, d: boolean): boolean => {
    const v = get(k);
    return v === undefined ? d : v === true || String(v).toLowerCase() === 'true';
  };
  return {
    runtimeMode: jg.type,
    bufferTimeout: n('execution.buffer-timeout', 100),
    bufferSize: n('taskmanager.network.memory.buffer-size', 32 * 1024),
    buffersPerChannel: n('taskmanager.network.memory.buffers-per-channel', 2),
    floatingBuffersPerGate: n('taskmanager.network.memory.floating-buffers-per-gate', 8),
    maxBuffersPerChannel: n('taskmanager.network.memory.max-buffers-per-channel', 10),
    inThreadByReference: b('taskmanager.network.in-thread-by-reference', true),
    objectReuse: b('pipeline.object-reuse', false),
    autoWatermarkInterval: n('pipeline.auto-watermark-interval', 200),
    config: {},
  };
}

export function jobFailure(r: JobResult): WeirError {
  if (r.status === 'CANCELED')
    return new WeirError('WEIR_JOB_CANCELED', `Job '${r.jobName}' (${r.jobId}) was cancelled`, { jobId: r.jobId, jobName: r.jobName });
  const e = r.error;
  const err = new WeirError(e?.code ?? 'WEIR_JOB_FAILED', e?.message ?? `Job '${r.jobName}' failed`, {
    ...(e?.context ?? {}),
    jobId: r.jobId,
    jobName: r.jobName,
  });
  if (e?.cause) (err as { cause?: unknown }).cause = e.cause;
  return err;
}
