/**
 * The JobMaster of one job: takes slots from the ResourceManager, starts the source coordinator,
 * deploys every subtask (subtask i of every vertex shares slot i), follows task states to the end,
 * and on a failure asks the restart strategy whether to run the job again (a new attempt, with new
 * workers) or fail it. Reports from an older attempt are ignored.
 *
 * With checkpointing it owns the job's CheckpointCoordinator; every attempt after a failure (and the
 * first, given execution.savepoint.path) restores from the latest completed checkpoint: each task
 * gets the state files of its operators, the source coordinator the enumerators' states.
 */
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ExecutionRecord } from '../../api/execution-context.js';
import type { JobStatus } from '../../api/job-client.js';
import { WeirError, serializeError, type SerializedError } from '../../errors.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type { StreamGraphDefaults } from '../../graph/stream-graph.js';
import {
  CheckpointCoordinator,
  checkpointingOptions,
  emptyCheckpointingStatistics,
  type CheckpointConfigInfo,
  type CheckpointingStatistics,
  type SavepointStatus,
} from '../checkpoint/checkpoint-coordinator.js';
import { checkUnclaimedState, taskRestoreFor } from '../checkpoint/state-assignment.js';
import { loadRestorePoint, type LoadedCheckpoint } from '../checkpoint/storage.js';
import { silentLogger, type Logger } from '../rpc/transport.js';
import type {
  DeployedCachedFile,
  ExecutionState,
  FromCoordinator,
  JobDeployment,
  RuntimeSettings,
  TaskMetrics,
  ToCoordinator,
  ToJobManager,
} from '../rpc/messages.js';
import { workerAddress } from '../taskmanager/task-manager.js';
import { workerEntry } from '../worker-entry.js';
import { canTaskTransition, checkJobTransition, isGloballyTerminal, isTaskTerminal } from './job-status.js';
import type { ResourceManager, SlotAllocation } from './resource-manager.js';
import { createRestartStrategy, type RestartStrategy } from './restart-strategy.js';

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
}

export interface VertexSummary {
  id: string;
  name: string;
  parallelism: number;
  status: ExecutionState | 'MIXED';
  /** How many subtasks are in each state (REST aggregates them as Flink does). */
  states?: Partial<Record<ExecutionState, number>>;
  metrics: TaskMetrics;
}

export interface ExceptionEntry {
  timestamp: number;
  error: SerializedError;
}

interface TaskExecution {
  state: ExecutionState;
  metrics: TaskMetrics | undefined;
}

const EMPTY_METRICS: TaskMetrics = { numRecordsIn: 0, numRecordsOut: 0, numBytesIn: 0, numBytesOut: 0, backPressuredTimeMs: 0 };

export function resolveRuntimeSettings(jg: JobGraph, get: (key: string) => unknown): RuntimeSettings {
  const n = (k: string, d: number): number => (get(k) === undefined ? d : Number(get(k)));
  return {
    runtimeMode: jg.type,
    bufferTimeout: n('execution.buffer-timeout', 100),
    bufferSize: n('taskmanager.network.memory.buffer-size', 32 * 1024),
    buffersPerChannel: n('taskmanager.network.memory.buffers-per-channel', 2),
    floatingBuffersPerGate: n('taskmanager.network.memory.floating-buffers-per-gate', 8),
    maxBuffersPerChannel: n('taskmanager.network.memory.max-buffers-per-channel', 10),
    autoWatermarkInterval: n('pipeline.auto-watermark-interval', 200),
    config: {},
  };
}

export class JobMaster {
  status: JobStatus = 'INITIALIZING';
  readonly statusTimestamps: Partial<Record<JobStatus, number>> = {};
  readonly startTime = Date.now();
  endTime = -1;
  attempt = 0;
  readonly exceptions: ExceptionEntry[] = [];
  private tasks = new Map<string, TaskExecution>();
  private allocation: SlotAllocation[] = [];
  private coordinator: Worker | undefined;
  private collected: Record<string, unknown[]> = {};
  private readonly restartStrategy: RestartStrategy;
  private readonly settings: RuntimeSettings;
  private readonly done: Promise<JobResult>;
  private resolveDone!: (r: JobResult) => void;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly checkpoints: CheckpointCoordinator | undefined;
  /** Enumerator snapshots asked of the source coordinator, by checkpoint id. */
  private readonly coordinatorSnapshots = new Map<number, (states: Record<string, unknown> | Error) => void>();
  /** The checkpoint or savepoint named by execution.savepoint.path, loaded for the first attempt. */
  private initialRestore: LoadedCheckpoint | undefined;
  /**
   * executeAndCollect() with checkpointing: values per (collect id, subtask), so that a restore can
   * drop what was collected after the checkpoint it restores (those records are emitted again).
   */
  private readonly collectParts = new Map<string, { collectId: string; task: string; values: unknown[] }>();
  /** Per pending checkpoint: how many values of each part its acknowledging tasks had sent. */
  private readonly collectMarks = new Map<number, Map<string, number>>();
  /** The part lengths of the latest completed checkpoint. */
  private committedCollectMarks = new Map<string, number>();

  constructor(
    readonly submission: JobSubmission,
    private readonly rm: ResourceManager,
    private readonly onTerminal: (jm: JobMaster) => void,
    /** The JobManager's log: job status transitions (with their cause) and failed tasks. */
    private readonly log: Logger = silentLogger,
  ) {
    const get = (k: string): unknown => submission.config[k];
    this.settings = resolveRuntimeSettings(submission.jobGraph, get);
    this.settings.config = submission.config;
    this.restartStrategy = createRestartStrategy(get, get('execution.checkpointing.interval') !== undefined);
    const cpOptions = checkpointingOptions(get, submission.jobGraph.type);
    if (cpOptions) {
      this.checkpoints = new CheckpointCoordinator(cpOptions, submission.jobGraph, submission.jobId, {
        tasks: () =>
          this.jobGraph.vertices.flatMap((v) =>
            Array.from({ length: v.parallelism }, (_, s) => ({
              vertexId: v.id,
              subtask: s,
              state: this.tasks.get(`${v.id}/${s}`)?.state ?? 'CREATED',
              isSource: v.isSource,
            })),
          ),
        snapshotCoordinator: (id, done) => {
          if (!this.coordinator) {
            done({});
            return;
          }
          this.coordinatorSnapshots.set(id, done);
          this.coordinator.postMessage({ type: 'snapshot', checkpointId: id } satisfies ToCoordinator);
        },
        triggerTask: (vertexId, subtask, checkpointId, timestamp, mode, options) =>
          this.allocation[subtask]?.tm.send({
            type: 'triggerCheckpoint',
            jobId: this.jobId,
            attempt: this.attempt,
            vertexId,
            subtask,
            checkpointId,
            timestamp,
            mode,
            ...(options.savepoint ? { options } : {}),
          }),
        notifyComplete: (id) => this.notifyTasks(id, 'complete'),
        notifyAborted: (id) => this.notifyTasks(id, 'abort'),
        failJob: (e) => this.fail(serializeError(e, 'WEIR_CHECKPOINT', { jobId: this.jobId, jobName: this.jobName }), true),
        onCompleted: (cp, acked) => this.commitCollectMarks(cp.id, acked),
        log: (level, msg) => this.log[level](msg),
      });
      this.settings.checkpointing = { mode: cpOptions.mode, jobDir: this.checkpoints.jobDir };
    }
    this.done = new Promise((r) => (this.resolveDone = r));
    this.statusTimestamps.INITIALIZING = this.startTime;
  }

  get jobId(): string {
    return this.submission.jobId;
  }
  get jobGraph(): JobGraph {
    return this.submission.jobGraph;
  }
  get jobName(): string {
    return this.submission.jobGraph.jobName;
  }

  result(): Promise<JobResult> {
    return this.done;
  }

  start(): void {
    this.transition('CREATED');
    void this.deploy();
  }

  cancel(): void {
    if (isGloballyTerminal(this.status) || this.status === 'CANCELLING') return;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.transition('CANCELLING');
    this.teardown();
    this.cancelTasks();
    this.finishJob('CANCELED');
  }

  // ------------------------------------------------------------------ savepoints

  /** The directory savepoints go to: the one given, else execution.checkpointing.savepoint-dir. */
  private savepointTarget(dir: string | undefined, what: string): { coordinator: CheckpointCoordinator; dir: string } {
    if (!this.checkpoints) {
      throw new WeirError(
        'WEIR_SAVEPOINT',
        `cannot ${what} job '${this.jobName}' (${this.jobId}): it takes no checkpoints (set execution.checkpointing.interval)`,
      );
    }
    if (this.status !== 'RUNNING') {
      throw new WeirError('WEIR_SAVEPOINT', `cannot ${what} job '${this.jobName}' (${this.jobId}): it is ${this.status}, not RUNNING`);
    }
    const target = dir !== undefined && dir !== '' ? dir : this.submission.config['execution.checkpointing.savepoint-dir'];
    if (typeof target !== 'string' || target === '') {
      throw new WeirError(
        'WEIR_SAVEPOINT',
        `cannot ${what} job '${this.jobName}' (${this.jobId}): no target directory given and execution.checkpointing.savepoint-dir is not set`,
      );
    }
    return { coordinator: this.checkpoints, dir: target };
  }

  /**
   * Triggers a checkpoint now (Flink's POST /jobs/:id/checkpoints); returns its id, or undefined
   * when the checkpointing rules do not allow one at this moment (one in progress, min-pause, tasks
   * not all running). `full` is refused for incremental checkpoints, which Weir cannot take in full.
   */
  triggerCheckpoint(full: boolean): number | undefined {
    if (!this.checkpoints)
      throw new WeirError(
        'WEIR_CHECKPOINT',
        `job '${this.jobName}' (${this.jobId}) has no checkpointing (execution.checkpointing.interval)`,
      );
    if (full && [true, 'true'].includes(this.submission.config['state.backend.incremental'] as string))
      throw new WeirError(
        'WEIR_CHECKPOINT',
        `job '${this.jobName}' (${this.jobId}) takes incremental checkpoints (state.backend.incremental), which Weir cannot take in full: take a savepoint for a self-contained snapshot`,
      );
    return this.checkpoints.tryTrigger();
  }

  /** Triggers a savepoint (Flink's POST /jobs/:id/savepoints); returns its trigger id. */
  triggerSavepoint(dir?: string): string {
    const t = this.savepointTarget(dir, 'take a savepoint of');
    return t.coordinator.triggerSavepoint(t.dir);
  }

  /**
   * Stop with savepoint: no periodic checkpoint is triggered after the savepoint; once it completed
   * its tasks are told (two-phase-commit sinks commit) and each ends after that, so the job is
   * FINISHED, as Flink reports it; tasks that do not end within the checkpoint timeout are released. With `drain` (Flink's
   * --drain) the sources emit MAX_WATERMARK right before the savepoint's barrier, so every
   * event-time timer and window fires and its output is part of the savepoint (and committed).
   * If the savepoint fails, the job goes on.
   */
  stopWithSavepoint(dir: string | undefined, drain: boolean): string {
    const t = this.savepointTarget(dir, 'stop');
    return t.coordinator.triggerSavepoint(t.dir, {
      stop: true,
      drain,
      onDone: (s) => {
        if (s.status !== 'COMPLETED' || this.status !== 'RUNNING') return;
        const attempt = this.attempt;
        const timer = setTimeout(() => {
          if (this.status !== 'RUNNING' || this.attempt !== attempt) return;
          this.teardown();
          this.finishJob('FINISHED');
        }, t.coordinator.options.timeout);
        timer.unref();
        void this.done.finally(() => clearTimeout(timer));
      },
    });
  }

  savepointStatus(triggerId: string): SavepointStatus | undefined {
    return this.checkpoints?.savepointStatus(triggerId);
  }

  /** Per-vertex state and metrics (summed over subtasks) for REST and the CLI's progress. */
  vertexSummaries(): VertexSummary[] {
    return this.jobGraph.vertices.map((v) => {
      const metrics = { ...EMPTY_METRICS };
      const counts: Partial<Record<ExecutionState, number>> = {};
      for (let s = 0; s < v.parallelism; s++) {
        const t = this.tasks.get(`${v.id}/${s}`);
        const state = t?.state ?? 'CREATED';
        counts[state] = (counts[state] ?? 0) + 1;
        if (t?.metrics) for (const k of Object.keys(metrics) as (keyof TaskMetrics)[]) metrics[k] += t.metrics[k];
      }
      const states = Object.keys(counts) as ExecutionState[];
      const status: ExecutionState | 'MIXED' = states.length === 1 ? states[0]! : 'MIXED';
      return { id: v.id, name: v.name, parallelism: v.parallelism, status, states: counts, metrics };
    });
  }

  /** Checkpoint statistics in Flink's shape (GET /jobs/:id/checkpoints). */
  checkpointStats(): CheckpointingStatistics {
    return this.checkpoints?.stats() ?? emptyCheckpointingStatistics();
  }

  /** Checkpointing configuration in Flink's shape, or undefined when the job takes no checkpoints. */
  checkpointConfig(): CheckpointConfigInfo | undefined {
    return this.checkpoints?.config();
  }

  /** The coordinator of this job's checkpoints (undefined without checkpointing). */
  get checkpointCoordinator(): CheckpointCoordinator | undefined {
    return this.checkpoints;
  }

  handle(msg: ToJobManager): void {
    if (msg.attempt !== this.attempt || isGloballyTerminal(this.status)) return;
    switch (msg.type) {
      case 'acknowledgeCheckpoint':
        this.markCollected(msg.checkpointId, `${msg.vertexId}/${msg.subtask}`);
        this.checkpoints?.acknowledge(msg.vertexId, msg.subtask, msg.checkpointId, msg.handle, msg.metrics);
        return;
      case 'declineCheckpoint':
        this.checkpoints?.decline(msg.vertexId, msg.subtask, msg.checkpointId, msg.reason);
        return;
      case 'endOfData':
        this.checkpoints?.onEndOfData(msg.vertexId, msg.subtask);
        return;
      case 'taskState':
        this.onTaskState(msg.vertexId, msg.subtask, msg.state, msg.error, msg.metrics);
        return;
      case 'sourceEvent':
        this.coordinator?.postMessage({
          type: 'sourceEvent',
          operatorId: msg.operatorId,
          subtask: msg.subtask,
          event: msg.event,
        } satisfies ToCoordinator);
        return;
      case 'collect': {
        if (this.checkpoints && msg.vertexId !== undefined && msg.subtask !== undefined) {
          const task = `${msg.vertexId}/${msg.subtask}`;
          const k = `${msg.collectId}\u0000${task}`;
          let part = this.collectParts.get(k);
          if (!part) this.collectParts.set(k, (part = { collectId: msg.collectId, task, values: [] }));
          for (const v of msg.values) part.values.push(v);
        } else {
          const arr = (this.collected[msg.collectId] ??= []);
          for (const v of msg.values) arr.push(v);
        }
        this.endAtCollectLimits();
        return;
      }
    }
  }

  // ------------------------------------------------------------------ deployment

  /** TaskManagers the current attempt runs on. */
  get taskManagerIds(): string[] {
    return [...new Set(this.allocation.map((a) => a.tm.id))];
  }

  /** A TaskManager this job runs on is gone (connection closed, heartbeats missed): fail over. */
  onTaskManagerLost(tmId: string, reason: string): void {
    if (isGloballyTerminal(this.status) || !this.allocation.some((a) => a.tm.id === tmId)) return;
    const e = new WeirError('WEIR_JOB_FAILED', `TaskManager ${tmId} was lost (${reason}); its tasks of job '${this.jobName}' failed`);
    this.fail(serializeError(e, 'WEIR_JOB_FAILED', { jobId: this.jobId, jobName: this.jobName }), true);
  }

  private deployment(): JobDeployment {
    const s = this.submission;
    const d: JobDeployment = {
      jobId: s.jobId,
      attempt: this.attempt,
      bundlePath: s.bundle.path,
      bundleId: s.bundle.id,
      programArgs: s.programArgs,
      cwd: s.cwd,
      executionIndex: s.executionIndex,
      graphDefaults: s.graphDefaults,
      jobGraph: s.jobGraph,
      settings: this.settings,
      ...(s.structuralCheck ? { structuralCheck: true } : {}),
      ...(s.observed?.length ? { observed: s.observed } : {}),
      ...(s.cachedFiles?.length ? { cachedFiles: s.cachedFiles } : {}),
    };
    const addresses: Record<string, string> = {};
    for (const a of this.allocation) if (a.tm.dataAddress !== undefined) addresses[a.tm.id] = a.tm.dataAddress;
    if (Object.keys(addresses).length > 0) d.tmDataAddresses = addresses;
    return d;
  }

  private async deploy(): Promise<void> {
    const jg = this.jobGraph;
    const slotsNeeded = Math.max(...jg.vertices.map((v) => v.parallelism));
    let restore: LoadedCheckpoint | undefined;
    try {
      const r = this.restorePoint();
      restore = r instanceof Promise ? await r : r;
    } catch (e) {
      this.fail(serializeError(e, 'WEIR_CHECKPOINT', { jobId: this.jobId, jobName: this.jobName }), false);
      return;
    }
    if (isGloballyTerminal(this.status) || this.status === 'CANCELLING') return;
    const attempt = this.attempt;
    try {
      // Waits for TaskManagers to register (an active provider starts them) up to slot.request.timeout.
      const timeout = Number(this.submission.config['slot.request.timeout'] ?? 300_000);
      this.allocation = await this.rm.requestSlots(this.jobId, slotsNeeded, timeout);
    } catch (e) {
      if (this.superseded(attempt)) return;
      this.fail(serializeError(e, 'WEIR_NOT_ENOUGH_SLOTS', { jobId: this.jobId, jobName: this.jobName }), attempt > 0);
      return;
    }
    if (this.superseded(attempt)) {
      this.rm.release(this.jobId);
      return;
    }
    const d = this.deployment();
    if (this.checkpoints) {
      if (restore) this.restoreCollected(restore);
      else this.collectParts.clear();
    }
    if (jg.vertices.some((v) => v.isSource)) {
      const enumerators: Record<string, unknown> = {};
      if (restore) {
        for (const [opId, m] of Object.entries(restore.metadata.operators))
          if (m.coordinator !== undefined) enumerators[opId] = m.coordinator;
      }
      // The coordinator thread starts while the tasks deploy (both load the program); it holds
      // readers' events and checkpoint requests until its enumerators exist, and fails the job if
      // they cannot be created.
      void this.startCoordinator(d, restore ? enumerators : undefined);
    }
    const locations: Record<string, string[]> = {};
    for (const v of jg.vertices) {
      locations[v.id] = [];
      for (let s = 0; s < v.parallelism; s++) {
        const a = this.allocation[s]!;
        locations[v.id]!.push(workerAddress(a.tm.id, this.jobId, attempt, a.slot));
      }
    }
    this.tasks = new Map();
    for (const v of jg.vertices)
      for (let s = 0; s < v.parallelism; s++) this.tasks.set(`${v.id}/${s}`, { state: 'DEPLOYING', metrics: undefined });
    this.transition('RUNNING');
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
    this.checkpoints?.start();
  }

  /** Whether `attempt` should stop deploying: the job ended, is being cancelled, or a newer attempt runs. */
  private superseded(attempt: number): boolean {
    const s: JobStatus = this.status;
    return isGloballyTerminal(s) || s === 'CANCELLING' || attempt !== this.attempt;
  }

  /** The checkpoint this attempt starts from: the latest completed one, else the one execution.savepoint.path names. */
  private restorePoint(): LoadedCheckpoint | undefined | Promise<LoadedCheckpoint | undefined> {
    // A checkpoint whose _metadata is being written completes first: the attempt restores from it.
    if (this.checkpoints?.busy) return this.checkpoints.quiesce().then(() => this.restorePoint());
    const latest = this.checkpoints?.latestCompleted();
    const path = this.submission.config['execution.savepoint.path'];
    if (!latest && this.initialRestore === undefined && typeof path === 'string' && path !== '') {
      return loadRestorePoint(path).then((cp) => {
        checkUnclaimedState(
          cp,
          this.jobGraph,
          [true, 'true'].includes(this.submission.config['execution.savepoint.ignore-unclaimed-state'] as string),
        );
        this.initialRestore = cp;
        return this.restorePoint();
      });
    }
    const cp = latest ?? this.initialRestore;
    // A savepoint is a `savepoint-…` directory (CheckpointCoordinator.copyToSavepoint names them).
    if (cp) this.checkpoints?.noteRestored(cp, !latest && basename(cp.dir).startsWith('savepoint-'));
    return cp;
  }

  private notifyTasks(checkpointId: number, kind: 'complete' | 'abort'): void {
    const attempt = this.attempt;
    for (const tm of new Set(this.allocation.map((a) => a.tm))) {
      tm.send({ type: 'checkpointNotification', jobId: this.jobId, attempt, checkpointId, kind });
    }
  }

  // ------------------------------------------------------------------ executeAndCollect with checkpoints

  private markCollected(checkpointId: number, task: string): void {
    if (this.collectParts.size === 0) return;
    let marks = this.collectMarks.get(checkpointId);
    if (!marks) this.collectMarks.set(checkpointId, (marks = new Map()));
    for (const [k, part] of this.collectParts) if (part.task === task) marks.set(k, part.values.length);
  }

  private commitCollectMarks(checkpointId: number, acked: ReadonlySet<string>): void {
    const marks = this.collectMarks.get(checkpointId) ?? new Map<string, number>();
    const committed = new Map<string, number>();
    for (const [k, part] of this.collectParts) {
      // A part of a task that acknowledged counts up to its mark; of a task that had finished, entirely.
      if (acked.has(part.task)) committed.set(k, marks.get(k) ?? 0);
      else if (this.tasks.get(part.task)?.state === 'FINISHED') committed.set(k, part.values.length);
    }
    this.committedCollectMarks = committed;
    for (const id of [...this.collectMarks.keys()]) if (id <= checkpointId) this.collectMarks.delete(id);
  }

  /** Drops what was collected after the checkpoint being restored. */
  private restoreCollected(cp: LoadedCheckpoint): void {
    const latest = this.checkpoints?.latestCompleted();
    const marks =
      latest && latest.metadata.checkpointId === cp.metadata.checkpointId ? this.committedCollectMarks : new Map<string, number>();
    for (const [k, part] of this.collectParts) part.values.length = Math.min(part.values.length, marks.get(k) ?? 0);
    this.collectMarks.clear();
  }

  private startCoordinator(d: JobDeployment, restored: Record<string, unknown> | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const w = new Worker(workerEntry('./jobmanager/coordinator-worker.js'));
      this.coordinator = w;
      const attempt = this.attempt;
      let settled = false;
      const settle = (ok: boolean): void => {
        if (!settled) {
          settled = true;
          resolve(ok);
        }
      };
      w.on('message', (m: FromCoordinator) => {
        if (attempt !== this.attempt) return;
        switch (m.type) {
          case 'ready':
            settle(true);
            return;
          case 'initFailed':
            settle(false);
            this.fail(m.error, false);
            return;
          case 'failed':
            this.fail(m.error, true);
            return;
          case 'snapshot':
          case 'snapshotFailed': {
            const done = this.coordinatorSnapshots.get(m.checkpointId);
            this.coordinatorSnapshots.delete(m.checkpointId);
            done?.(m.type === 'snapshot' ? m.states : new Error(m.error.message));
            return;
          }
          case 'assign':
          case 'noMoreSplits': {
            const a = this.allocation[m.subtask];
            if (!a) return;
            a.tm.send({
              type: 'splits',
              jobId: this.jobId,
              attempt,
              vertexId: m.operatorId,
              subtask: m.subtask,
              splits: m.type === 'assign' ? m.splits : [],
              noMoreSplits: m.type === 'noMoreSplits',
            });
            return;
          }
        }
      });
      w.on('error', (e) => {
        settle(false);
        if (attempt === this.attempt) this.fail(serializeError(e, 'WEIR_USER_FUNCTION', { jobName: this.jobName }), true);
      });
      w.postMessage({ type: 'init', deployment: d, ...(restored ? { restored } : {}) } satisfies ToCoordinator);
    });
  }

  private onTaskState(vertexId: string, subtask: number, state: ExecutionState, error?: SerializedError, metrics?: TaskMetrics): void {
    const t = this.tasks.get(`${vertexId}/${subtask}`);
    if (!t || t.state === state || !canTaskTransition(t.state, state)) {
      if (t && metrics) t.metrics = metrics;
      return;
    }
    const from = t.state;
    t.state = state;
    if (metrics) t.metrics = metrics;
    if (state === 'FAILED') {
      const e = error ?? serializeError(new Error(`task ${vertexId}/${subtask} failed`));
      this.log.warn(`${this.taskName(vertexId, subtask)} switched from ${from} to FAILED: ${causeLine(e)}`);
      this.fail(e, true);
      return;
    }
    if (state === 'FINISHED') this.checkpoints?.onTaskFinished(vertexId, subtask);
    // Only a running job finishes: late reports after it failed or was cancelled change nothing.
    if (state === 'FINISHED' && this.status === 'RUNNING' && [...this.tasks.values()].every((x) => x.state === 'FINISHED')) {
      // A checkpoint still pending (on the source coordinator, for instance) ends with the job: it is
      // aborted before teardown stops the coordinator, so that it does not count as a failure.
      this.checkpoints?.stop('the job finished');
      this.teardown();
      this.finishJob('FINISHED');
    }
  }

  private fail(error: SerializedError, restartable: boolean): void {
    if (isGloballyTerminal(this.status) || this.status === 'FAILING' || this.status === 'CANCELLING') return;
    // Late reports of the attempt that already failed change nothing while the restart waits.
    if (this.restartTimer) return;
    error.context = { jobId: this.jobId, jobName: this.jobName, ...error.context };
    this.exceptions.push({ timestamp: Date.now(), error });
    if (this.status === 'CREATED' || this.status === 'INITIALIZING') {
      this.teardown();
      if (this.status === 'INITIALIZING') this.transition('CREATED');
      this.transition('FAILED', error);
      this.finishJob('FAILED', error, true);
      return;
    }
    this.transition('FAILING', error);
    this.checkpoints?.stop('the job is failing over');
    this.teardown();
    // The attempt's workers are released: its tasks are cancelled (a failed one stays FAILED), so
    // that REST does not show them running while the job restarts.
    this.cancelTasks();
    // A program that replays differently, or state the job cannot take (restored state of another
    // kind), fails the same way on every attempt: no restart.
    const fatal = error.code === 'WEIR_NONDETERMINISTIC_PROGRAM' || error.code === 'WEIR_SAVEPOINT';
    const delay = restartable && !fatal ? this.restartStrategy.onFailure(Date.now()) : undefined;
    if (delay === undefined) {
      this.transition('FAILED', error);
      this.finishJob('FAILED', error, true);
      return;
    }
    this.transition('RESTARTING', error);
    this.log.info(`Restarting job ${this.jobName} (${this.jobId}) in ${delay} ms (attempt ${this.attempt + 1}).`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.status !== 'RESTARTING') return;
      // The new attempt waits for slots before it deploys.
      for (const t of this.tasks.values()) t.state = 'SCHEDULED';
      this.attempt++;
      this.collected = {};
      if (!this.checkpoints) this.collectParts.clear();
      void this.deploy();
    }, delay);
  }

  /** executeAndCollect(limit): the job ends (FINISHED) once every limited collect sink has its records. */
  private endAtCollectLimits(): void {
    const limits = this.collectLimits();
    if (limits.size === 0 || this.status !== 'RUNNING') return;
    for (const [collectId, limit] of limits) if (this.collectedCount(collectId) < limit) return;
    this.teardown();
    this.finishJob('FINISHED');
  }

  private collectLimits(): Map<string, number> {
    const limits = new Map<string, number>();
    for (const v of this.submission.jobGraph.vertices)
      for (const o of v.operators) if (o.collectLimit) limits.set(o.collectLimit.collectId, o.collectLimit.limit);
    return limits;
  }

  private collectedCount(collectId: string): number {
    let n = this.collected[collectId]?.length ?? 0;
    for (const part of this.collectParts.values()) if (part.collectId === collectId) n += part.values.length;
    return n;
  }

  /** Ends the current attempt everywhere: workers, coordinator, slots. */
  private teardown(): void {
    const attempt = this.attempt;
    for (const a of new Set(this.allocation.map((x) => x.tm))) a.send({ type: 'releaseJob', jobId: this.jobId, attempt });
    this.rm.release(this.jobId);
    this.allocation = [];
    if (this.coordinator) {
      void this.coordinator.terminate();
      this.coordinator = undefined;
    }
    for (const done of this.coordinatorSnapshots.values()) done(new Error('the source coordinator stopped'));
    this.coordinatorSnapshots.clear();
  }

  private transition(to: JobStatus, cause?: SerializedError): void {
    checkJobTransition(this.status, to, this.jobId);
    const from = this.status;
    this.status = to;
    this.statusTimestamps[to] = Date.now();
    // Flink's wording, so that log searches written for Flink find these lines.
    const line = `Job ${this.jobName} (${this.jobId}) switched from state ${from} to ${to}.`;
    if (cause) this.log[to === 'FAILED' ? 'error' : 'warn'](`${line} Cause: ${causeLine(cause)}`);
    else this.log.info(line);
  }

  /** Tasks of the attempt just torn down that had not ended: CANCELED. */
  private cancelTasks(): void {
    for (const t of this.tasks.values()) if (!isTaskTerminal(t.state)) t.state = 'CANCELED';
  }

  private taskName(vertexId: string, subtask: number): string {
    const v = this.jobGraph.vertices.find((x) => x.id === vertexId);
    return `${v?.name ?? vertexId} (${subtask + 1}/${v?.parallelism ?? '?'}) of job ${this.jobName} (${this.jobId}), attempt ${this.attempt},`;
  }

  private finishJob(status: 'FINISHED' | 'FAILED' | 'CANCELED', error?: SerializedError, alreadyTransitioned = false): void {
    if (!alreadyTransitioned && this.status !== status) this.transition(status);
    this.endTime = Date.now();
    if (this.checkpoints) {
      void this.checkpoints.shutdown(status);
      for (const part of this.collectParts.values()) {
        const arr = (this.collected[part.collectId] ??= []);
        for (const v of part.values) arr.push(v);
      }
    }
    for (const [collectId, limit] of this.collectLimits()) {
      const arr = this.collected[collectId];
      if (arr && arr.length > limit) arr.length = limit;
    }
    const r: JobResult = {
      jobId: this.jobId,
      jobName: this.jobName,
      status,
      startTime: this.startTime,
      endTime: this.endTime,
      collected: this.collected,
      vertices: this.vertexSummaries(),
    };
    if (error) r.error = error;
    this.resolveDone(r);
    this.onTerminal(this);
  }
}

/**
 * Stop with savepoint in the JobManager's process (local mini-cluster, standalone JobManager):
 * resolves with the savepoint's location once it completed, bounded by the checkpoint timeout.
 */
export async function stopJobWithSavepoint(jm: JobMaster, dir: string | undefined, drain: boolean): Promise<string> {
  const triggerId = jm.stopWithSavepoint(dir, drain);
  const deadline = Date.now() + (jm.checkpointCoordinator?.options.timeout ?? 600_000) + 10_000;
  for (;;) {
    const s = jm.savepointStatus(triggerId);
    if (s?.status === 'COMPLETED') return s.location!;
    if (s?.status !== 'IN_PROGRESS') {
      throw new WeirError('WEIR_SAVEPOINT', `the savepoint of job ${jm.jobId} failed: ${s?.failure ?? 'unknown'}`, { jobId: jm.jobId });
    }
    if (Date.now() > deadline)
      throw new WeirError('WEIR_SAVEPOINT', `the savepoint of job ${jm.jobId} did not complete in time`, { jobId: jm.jobId });
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A failure cause on one line: its code and message (which names the operator and subtask). */
function causeLine(e: SerializedError): string {
  return `${e.code}: ${e.message.replace(/\s*\n\s*/g, ' ')}`;
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
