/**
 * The scheduler of one job (Flink's DefaultScheduler with its ExecutionGraph, reduced): the slots
 * of the current attempt, the deployment of every subtask (subtask i of every vertex shares slot i),
 * the subtasks' states and metrics, and what the JobMaster sends to the attempt's TaskManagers.
 */
import { mergeSnapshots, type AccumulatorSnapshot } from '../../api/accumulators.js';
import type { SourceSplit } from '../../api/source.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type { CheckpointTask } from '../checkpoint/checkpoint-coordinator.js';
import { taskRestoreFor } from '../checkpoint/state-assignment.js';
import type { LoadedCheckpoint } from '../checkpoint/storage.js';
import type { CheckpointingMode, CheckpointOptions, ExecutionState, JobDeployment, RuntimeSettings, TaskMetrics } from '../rpc/messages.js';
import { workerAddress } from '../taskmanager/task-manager.js';
import type { JobSubmission, VertexSummary } from './job-result.js';
import { canTaskTransition, isTaskTerminal } from './job-status.js';
import type { ResourceManager, SlotAllocation } from './resource-manager.js';

interface TaskExecution {
  state: ExecutionState;
  metrics: TaskMetrics | undefined;
  /** When the subtask entered each state in this attempt (Flink's status timestamps). */
  timestamps: Partial<Record<ExecutionState, number>>;
  /** The previous metrics report and when it came: rates are deltas between two reports. */
  previous?: { at: number; metrics: TaskMetrics };
  /** The latest backpressured share of wall time, between the last two reports (0..1). */
  backPressuredRatio: number;
}

/** One subtask of the current attempt as the REST API shows it. */
export interface SubtaskSummary {
  vertexId: string;
  subtask: number;
  state: ExecutionState;
  metrics: TaskMetrics;
  timestamps: Partial<Record<ExecutionState, number>>;
  /** The TaskManager the subtask runs on, with its data address (distributed clusters only). */
  taskManagerId: string | undefined;
  dataAddress: string | undefined;
  backPressuredRatio: number;
  /** Whether its TaskManager reported its metrics in this attempt (Flink's `*-complete` flags). */
  metricsReported: boolean;
}

/** The figures of TaskMetrics that add up over subtasks. */
export const SUMMED_METRICS = [
  'numRecordsIn',
  'numRecordsOut',
  'numBytesIn',
  'numBytesOut',
  'backPressuredTimeMs',
  'busyTimeMs',
  'idleTimeMs',
] as const;

const EMPTY_METRICS: TaskMetrics = {
  numRecordsIn: 0,
  numRecordsOut: 0,
  numBytesIn: 0,
  numBytesOut: 0,
  backPressuredTimeMs: 0,
  busyTimeMs: 0,
  idleTimeMs: 0,
};

export class Scheduler {
  private tasks = new Map<string, TaskExecution>();
  private allocation: SlotAllocation[] = [];

  constructor(
    private readonly submission: JobSubmission,
    private readonly rm: ResourceManager,
  ) {}

  private get jobId(): string {
    return this.submission.jobId;
  }
  private get jobGraph(): JobGraph {
    return this.submission.jobGraph;
  }

  /** TaskManagers the current attempt runs on. */
  get taskManagerIds(): string[] {
    return [...new Set(this.allocation.map((a) => a.tm.id))];
  }

  /** Waits for the slots of an attempt (an active provider starts TaskManagers) up to slot.request.timeout. */
  async allocateSlots(): Promise<void> {
    const slotsNeeded = Math.max(...this.jobGraph.vertices.map((v) => v.parallelism));
    const timeout = Number(this.submission.config['slot.request.timeout'] ?? 300_000);
    this.allocation = await this.rm.requestSlots(this.jobId, slotsNeeded, timeout);
  }

  deployment(attempt: number, settings: RuntimeSettings): JobDeployment {
    const s = this.submission;
    const d: JobDeployment = {
      jobId: s.jobId,
      attempt,
      bundlePath: s.bundle.path,
      bundleId: s.bundle.id,
      programArgs: s.programArgs,
      cwd: s.cwd,
      executionIndex: s.executionIndex,
      graphDefaults: s.graphDefaults,
      jobGraph: s.jobGraph,
      settings,
      ...(s.structuralCheck ? { structuralCheck: true } : {}),
      ...(s.observed?.length ? { observed: s.observed } : {}),
      ...(s.cachedFiles?.length ? { cachedFiles: s.cachedFiles } : {}),
    };
    const addresses: Record<string, string> = {};
    for (const a of this.allocation) if (a.tm.dataAddress !== undefined) addresses[a.tm.id] = a.tm.dataAddress;
    if (Object.keys(addresses).length > 0) d.tmDataAddresses = addresses;
    return d;
  }

  /** Every subtask is DEPLOYING from here; `deployTasks` then submits them to their slots. */
  prepareTasks(): void {
    this.tasks = new Map();
    for (const v of this.jobGraph.vertices)
      for (let s = 0; s < v.parallelism; s++) {
        const timestamps = { DEPLOYING: Date.now() };
        this.tasks.set(`${v.id}/${s}`, { state: 'DEPLOYING', metrics: undefined, timestamps, backPressuredRatio: 0 });
      }
  }

  /** Submits every subtask of the attempt, each with its operators' state of `restore`. */
  deployTasks(d: JobDeployment, restore: LoadedCheckpoint | undefined): void {
    const jg = this.jobGraph;
    const locations: Record<string, string[]> = {};
    for (const v of jg.vertices) {
      locations[v.id] = [];
      for (let s = 0; s < v.parallelism; s++) {
        const a = this.allocation[s]!;
        locations[v.id]!.push(workerAddress(a.tm.id, this.jobId, d.attempt, a.slot));
      }
    }
    for (const v of jg.vertices) {
      const taskRestore = restore ? taskRestoreFor(restore, v) : undefined;
      for (let s = 0; s < v.parallelism; s++) {
        const a = this.allocation[s]!;
        a.tm.send({
          type: 'submitTask',
          deployment: d,
          slot: a.slot,
          task: { vertexId: v.id, subtask: s, locations, ...(taskRestore ? { restore: taskRestore } : {}) },
        });
      }
    }
  }

  /** Ends the attempt on its TaskManagers and gives its slots back. */
  release(attempt: number): void {
    for (const tm of new Set(this.allocation.map((x) => x.tm))) tm.send({ type: 'releaseJob', jobId: this.jobId, attempt });
    this.rm.release(this.jobId);
    this.allocation = [];
  }

  /** Gives back slots granted to an attempt that no longer deploys. */
  releaseSlots(): void {
    this.rm.release(this.jobId);
  }

  // ------------------------------------------------------------------ task states

  /** Applies a task's reported state; returns the state it left, or undefined for a report that changes nothing. */
  updateTaskState(task: string, state: ExecutionState, metrics?: TaskMetrics): ExecutionState | undefined {
    const t = this.tasks.get(task);
    if (t && metrics) this.updateMetrics(t, metrics);
    if (!t || t.state === state || !canTaskTransition(t.state, state)) return undefined;
    const from = t.state;
    t.state = state;
    t.timestamps[state] = Date.now();
    return from;
  }

  private updateMetrics(t: TaskExecution, metrics: TaskMetrics): void {
    const now = Date.now();
    const p = t.previous;
    if (p && now > p.at) {
      const ratio = (metrics.backPressuredTimeMs - p.metrics.backPressuredTimeMs) / (now - p.at);
      t.backPressuredRatio = Math.min(1, Math.max(0, ratio));
    }
    t.previous = { at: now, metrics };
    t.metrics = metrics;
  }

  /** Every subtask of the current attempt, vertex by vertex (REST's vertex, subtask and TaskManager views). */
  subtaskSummaries(): SubtaskSummary[] {
    return this.jobGraph.vertices.flatMap((v) =>
      Array.from({ length: v.parallelism }, (_, s) => {
        const t = this.tasks.get(`${v.id}/${s}`);
        const tm = this.allocation[s]?.tm;
        return {
          vertexId: v.id,
          subtask: s,
          state: t?.state ?? 'CREATED',
          metrics: t?.metrics ?? { ...EMPTY_METRICS },
          timestamps: { ...(t?.timestamps ?? {}) },
          taskManagerId: tm?.id,
          dataAddress: tm?.dataAddress,
          backPressuredRatio: t?.state === 'RUNNING' ? t.backPressuredRatio : 0,
          metricsReported: t?.metrics !== undefined,
        };
      }),
    );
  }

  taskState(task: string): ExecutionState | undefined {
    return this.tasks.get(task)?.state;
  }

  allFinished(): boolean {
    return [...this.tasks.values()].every((x) => x.state === 'FINISHED');
  }

  /** Tasks of the attempt just torn down that had not ended: CANCELED. */
  cancelTasks(): void {
    const now = Date.now();
    for (const t of this.tasks.values())
      if (!isTaskTerminal(t.state)) {
        t.state = 'CANCELED';
        t.timestamps.CANCELED = now;
      }
  }

  /** A restart: the new attempt's tasks wait for slots before they deploy. */
  rescheduleTasks(): void {
    const now = Date.now();
    for (const t of this.tasks.values()) {
      t.state = 'SCHEDULED';
      t.timestamps = { SCHEDULED: now };
      t.backPressuredRatio = 0;
      delete t.previous;
    }
  }

  /** The subtasks of the current attempt, for the CheckpointCoordinator. */
  checkpointTasks(): CheckpointTask[] {
    return this.jobGraph.vertices.flatMap((v) =>
      Array.from({ length: v.parallelism }, (_, s) => ({
        vertexId: v.id,
        subtask: s,
        state: this.tasks.get(`${v.id}/${s}`)?.state ?? 'CREATED',
        isSource: v.isSource,
      })),
    );
  }

  /** Per-vertex state and metrics (summed over subtasks) for REST and the CLI's progress. */
  vertexSummaries(): VertexSummary[] {
    return this.jobGraph.vertices.map((v) => {
      const metrics = { ...EMPTY_METRICS };
      const counts: Partial<Record<ExecutionState, number>> = {};
      let metricsComplete = true;
      for (let s = 0; s < v.parallelism; s++) {
        const t = this.tasks.get(`${v.id}/${s}`);
        const state = t?.state ?? 'CREATED';
        counts[state] = (counts[state] ?? 0) + 1;
        if (t?.metrics) for (const k of SUMMED_METRICS) metrics[k] += t.metrics[k];
        else metricsComplete = false;
      }
      const states = Object.keys(counts) as ExecutionState[];
      const status: ExecutionState | 'MIXED' = states.length === 1 ? states[0]! : 'MIXED';
      return { id: v.id, name: v.name, parallelism: v.parallelism, status, states: counts, metrics, metricsComplete };
    });
  }

  /**
   * The accumulators of the current attempt's subtasks (of one vertex, or of the job), merged by
   * name as Flink merges them into the job's result. A name registered with different kinds in
   * different tasks keeps the kind first seen (vertex order, then subtask order).
   */
  accumulators(vertexId?: string): Record<string, AccumulatorSnapshot> {
    const out: Record<string, AccumulatorSnapshot> = {};
    for (const v of this.jobGraph.vertices) {
      if (vertexId !== undefined && v.id !== vertexId) continue;
      for (let s = 0; s < v.parallelism; s++) {
        for (const [name, acc] of Object.entries(this.tasks.get(`${v.id}/${s}`)?.metrics?.accumulators ?? {})) {
          const prev = out[name];
          out[name] = prev ? (mergeSnapshots(prev, acc) ?? prev) : { ...acc };
        }
      }
    }
    return out;
  }

  /** How the JobManager's log names a subtask. */
  taskName(vertexId: string, subtask: number, attempt: number): string {
    const v = this.jobGraph.vertices.find((x) => x.id === vertexId);
    const job = `job ${this.jobGraph.jobName} (${this.jobId})`;
    return `${v?.name ?? vertexId} (${subtask + 1}/${v?.parallelism ?? '?'}) of ${job}, attempt ${attempt},`;
  }

  // ------------------------------------------------------------------ messages to the attempt

  triggerCheckpoint(
    attempt: number,
    t: { vertexId: string; subtask: number; checkpointId: number; timestamp: number; mode: CheckpointingMode; options: CheckpointOptions },
  ): void {
    const { vertexId, subtask, checkpointId, timestamp, mode, options } = t;
    this.allocation[subtask]?.tm.send({
      type: 'triggerCheckpoint',
      jobId: this.jobId,
      attempt,
      vertexId,
      subtask,
      checkpointId,
      timestamp,
      mode,
      ...(options.savepoint ? { options } : {}),
    });
  }

  notifyCheckpoint(attempt: number, checkpointId: number, kind: 'complete' | 'abort'): void {
    for (const tm of new Set(this.allocation.map((a) => a.tm))) {
      tm.send({ type: 'checkpointNotification', jobId: this.jobId, attempt, checkpointId, kind });
    }
  }

  sendSplits(attempt: number, operatorId: string, subtask: number, splits: SourceSplit[], noMoreSplits: boolean): void {
    this.allocation[subtask]?.tm.send({ type: 'splits', jobId: this.jobId, attempt, vertexId: operatorId, subtask, splits, noMoreSplits });
  }
}
