/**
 * A job vertex's REST views (Flink's JobVertexDetailsInfo, SubtasksTimesInfo,
 * JobVertexTaskManagersInfo, JobVertexBackPressureInfo): pure functions from the JobMaster's
 * per-subtask summaries. Weir restarts a job as a whole, so a subtask's attempt number is the job's
 * attempt and there are never concurrent attempts.
 */
import { SUMMED_METRICS, type JobMaster, type SubtaskSummary } from '../runtime/jobmanager/job-master.js';
import type { ExecutionState, TaskMetrics } from '../runtime/rpc/messages.js';
import type {
  AggregateFigures,
  BackPressureLevel,
  JobVertexBackPressureInfo,
  JobVertexDetailsInfo,
  JobVertexTaskManagersInfo,
  SubtaskAttemptDetails,
  SubtasksTimesInfo,
  VertexMetrics,
} from './api.js';
import { HttpError } from './http-error.js';
import { accumulatedTaskTimes, busyIdleRatios } from './task-times.js';

const TERMINAL: ReadonlySet<ExecutionState> = new Set(['FINISHED', 'CANCELED', 'FAILED']);
/** The states whose time Flink reports in `status-duration`. */
const DURATION_STATES: readonly ExecutionState[] = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING'];

export interface VertexRef {
  id: string;
  name: string;
  parallelism: number;
  maxParallelism: number;
}

export function vertexOf(jm: JobMaster, vertexId: string): VertexRef {
  const v = jm.jobGraph.vertices.find((x) => x.id === vertexId);
  if (!v) throw new HttpError(404, `Job ${jm.jobId} has no vertex ${vertexId}: see GET /jobs/${jm.jobId} for its vertices`);
  return v;
}

export function subtasksOf(jm: JobMaster, vertexId: string): SubtaskSummary[] {
  return jm.subtaskSummaries().filter((s) => s.vertexId === vertexId);
}

/** Flink's IOMetricsInfo; figures are complete once the subtask reached a terminal state. */
export function ioMetrics(m: TaskMetrics, complete: boolean): VertexMetrics {
  const t = accumulatedTaskTimes(m);
  return {
    'read-bytes': m.numBytesIn,
    'read-bytes-complete': complete,
    'write-bytes': m.numBytesOut,
    'write-bytes-complete': complete,
    'read-records': m.numRecordsIn,
    'read-records-complete': complete,
    'write-records': m.numRecordsOut,
    'write-records-complete': complete,
    'accumulated-backpressured-time': t.backPressuredMs,
    'accumulated-idle-time': t.idleMs,
    'accumulated-busy-time': t.busyMs,
  };
}

export const endpointOf = (s: SubtaskSummary): string => s.dataAddress ?? 'in-process';

function startEnd(s: SubtaskSummary, now: number): { start: number; end: number; duration: number } {
  const ts = s.timestamps;
  const start = ts.RUNNING ?? ts.INITIALIZING ?? ts.DEPLOYING ?? -1;
  const end = TERMINAL.has(s.state) ? (ts[s.state] ?? -1) : -1;
  return { start, end, duration: start < 0 ? -1 : (end > 0 ? end : now) - start };
}

/** ms spent in each state up to now (the current state counts until now). */
function statusDuration(s: SubtaskSummary, now: number): Record<string, number> {
  const entered = (Object.entries(s.timestamps) as [ExecutionState, number][]).sort((a, b) => a[1] - b[1]);
  const out: Record<string, number> = Object.fromEntries(DURATION_STATES.map((st) => [st, 0]));
  entered.forEach(([state, at], i) => {
    if (!DURATION_STATES.includes(state)) return;
    out[state] = (entered[i + 1]?.[1] ?? now) - at;
  });
  return out;
}

export function subtaskAttemptDetails(s: SubtaskSummary, attempt: number, now: number): SubtaskAttemptDetails {
  const { start, end, duration } = startEnd(s, now);
  return {
    subtask: s.subtask,
    status: s.state,
    attempt,
    endpoint: endpointOf(s),
    'start-time': start,
    'end-time': end,
    duration,
    metrics: ioMetrics(s.metrics, TERMINAL.has(s.state)),
    'taskmanager-id': s.taskManagerId ?? '(unassigned)',
    'status-duration': statusDuration(s, now),
    'other-concurrent-attempts': [],
  };
}

function aggregate(values: number[]): AggregateFigures {
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    min: sorted[0] ?? 0,
    max: sorted.at(-1) ?? 0,
    avg: sorted.length ? Math.round(sum / sorted.length) : 0,
    sum,
    median: q(0.5),
    p25: q(0.25),
    p75: q(0.75),
    p95: q(0.95),
  };
}

/** Flink's AggregatedTaskDetailsInfo over some subtasks: each IO figure and state duration aggregated. */
function aggregated(subtasks: SubtaskSummary[], now: number): JobVertexDetailsInfo['aggregated'] {
  const io = subtasks.map((s) => ioMetrics(s.metrics, false));
  const durations = subtasks.map((s) => statusDuration(s, now));
  const numeric = ['read-bytes', 'write-bytes', 'read-records', 'write-records'] as const;
  const times = ['accumulated-backpressured-time', 'accumulated-idle-time', 'accumulated-busy-time'] as const;
  return {
    metrics: Object.fromEntries([...numeric, ...times].map((k) => [k, aggregate(io.map((m) => m[k]))])),
    'status-duration': Object.fromEntries(DURATION_STATES.map((st) => [st, aggregate(durations.map((d) => d[st] ?? 0))])),
  };
}

export function vertexDetails(jm: JobMaster, vertexId: string, now = Date.now()): JobVertexDetailsInfo {
  const v = vertexOf(jm, vertexId);
  const subtasks = subtasksOf(jm, vertexId);
  return {
    id: v.id,
    name: v.name,
    parallelism: v.parallelism,
    maxParallelism: v.maxParallelism,
    now,
    subtasks: subtasks.map((s) => subtaskAttemptDetails(s, jm.attempt, now)),
    aggregated: aggregated(subtasks, now),
  };
}

export function subtaskOf(jm: JobMaster, vertexId: string, index: string): SubtaskSummary {
  const v = vertexOf(jm, vertexId);
  const s = /^[0-9]{1,6}$/.test(index) ? subtasksOf(jm, vertexId)[Number(index)] : undefined;
  if (!s) throw new HttpError(404, `Vertex ${vertexId} of job ${jm.jobId} has ${v.parallelism} subtask(s): there is no subtask ${index}`);
  return s;
}

export function subtaskTimes(jm: JobMaster, vertexId: string, now = Date.now()): SubtasksTimesInfo {
  const v = vertexOf(jm, vertexId);
  return {
    id: v.id,
    name: v.name,
    now,
    subtasks: subtasksOf(jm, vertexId).map((s) => ({
      subtask: s.subtask,
      endpoint: endpointOf(s),
      duration: startEnd(s, now).duration,
      timestamps: Object.fromEntries(Object.entries(s.timestamps).map(([k, t]) => [k, t ?? 0])),
    })),
  };
}

const STATE_ORDER: readonly ExecutionState[] = ['FAILED', 'CANCELING', 'CANCELED', 'RUNNING', 'INITIALIZING', 'DEPLOYING', 'SCHEDULED'];

export function vertexTaskManagers(jm: JobMaster, vertexId: string, now = Date.now()): JobVertexTaskManagersInfo {
  const v = vertexOf(jm, vertexId);
  const byTm = new Map<string, SubtaskSummary[]>();
  for (const s of subtasksOf(jm, vertexId)) {
    const k = s.taskManagerId ?? '(unassigned)';
    byTm.set(k, [...(byTm.get(k) ?? []), s]);
  }
  const taskmanagers = [...byTm].map(([tmId, subtasks]) => {
    const counts: Record<string, number> = {};
    for (const s of subtasks) counts[s.state] = (counts[s.state] ?? 0) + 1;
    const state: ExecutionState =
      STATE_ORDER.find((st) => (counts[st] ?? 0) > 0) ?? (subtasks.every((s) => s.state === 'FINISHED') ? 'FINISHED' : 'CREATED');
    const times = subtasks.map((s) => startEnd(s, now));
    const start = Math.min(...times.map((t) => (t.start < 0 ? Infinity : t.start)));
    const ends = times.map((t) => t.end);
    const end = ends.every((e) => e > 0) ? Math.max(...ends) : -1;
    const sum: TaskMetrics = {
      numRecordsIn: 0,
      numRecordsOut: 0,
      numBytesIn: 0,
      numBytesOut: 0,
      backPressuredTimeMs: 0,
      busyTimeMs: 0,
      idleTimeMs: 0,
    };
    for (const s of subtasks) for (const k of SUMMED_METRICS) sum[k] += s.metrics[k];
    return {
      endpoint: endpointOf(subtasks[0]!),
      'taskmanager-id': tmId,
      status: state,
      'start-time': Number.isFinite(start) ? start : -1,
      'end-time': end,
      duration: Number.isFinite(start) ? (end > 0 ? end : now) - start : -1,
      metrics: ioMetrics(
        sum,
        subtasks.every((s) => TERMINAL.has(s.state)),
      ),
      'status-counts': counts,
      aggregated: aggregated(subtasks, now),
    };
  });
  return { id: v.id, name: v.name, now, taskmanagers };
}

/** Flink's levels of a backpressured share of time: up to 10 % ok, up to 50 % low, above high. */
export function backPressureLevel(ratio: number): BackPressureLevel {
  return ratio <= 0.1 ? 'ok' : ratio <= 0.5 ? 'low' : 'high';
}

export function vertexBackPressure(jm: JobMaster, vertexId: string, now = Date.now()): JobVertexBackPressureInfo {
  vertexOf(jm, vertexId);
  const subtasks = subtasksOf(jm, vertexId).map((s) => {
    const ratio = Math.round(s.backPressuredRatio * 100) / 100;
    return {
      subtask: s.subtask,
      'attempt-number': jm.attempt,
      backpressureLevel: backPressureLevel(ratio),
      ratio,
      ...busyIdleRatios(s.metrics),
      'other-concurrent-attempts': [],
    };
  });
  const max = Math.max(0, ...subtasks.map((s) => s.ratio));
  return { status: 'ok', backpressureLevel: backPressureLevel(max), 'end-timestamp': now, subtasks };
}
