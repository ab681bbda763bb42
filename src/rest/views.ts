/**
 * What the REST API shows of the JobManager's state, in Flink's JSON shapes: pure functions from a
 * JobMaster (or a TaskManager's gateway) to a response body.
 */
import { ioMetrics } from './vertex-views.js';
import type { JobStatus } from '../api/job-client.js';
import type { SerializedError } from '../errors.js';
import { planJson } from '../graph/plan.js';
import { isGloballyTerminal } from '../runtime/jobmanager/job-status.js';
import type { JobMaster, JobResult, VertexSummary } from '../runtime/jobmanager/job-master.js';
import type { ExecutionState } from '../runtime/rpc/messages.js';
import {
  EXECUTION_STATES,
  JOB_STATUSES,
  JOB_TASK_COUNT_KEYS,
  type ExceptionHistoryEntry,
  type ExecutionStateCounts,
  type JobDetails,
  type JobExceptions,
  type JobOverviewEntry,
  type JobResultResponse,
  type JobTaskCounts,
  type JobVertexDetails,
} from './api.js';

/** Weir's scheduler is Flink's Default one: every vertex at its parallelism, whole-job restarts. */
export const SCHEDULER_TYPE = 'Default';

const TERMINAL_TASK_STATES: ReadonlySet<ExecutionState> = new Set(['FINISHED', 'CANCELED', 'FAILED']);

/**
 * A vertex's state as Flink aggregates its subtasks' (ExecutionJobVertex): any failed, canceling or
 * cancelled subtask gives that state (a failing-over vertex is never RUNNING), then running, and
 * all finished is FINISHED. Without per-state counts, MIXED shows as RUNNING. Subtasks of an ended
 * job that never reached a terminal state were cancelled with it.
 */
function vertexState(v: VertexSummary, jobStatus: JobStatus): ExecutionState {
  const s: ExecutionState = v.status !== 'MIXED' ? v.status : v.states ? aggregateState(v.states, v.parallelism) : 'RUNNING';
  if (isGloballyTerminal(jobStatus) && !TERMINAL_TASK_STATES.has(s)) return 'CANCELED';
  return s;
}

const AGGREGATE_ORDER: readonly ExecutionState[] = ['FAILED', 'CANCELING', 'CANCELED', 'INITIALIZING', 'RUNNING'];

function aggregateState(states: Partial<Record<ExecutionState, number>>, parallelism: number): ExecutionState {
  for (const s of AGGREGATE_ORDER) if ((states[s] ?? 0) > 0) return s;
  if ((states.FINISHED ?? 0) > 0) return states.FINISHED === parallelism ? 'FINISHED' : 'RUNNING';
  if ((states.DEPLOYING ?? 0) > 0) return 'DEPLOYING';
  if ((states.SCHEDULED ?? 0) > 0) return 'SCHEDULED';
  return 'CREATED';
}

/** Subtasks per state: the JobMaster's counts, else every subtask in the vertex's state. */
function subtaskStates(v: VertexSummary, jobStatus: JobStatus): [ExecutionState, number][] {
  if (!v.states) return [[vertexState(v, jobStatus), v.parallelism]];
  const ended = isGloballyTerminal(jobStatus);
  return (Object.entries(v.states) as [ExecutionState, number][]).map(([s, n]) => [
    ended && !TERMINAL_TASK_STATES.has(s) ? 'CANCELED' : s,
    n,
  ]);
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function vertexTaskCounts(v: VertexSummary, jobStatus: JobStatus): ExecutionStateCounts {
  const counts = zeroCounts(EXECUTION_STATES);
  for (const [s, n] of subtaskStates(v, jobStatus)) counts[s] += n;
  return counts;
}

export function jobTaskCounts(jm: JobMaster): JobTaskCounts {
  const counts = zeroCounts(JOB_TASK_COUNT_KEYS);
  for (const v of jm.vertexSummaries()) {
    counts.total += v.parallelism;
    for (const [s, n] of subtaskStates(v, jm.status)) counts[s.toLowerCase() as keyof JobTaskCounts] += n;
  }
  return counts;
}

function lastModification(jm: JobMaster): number {
  return Math.max(jm.startTime, ...Object.values(jm.statusTimestamps).map(Number));
}

function jobDuration(jm: JobMaster, now: number): number {
  return (jm.endTime > 0 ? jm.endTime : now) - jm.startTime;
}

export function jobOverviewEntry(jm: JobMaster, now = Date.now()): JobOverviewEntry {
  return {
    jid: jm.jobId,
    name: jm.jobName,
    state: jm.status,
    'start-time': jm.startTime,
    'end-time': jm.endTime,
    duration: jobDuration(jm, now),
    'last-modification': lastModification(jm),
    tasks: jobTaskCounts(jm),
    jobType: jm.jobGraph.type,
    schedulerType: SCHEDULER_TYPE,
    'pending-operators': 0,
  };
}

export function jobDetails(jm: JobMaster, now = Date.now()): JobDetails {
  const jg = jm.jobGraph;
  const maxParallelism = new Map(jg.vertices.map((v) => [v.id, v.maxParallelism]));
  const statusCounts = zeroCounts(EXECUTION_STATES);
  const runningSince = jm.statusTimestamps.RUNNING ?? -1;
  const vertices: JobVertexDetails[] = jm.vertexSummaries().map((v) => {
    const state = vertexState(v, jm.status);
    statusCounts[state]++;
    const started = state !== 'CREATED' && runningSince > 0 ? runningSince : -1;
    // Per-vertex end times are not tracked: a vertex ends with its job.
    const ended = TERMINAL_TASK_STATES.has(state) && jm.endTime > 0 ? jm.endTime : -1;
    const complete = TERMINAL_TASK_STATES.has(state);
    return {
      id: v.id,
      name: v.name,
      maxParallelism: maxParallelism.get(v.id) ?? v.parallelism,
      parallelism: v.parallelism,
      status: state,
      'start-time': started,
      'end-time': ended,
      duration: started > 0 ? (ended > 0 ? ended : now) - started : -1,
      tasks: vertexTaskCounts(v, jm.status),
      // Figures are complete once every subtask reported them (a subtask that ended always has).
      metrics: ioMetrics(v.metrics, (v.metricsComplete ?? false) || complete),
    };
  });
  const timestamps = zeroCounts(JOB_STATUSES);
  for (const s of JOB_STATUSES) timestamps[s] = jm.statusTimestamps[s] ?? 0;
  return {
    jid: jm.jobId,
    name: jm.jobName,
    isStoppable: false,
    state: jm.status,
    'job-type': jg.type,
    schedulerType: SCHEDULER_TYPE,
    'pending-operators': 0,
    'start-time': jm.startTime,
    'end-time': jm.endTime,
    duration: jobDuration(jm, now),
    maxParallelism: Math.max(...jg.vertices.map((v) => v.maxParallelism)),
    now,
    timestamps,
    vertices,
    'status-counts': statusCounts,
    plan: planJson(jg, jm.jobId),
  };
}

function stacktrace(e: SerializedError): string {
  return e.cause?.stack ?? e.stack ?? `${e.cause?.name ?? e.name}: ${e.cause?.message ?? e.message}`;
}

function taskName(e: SerializedError): string | null {
  const c = e.context;
  if (!c.operator) return null;
  return c.subtask === undefined ? c.operator : `${c.operator} (${c.subtask + 1}/${c.parallelism ?? '?'})`;
}

/** Flink's exception history, newest first, with the deprecated root-exception/all-exceptions fields too. */
export function jobExceptions(jm: JobMaster, max = 20): JobExceptions {
  const all = [...jm.exceptions].reverse();
  const shown = all.slice(0, max);
  const entries: ExceptionHistoryEntry[] = shown.map(({ timestamp, error, taskManagerId, endpoint }) => ({
    exceptionName: error.cause?.name ?? error.name,
    stacktrace: stacktrace(error),
    timestamp,
    taskName: taskName(error),
    location: endpoint ?? null,
    endpoint: endpoint ?? null,
    taskManagerId: taskManagerId ?? null,
    failureLabels: {},
    concurrentExceptions: [],
    code: error.code,
    message: error.message,
  }));
  const root = shown[0];
  return {
    'root-exception': root ? stacktrace(root.error) : null,
    timestamp: root ? root.timestamp : null,
    'all-exceptions': shown.map(({ timestamp, error, taskManagerId, endpoint }) => ({
      exception: stacktrace(error),
      task: taskName(error),
      location: endpoint ?? null,
      timestamp,
      taskManagerId: taskManagerId ?? null,
    })),
    truncated: all.length > shown.length,
    exceptionHistory: { entries, truncated: all.length > shown.length },
  };
}

const APPLICATION_STATUS = { FINISHED: 'SUCCEEDED', FAILED: 'FAILED', CANCELED: 'CANCELED' } as const;

export function completedResult(r: JobResult): JobResultResponse {
  const out: JobResultResponse = {
    status: { id: 'COMPLETED' },
    'job-execution-result': {
      id: r.jobId,
      'application-status': APPLICATION_STATUS[r.status],
      'net-runtime': r.endTime - r.startTime,
      'accumulator-results': {},
    },
    result: r,
  };
  if (r.error) {
    out['job-execution-result']!['failure-cause'] = {
      class: r.error.cause?.name ?? r.error.name,
      'stack-trace': stacktrace(r.error),
      'serialized-throwable': Buffer.from(JSON.stringify(r.error)).toString('base64'),
    };
  }
  return out;
}
