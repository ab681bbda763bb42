/**
 * The CheckpointCoordinator of one job (Flink's CheckpointCoordinator), owned by its JobMaster.
 *
 * Every `execution.checkpointing.interval` it takes a checkpoint: it creates chk-<n>/, snapshots
 * the split enumerators (source coordinator), then — in the same turn as the enumerators' answer,
 * so no split assigned after their snapshot reaches a reader before the reader's snapshot — asks
 * every running source subtask to trigger the checkpoint. Sources snapshot and send barriers
 * downstream; every subtask acknowledges with the handle of the state file it wrote. When every
 * subtask that had not finished has acknowledged, `_metadata` is written (last, atomically), the
 * checkpoint is complete, older ones beyond `num-retained` are deleted, and every task is told
 * (notifyCheckpointComplete), which is when two-phase-commit sinks commit.
 *
 * A checkpoint that times out or that a task declines is aborted (its directory deleted, tasks told);
 * more consecutive failures than `tolerable-failed-checkpoints` fail the job over. A failover aborts
 * pending checkpoints without counting them as failures. Statistics follow Flink's REST shape.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, cp, rename } from 'node:fs/promises';
import path from 'node:path';
import { WeirError } from '../../errors.js';
import type { JobGraph } from '../../graph/job-graph.js';
import type {
  CheckpointingMode,
  CheckpointOptions,
  ExecutionState,
  SubtaskCheckpointMetrics,
  SubtaskStateHandle,
} from '../rpc/messages.js';
import {
  CheckpointStorage,
  METADATA_FILE,
  newMetadata,
  resolveCheckpointBaseDir,
  type CheckpointMetadata,
  type LoadedCheckpoint,
  type OperatorMetadata,
} from './storage.js';

export type CheckpointRetention = 'NO_EXTERNALIZED_CHECKPOINTS' | 'DELETE_ON_CANCELLATION' | 'RETAIN_ON_CANCELLATION';

export interface CheckpointingOptions {
  interval: number;
  mode: CheckpointingMode;
  timeout: number;
  minPause: number;
  maxConcurrent: number;
  tolerableFailures: number;
  numRetained: number;
  retention: CheckpointRetention;
  /** `execution.checkpointing.dir`, absolute. */
  baseDir: string;
  /** `state.backend.type` (hashmap when absent). */
  stateBackend?: 'hashmap' | 'lsm';
}

/** The job's checkpointing options, or undefined when it takes none (no interval, or BATCH, as in Flink). */
export function checkpointingOptions(get: (key: string) => unknown, runtimeMode: 'STREAMING' | 'BATCH'): CheckpointingOptions | undefined {
  const interval = get('execution.checkpointing.interval');
  if (interval === undefined || interval === null || runtimeMode === 'BATCH') return undefined;
  const n = (k: string, d: number): number => {
    const v = get(k);
    return v === undefined || v === null ? d : Number(v);
  };
  return {
    interval: Number(interval),
    mode: (get('execution.checkpointing.mode') as CheckpointingMode | undefined) ?? 'EXACTLY_ONCE',
    timeout: n('execution.checkpointing.timeout', 600_000),
    minPause: n('execution.checkpointing.min-pause', 0),
    maxConcurrent: Math.max(1, n('execution.checkpointing.max-concurrent-checkpoints', 1)),
    tolerableFailures: n('execution.checkpointing.tolerable-failed-checkpoints', 0),
    numRetained: Math.max(1, n('execution.checkpointing.num-retained', 1)),
    retention:
      (get('execution.checkpointing.externalized-checkpoint-retention') as CheckpointRetention | undefined) ??
      'NO_EXTERNALIZED_CHECKPOINTS',
    baseDir: resolveCheckpointBaseDir(get('execution.checkpointing.dir')),
    stateBackend: get('state.backend.type') === 'lsm' ? 'lsm' : 'hashmap',
  };
}

export interface CheckpointTask {
  vertexId: string;
  subtask: number;
  state: ExecutionState;
  isSource: boolean;
}

/** What the JobMaster does for the coordinator. */
export interface CheckpointCoordinatorHooks {
  /** The subtasks of the current attempt. */
  tasks(): CheckpointTask[];
  /**
   * Snapshots the split enumerators; `done` is called with their states by source operator id
   * (or an error), in the same turn as the coordinator's answer. Without enumerators, call it at once.
   */
  snapshotCoordinator(checkpointId: number, done: (states: Record<string, unknown> | Error) => void): void;
  triggerTask(
    vertexId: string,
    subtask: number,
    checkpointId: number,
    timestamp: number,
    mode: CheckpointingMode,
    options: CheckpointOptions,
  ): void;
  notifyComplete(checkpointId: number): void;
  notifyAborted(checkpointId: number): void;
  /** More consecutive checkpoint failures than tolerated: fail the job over. */
  failJob(error: WeirError): void;
  /** Called right after a checkpoint completed, before the tasks are notified. */
  onCompleted?(cp: CompletedCheckpoint, acked: ReadonlySet<string>): void;
  log?(level: 'info' | 'warn', msg: string): void;
}

export interface CompletedCheckpoint extends LoadedCheckpoint {
  id: number;
  stats: CheckpointStatsEntry;
  /** The files of the shared directory its state refers to (lsm incremental checkpoints). */
  shared: ReadonlySet<string>;
}

/** One row of Flink's checkpoint history (/jobs/:id/checkpoints). */
export interface CheckpointStatsEntry {
  className: '.CompletedCheckpointStatistics' | '.PendingCheckpointStatistics' | '.FailedCheckpointStatistics';
  id: number;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  is_savepoint: boolean;
  /** CANONICAL for a savepoint (its state is backend-independent), null for a checkpoint. */
  savepointFormat: 'CANONICAL' | null;
  trigger_timestamp: number;
  latest_ack_timestamp: number;
  checkpointed_size: number;
  state_size: number;
  end_to_end_duration: number;
  alignment_buffered: number;
  processed_data: number;
  persisted_data: number;
  num_subtasks: number;
  num_acknowledged_subtasks: number;
  /** SYNC_SAVEPOINT: a stop-with-savepoint (the job ends with it). */
  checkpoint_type: 'CHECKPOINT' | 'SAVEPOINT' | 'SYNC_SAVEPOINT';
  tasks: Record<string, unknown>;
  external_path?: string;
  discarded?: boolean;
  failure_timestamp?: number;
  failure_message?: string;
}

export interface RestoredCheckpointStats {
  id: number;
  restore_timestamp: number;
  is_savepoint: boolean;
  external_path: string;
}

export interface MinMaxAvg {
  min: number;
  max: number;
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

/** Flink's CheckpointingStatistics. */
export interface CheckpointingStatistics {
  counts: { restored: number; total: number; in_progress: number; completed: number; failed: number };
  summary: {
    checkpointed_size: MinMaxAvg;
    state_size: MinMaxAvg;
    end_to_end_duration: MinMaxAvg;
    alignment_buffered: MinMaxAvg;
    processed_data: MinMaxAvg;
    persisted_data: MinMaxAvg;
  };
  latest: {
    /** The latest completed checkpoint (savepoints excluded, as in Flink). */
    completed: CheckpointStatsEntry | null;
    savepoint: CheckpointStatsEntry | null;
    failed: CheckpointStatsEntry | null;
    restored: RestoredCheckpointStats | null;
  };
  history: CheckpointStatsEntry[];
}

/** Flink's CheckpointConfigInfo (/jobs/:id/checkpoints/config). */
export interface CheckpointConfigInfo {
  mode: 'exactly_once' | 'at_least_once';
  interval: number;
  timeout: number;
  min_pause: number;
  max_concurrent: number;
  externalization: { enabled: boolean; delete_on_cancellation: boolean };
  state_backend: string;
  checkpoint_storage: string;
  unaligned_checkpoints: boolean;
  tolerable_failed_checkpoints: number;
  aligned_checkpoint_timeout: number;
  checkpoints_after_tasks_finish: boolean;
  state_changelog_enabled: boolean;
  changelog_periodic_materialization_interval: number;
  changelog_storage: string;
}

const HISTORY_SIZE = 10;

/** A savepoint asked for (Flink's asynchronous operation: GET /jobs/:id/savepoints/:triggerId). */
export interface SavepointStatus {
  triggerId: string;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** The savepoint directory, once completed. */
  location?: string;
  failure?: string;
  /** The checkpoint id it was taken as, once triggered. */
  checkpointId?: number;
}

interface SavepointRequest {
  status: SavepointStatus;
  /** The directory that receives `savepoint-<jobid6>-<random>/`, absolute. */
  targetDir: string;
  /** Stop-with-savepoint: no periodic checkpoint is triggered after it. */
  stop: boolean;
  /** Stop with --drain: the sources emit MAX_WATERMARK before its barrier. */
  drain: boolean;
  onDone?: (s: SavepointStatus) => void;
}

interface Ack {
  handle: SubtaskStateHandle;
  metrics: SubtaskCheckpointMetrics;
  at: number;
}

interface PendingCheckpoint {
  id: number;
  timestamp: number;
  /** Tasks (vertexId/subtask) that must still acknowledge. */
  waiting: Set<string>;
  acks: Map<string, Ack>;
  /** Tasks that had finished (at trigger time or since): their state is empty. */
  finished: Set<string>;
  enumerators: Record<string, unknown> | undefined;
  timer: NodeJS.Timeout | undefined;
  stats: CheckpointStatsEntry;
  completing: boolean;
  savepoint?: SavepointRequest;
}

const key = (vertexId: string, subtask: number): string => `${vertexId}/${subtask}`;

export class CheckpointCoordinator {
  readonly storage: CheckpointStorage;
  private nextId = 1;
  private readonly pending = new Map<number, PendingCheckpoint>();
  private readonly completed: CompletedCheckpoint[] = [];
  private consecutiveFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private shutDown = false;
  private lastTriggerTime = 0;
  private lastCompletionTime = 0;
  /** Set when every source reached its end of data: the final checkpoint is taken as soon as possible. */
  private urgent = false;
  private readonly endOfData = new Set<string>();
  /** Writes of _metadata in flight; a restart waits for them so it restores from the newest. */
  private readonly finalizing = new Set<Promise<unknown>>();
  private readonly history: CheckpointStatsEntry[] = [];
  private readonly counts = { restored: 0, total: 0, completed: 0, failed: 0 };
  private latestFailed: CheckpointStatsEntry | null = null;
  private latestSavepoint: CheckpointStatsEntry | null = null;
  private restored: RestoredCheckpointStats | null = null;
  private readonly completedSizes: number[] = [];
  private readonly completedDurations: number[] = [];
  private readonly savepoints = new Map<string, SavepointStatus>();
  private readonly savepointQueue: SavepointRequest[] = [];
  /** A stop-with-savepoint is under way: no periodic checkpoint is triggered. */
  private periodicSuspended = false;
  /**
   * The shared-file registry: how many retained checkpoints refer to each file of the shared
   * directory. A file is deleted when the last checkpoint that refers to it is discarded.
   */
  private readonly sharedRefs = new Map<string, number>();

  constructor(
    readonly options: CheckpointingOptions,
    private readonly jobGraph: JobGraph,
    readonly jobId: string,
    private readonly hooks: CheckpointCoordinatorHooks,
  ) {
    this.storage = new CheckpointStorage(options.baseDir, jobId);
  }

  /** Where the tasks write: `<dir>/<jobId>`. */
  get jobDir(): string {
    return this.storage.jobDir;
  }

  // ---------------------------------------------------------------- life cycle

  /** A new attempt is deployed: checkpoints start after one interval. */
  start(): void {
    if (this.shutDown) return;
    this.running = true;
    this.urgent = false;
    this.periodicSuspended = false;
    this.endOfData.clear();
    this.lastTriggerTime = Date.now();
    this.schedule(this.options.interval);
  }

  /**
   * The attempt failed: pending checkpoints are aborted (not counted as failures), no new ones start.
   * One that every task acknowledged already completes (its _metadata is being written).
   */
  stop(reason: string): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of [...this.pending.values()]) if (!p.completing) this.abort(p, reason, false, false);
    for (const r of this.savepointQueue.splice(0)) this.savepointDone(r, undefined, reason);
  }

  /** A _metadata write is in flight. */
  get busy(): boolean {
    return this.finalizing.size > 0;
  }

  /** Keeps a deletion in view (shutdown waits for it); its failure only leaves files behind. */
  private background(p: Promise<unknown>): void {
    const q = p.catch(() => undefined);
    this.finalizing.add(q);
    void q.finally(() => this.finalizing.delete(q));
  }

  /** Resolves when no _metadata write (or deletion) is in flight. */
  async quiesce(): Promise<void> {
    while (this.finalizing.size > 0) await Promise.allSettled([...this.finalizing]);
  }

  /** The job ended: stop, and delete or keep its checkpoints as the retention says. */
  async shutdown(status: 'FINISHED' | 'FAILED' | 'CANCELED'): Promise<void> {
    this.stop(`the job is ${status}`);
    this.shutDown = true;
    for (const r of this.savepointQueue.splice(0)) this.savepointDone(r, undefined, `the job is ${status}`);
    await this.quiesce();
    const r = this.options.retention;
    const keep = (status === 'FAILED' && r !== 'NO_EXTERNALIZED_CHECKPOINTS') || (status === 'CANCELED' && r === 'RETAIN_ON_CANCELLATION');
    if (keep) return;
    // A savepoint's copy stays: only its checkpoint directory goes.
    for (const c of this.completed) c.stats.discarded = !c.stats.is_savepoint;
    await this.storage.discardAll().catch(() => undefined);
  }

  latestCompleted(): CompletedCheckpoint | undefined {
    return this.completed.at(-1);
  }

  /** Records that the current attempt restored from `cp` (for the statistics). */
  noteRestored(cp: LoadedCheckpoint, isSavepoint: boolean): void {
    this.counts.restored++;
    this.restored = { id: cp.metadata.checkpointId, restore_timestamp: Date.now(), is_savepoint: isSavepoint, external_path: cp.dir };
    // Checkpoint ids keep growing past a checkpoint restored from another run.
    this.nextId = Math.max(this.nextId, cp.metadata.checkpointId + 1);
  }

  // ---------------------------------------------------------------- savepoints

  /**
   * Asks for a savepoint: a checkpoint taken as soon as the rules allow (min pause ignored), then
   * copied to `<targetDir>/savepoint-<jobid6>-<random>/` (its `_metadata` last), which retention
   * never deletes. Returns the trigger id; the status is in `savepointStatus`.
   */
  triggerSavepoint(targetDir: string, opts: { stop?: boolean; drain?: boolean; onDone?: (s: SavepointStatus) => void } = {}): string {
    const triggerId = randomBytes(16).toString('hex');
    const status: SavepointStatus = { triggerId, status: 'IN_PROGRESS' };
    this.savepoints.set(triggerId, status);
    const r: SavepointRequest = {
      status,
      targetDir: resolveCheckpointBaseDir(targetDir),
      stop: opts.stop === true,
      drain: opts.stop === true && opts.drain === true,
    };
    if (opts.onDone) r.onDone = opts.onDone;
    if (!this.running || this.shutDown) {
      this.savepointDone(r, undefined, 'the job is not running');
      return triggerId;
    }
    this.savepointQueue.push(r);
    if (this.pending.size < this.options.maxConcurrent) this.schedule(0);
    return triggerId;
  }

  savepointStatus(triggerId: string): SavepointStatus | undefined {
    const s = this.savepoints.get(triggerId);
    return s ? { ...s } : undefined;
  }

  private savepointDone(r: SavepointRequest, location: string | undefined, failure?: string): void {
    if (r.status.status !== 'IN_PROGRESS') return;
    if (location !== undefined) {
      r.status.status = 'COMPLETED';
      r.status.location = location;
    } else {
      r.status.status = 'FAILED';
      r.status.failure = `savepoint failed: ${failure ?? 'unknown reason'}`;
      if (r.stop) {
        // The job goes on: periodic checkpoints resume.
        this.periodicSuspended = false;
        if (this.running) this.schedule(this.options.interval);
      }
    }
    this.hooks.log?.(location ? 'info' : 'warn', `savepoint ${r.status.triggerId} of job ${this.jobId}: ${location ?? r.status.failure}`);
    r.onDone?.({ ...r.status });
  }

  /** Copies a completed checkpoint to the savepoint directory, `_metadata` last (temporary name, rename). */
  private async copyToSavepoint(r: SavepointRequest, checkpointDir: string): Promise<string> {
    const dir = path.join(r.targetDir, `savepoint-${this.jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`);
    await cp(checkpointDir, dir, {
      recursive: true,
      errorOnExist: true,
      force: false,
      filter: (src) => path.basename(src) !== METADATA_FILE && !path.basename(src).startsWith(`.${METADATA_FILE}`),
    });
    const tmp = path.join(dir, `.${METADATA_FILE}.${process.pid}.tmp`);
    await copyFile(path.join(checkpointDir, METADATA_FILE), tmp);
    await rename(tmp, path.join(dir, METADATA_FILE));
    return dir;
  }

  // ---------------------------------------------------------------- triggering

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.tryTrigger();
      },
      Math.max(0, delay),
    );
  }

  /** A source subtask reached its end of data; when all have, the final checkpoint is triggered at once. */
  onEndOfData(vertexId: string, subtask: number): void {
    this.endOfData.add(key(vertexId, subtask));
    const sources = this.hooks.tasks().filter((t) => t.isSource && t.state !== 'FINISHED');
    if (sources.every((t) => this.endOfData.has(key(t.vertexId, t.subtask)))) {
      this.urgent = true;
      if (this.running && this.pending.size === 0) this.schedule(0);
    }
  }

  /** Triggers now if the rules allow, else re-arms for when they may. Returns the id, if triggered. */
  tryTrigger(): number | undefined {
    if (!this.running || this.shutDown) return undefined;
    const now = Date.now();
    const savepointWaiting = this.savepointQueue.length > 0;
    if (this.periodicSuspended && !savepointWaiting) return undefined;
    if (this.pending.size >= this.options.maxConcurrent) return undefined; // re-armed when one ends
    const pauseLeft = this.lastCompletionTime + this.options.minPause - now;
    if (pauseLeft > 0 && !savepointWaiting) {
      this.schedule(pauseLeft);
      return undefined;
    }
    const tasks = this.hooks.tasks();
    const live = tasks.filter((t) => t.state !== 'FINISHED');
    const sources = live.filter((t) => t.isSource);
    if (sources.length === 0) {
      // Every source finished: nothing will need a checkpoint.
      for (const r of this.savepointQueue.splice(0)) this.savepointDone(r, undefined, 'every source of the job has finished');
      return undefined;
    }
    if (!live.every((t) => t.state === 'RUNNING')) {
      // Not all tasks are running yet (deploying, restoring): try again soon.
      this.schedule(Math.min(this.options.interval, 100));
      return undefined;
    }
    const id = this.nextId++;
    const savepoint = this.savepointQueue.shift();
    if (savepoint) {
      savepoint.status.checkpointId = id;
      if (savepoint.stop) this.periodicSuspended = true;
    }
    this.lastTriggerTime = now;
    this.counts.total++;
    const stats: CheckpointStatsEntry = {
      className: '.PendingCheckpointStatistics',
      id,
      status: 'IN_PROGRESS',
      is_savepoint: savepoint !== undefined,
      savepointFormat: savepoint ? 'CANONICAL' : null,
      trigger_timestamp: now,
      latest_ack_timestamp: -1,
      checkpointed_size: 0,
      state_size: 0,
      end_to_end_duration: 0,
      alignment_buffered: 0,
      processed_data: 0,
      persisted_data: 0,
      num_subtasks: tasks.length,
      num_acknowledged_subtasks: 0,
      checkpoint_type: savepoint ? (savepoint.stop ? 'SYNC_SAVEPOINT' : 'SAVEPOINT') : 'CHECKPOINT',
      tasks: {},
    };
    this.pushHistory(stats);
    const p: PendingCheckpoint = {
      id,
      timestamp: now,
      waiting: new Set(live.map((t) => key(t.vertexId, t.subtask))),
      acks: new Map(),
      finished: new Set(tasks.filter((t) => t.state === 'FINISHED').map((t) => key(t.vertexId, t.subtask))),
      enumerators: undefined,
      timer: undefined,
      stats,
      completing: false,
      ...(savepoint ? { savepoint } : {}),
    };
    stats.num_acknowledged_subtasks = p.finished.size;
    this.pending.set(id, p);
    p.timer = setTimeout(
      () => this.abort(p, `checkpoint ${id} expired before completing (execution.checkpointing.timeout)`, true),
      this.options.timeout,
    );
    // The urgent (final) checkpoint is one; periodic ones go on.
    this.urgent = false;
    if (this.savepointQueue.length > 0 && this.pending.size < this.options.maxConcurrent) this.schedule(0);
    else if (!this.periodicSuspended) this.schedule(this.options.interval);
    else if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.storage.initCheckpoint(id).then(
      () => {
        if (this.pending.get(id) !== p) return;
        this.hooks.snapshotCoordinator(id, (states) => {
          if (this.pending.get(id) !== p) return;
          if (states instanceof Error) {
            this.abort(p, `the split enumerators failed to snapshot: ${states.message}`, true);
            return;
          }
          p.enumerators = states;
          // Same turn as the enumerators' answer: assignments made after it reach the readers after this trigger.
          const options: CheckpointOptions = savepoint
            ? { savepoint: true, ...(savepoint.stop ? { stop: true } : {}), ...(savepoint.drain ? { drain: true } : {}) }
            : {};
          for (const t of sources) this.hooks.triggerTask(t.vertexId, t.subtask, id, p.timestamp, this.options.mode, options);
          this.maybeComplete(p);
        });
      },
      (e: unknown) => this.abort(p, `cannot create the checkpoint directory: ${(e as Error).message}`, true),
    );
    return id;
  }

  // ---------------------------------------------------------------- task reports

  acknowledge(
    vertexId: string,
    subtask: number,
    checkpointId: number,
    handle: SubtaskStateHandle,
    metrics: SubtaskCheckpointMetrics,
  ): void {
    const p = this.pending.get(checkpointId);
    const k = key(vertexId, subtask);
    if (!p || p.completing || !p.waiting.delete(k)) return;
    const now = Date.now();
    p.acks.set(k, { handle, metrics, at: now });
    const s = p.stats;
    s.num_acknowledged_subtasks++;
    s.latest_ack_timestamp = now;
    s.state_size += handle.size + (handle.sharedBytes ?? 0);
    s.checkpointed_size += handle.size + (handle.uploadedBytes ?? 0);
    s.end_to_end_duration = now - p.timestamp;
    this.maybeComplete(p);
  }

  decline(vertexId: string, subtask: number, checkpointId: number, reason: string): void {
    const p = this.pending.get(checkpointId);
    if (!p || p.completing) return;
    // With a newer checkpoint under way the decline may just say that its barrier overtook this one
    // (concurrent checkpoints without alignment): subsumed, not a failure.
    const subsumed = [...this.pending.keys()].some((id) => id > checkpointId);
    this.abort(p, `task ${vertexId} (subtask ${subtask}) declined checkpoint ${checkpointId}: ${reason}`, !subsumed);
  }

  /** A task finished: pending checkpoints no longer wait for it (a finished task has no state). */
  onTaskFinished(vertexId: string, subtask: number): void {
    const k = key(vertexId, subtask);
    for (const p of [...this.pending.values()]) {
      if (p.completing || !p.waiting.delete(k)) continue;
      p.finished.add(k);
      p.stats.num_acknowledged_subtasks++;
      this.maybeComplete(p);
    }
  }

  // ---------------------------------------------------------------- completion

  private maybeComplete(p: PendingCheckpoint): void {
    if (p.completing || p.waiting.size > 0 || p.enumerators === undefined) return;
    p.completing = true;
    const metadata = this.metadata(p);
    const sp = p.savepoint;
    const done = this.storage.writeMetadata(metadata).then(
      async (dir) => {
        let location: string | undefined;
        if (sp) {
          try {
            location = await this.copyToSavepoint(sp, dir);
          } catch (e) {
            p.completing = false;
            this.abort(p, `cannot write the savepoint to ${sp.targetDir}: ${(e as Error).message}`, false);
            return;
          }
        }
        this.completed_(p, { metadata, dir }, location);
      },
      (e: unknown) => {
        p.completing = false;
        this.abort(p, `cannot write the checkpoint's metadata: ${(e as Error).message}`, true);
      },
    );
    this.finalizing.add(done);
    void done.finally(() => this.finalizing.delete(done));
  }

  private metadata(p: PendingCheckpoint): CheckpointMetadata {
    const operators: Record<string, OperatorMetadata> = {};
    for (const v of this.jobGraph.vertices) {
      const files: (string | null)[] = [];
      const finished: number[] = [];
      for (let s = 0; s < v.parallelism; s++) {
        const k = key(v.id, s);
        files.push(p.acks.get(k)?.handle.file ?? null);
        if (p.finished.has(k)) finished.push(s);
      }
      v.operators.forEach((jo, i) => {
        const m: OperatorMetadata = {
          name: jo.name,
          ...(jo.uid !== undefined ? { uid: jo.uid } : {}),
          vertexId: v.id,
          parallelism: v.parallelism,
          maxParallelism: v.maxParallelism,
          files,
          finished,
        };
        if (i === 0 && p.enumerators && jo.id in p.enumerators) m.coordinator = p.enumerators[jo.id];
        operators[jo.id] = m;
      });
    }
    return newMetadata({
      jobId: this.jobId,
      jobName: this.jobGraph.jobName,
      checkpointId: p.id,
      timestamp: p.timestamp,
      completedAt: Date.now(),
      mode: this.options.mode,
      operators,
    });
  }

  private completed_(p: PendingCheckpoint, loaded: LoadedCheckpoint, savepointLocation?: string): void {
    if (this.pending.get(p.id) !== p) return;
    if (p.timer) clearTimeout(p.timer);
    if ((this.completed.at(-1)?.id ?? 0) > p.id) {
      // A newer checkpoint completed first (concurrent checkpoints): this one is subsumed.
      this.pending.delete(p.id);
      void this.storage.discard(p.id).catch(() => undefined);
      // A savepoint's copy is complete and consistent all the same.
      if (p.savepoint) {
        Object.assign(p.stats, {
          className: '.CompletedCheckpointStatistics',
          status: 'COMPLETED',
          end_to_end_duration: Date.now() - p.timestamp,
          discarded: false,
          ...(savepointLocation !== undefined ? { external_path: savepointLocation } : {}),
        } satisfies Partial<CheckpointStatsEntry>);
        this.counts.completed++;
        if ((this.latestSavepoint?.id ?? 0) < p.id) this.latestSavepoint = p.stats;
        this.savepointDone(p.savepoint, savepointLocation, 'subsumed');
      }
      return;
    }
    this.pending.delete(p.id);
    const now = Date.now();
    const s = p.stats;
    s.className = '.CompletedCheckpointStatistics';
    s.status = 'COMPLETED';
    s.end_to_end_duration = now - p.timestamp;
    // A savepoint is where it was copied to (the checkpoint's own directory goes with retention).
    s.external_path = savepointLocation ?? loaded.dir;
    s.discarded = false;
    if (p.savepoint && (this.latestSavepoint?.id ?? 0) < p.id) this.latestSavepoint = s;
    s.alignment_buffered = 0;
    this.counts.completed++;
    this.completedSizes.push(s.state_size);
    this.completedDurations.push(s.end_to_end_duration);
    this.consecutiveFailures = 0;
    this.lastCompletionTime = now;
    const shared = new Set<string>();
    for (const a of p.acks.values()) for (const f of a.handle.shared ?? []) shared.add(f);
    const cp: CompletedCheckpoint = { ...loaded, id: p.id, stats: s, shared };
    for (const f of shared) this.sharedRefs.set(f, (this.sharedRefs.get(f) ?? 0) + 1);
    this.completed.push(cp);
    // Older pending checkpoints are subsumed by this one.
    for (const older of [...this.pending.values()]) if (older.id < p.id) this.abort(older, `subsumed by checkpoint ${p.id}`, false);
    const unreferenced: string[] = [];
    while (this.completed.length > this.options.numRetained) {
      const old = this.completed.shift()!;
      old.stats.discarded = !old.stats.is_savepoint;
      this.background(this.storage.discard(old.id));
      for (const f of old.shared) {
        const n = (this.sharedRefs.get(f) ?? 1) - 1;
        if (n > 0) this.sharedRefs.set(f, n);
        else {
          this.sharedRefs.delete(f);
          unreferenced.push(f);
        }
      }
    }
    if (unreferenced.length > 0) this.background(this.storage.discardShared(unreferenced));
    this.background(this.sweepShared(p.id));
    this.hooks.onCompleted?.(cp, new Set(p.acks.keys()));
    this.hooks.log?.('info', `checkpoint ${p.id} of job ${this.jobId} completed in ${s.end_to_end_duration} ms (${s.state_size} bytes)`);
    if (this.running) this.hooks.notifyComplete(p.id);
    if (p.savepoint) this.savepointDone(p.savepoint, savepointLocation, 'no savepoint location');
    this.rearm();
  }

  private abort(p: PendingCheckpoint, reason: string, isFailure: boolean, notify = true): void {
    // Fully acknowledged: it completes unless writing its _metadata fails (which clears `completing` first).
    if (this.pending.get(p.id) !== p || p.completing) return;
    if (p.timer) clearTimeout(p.timer);
    this.pending.delete(p.id);
    // A failed savepoint does not count towards tolerable-failed-checkpoints (as in Flink).
    if (p.savepoint) isFailure = false;
    const s = p.stats;
    s.className = '.FailedCheckpointStatistics';
    s.status = 'FAILED';
    s.failure_timestamp = Date.now();
    s.failure_message = reason;
    this.counts.failed++;
    this.latestFailed = s;
    void this.storage.discard(p.id).catch(() => undefined);
    if (notify && this.running) this.hooks.notifyAborted(p.id);
    this.hooks.log?.('warn', `checkpoint ${p.id} of job ${this.jobId} aborted: ${reason}`);
    if (p.savepoint) this.savepointDone(p.savepoint, undefined, reason);
    if (isFailure && this.running) {
      this.consecutiveFailures++;
      if (this.consecutiveFailures > this.options.tolerableFailures) {
        this.consecutiveFailures = 0;
        this.hooks.failJob(
          new WeirError(
            'WEIR_CHECKPOINT',
            `${this.options.tolerableFailures === 0 ? 'A checkpoint failed' : `More than ${this.options.tolerableFailures} consecutive checkpoints failed`} (execution.checkpointing.tolerable-failed-checkpoints is ${this.options.tolerableFailures}): ${reason}`,
          ),
        );
        return;
      }
    }
    this.rearm();
  }

  /**
   * Deletes files of the shared directory that no retained checkpoint refers to and that were
   * uploaded for checkpoint `upTo` or an earlier one (their names carry that id): uploads of
   * checkpoints that failed or were subsumed, and of tasks that died before they could clean up.
   * Uploads for later checkpoints, still under way, are left alone.
   */
  private async sweepShared(upTo: number): Promise<void> {
    const names = await this.storage.listShared();
    const garbage = names.filter((f) => {
      if (this.sharedRefs.has(f)) return false;
      const m = /-chk-(\d+)[-.]/.exec(f);
      return m !== null && Number(m[1]) <= upTo;
    });
    // Registered meanwhile (a newer checkpoint completed): kept.
    if (garbage.length > 0) await this.storage.discardShared(garbage.filter((f) => !this.sharedRefs.has(f)));
  }

  /** A checkpoint ended: trigger the next one if it is already due (or urgent). */
  private rearm(): void {
    if (!this.running || this.pending.size >= this.options.maxConcurrent) return;
    if (this.periodicSuspended && this.savepointQueue.length === 0) return;
    const due = this.urgent || this.savepointQueue.length > 0 ? 0 : this.lastTriggerTime + this.options.interval - Date.now();
    if (due <= 0 || !this.timer) this.schedule(Math.max(0, due));
  }

  // ---------------------------------------------------------------- statistics

  private pushHistory(s: CheckpointStatsEntry): void {
    this.history.unshift(s);
    if (this.history.length > HISTORY_SIZE) this.history.pop();
  }

  stats(): CheckpointingStatistics {
    const isCheckpoint = (h: CheckpointStatsEntry): boolean => h.status === 'COMPLETED' && !h.is_savepoint;
    const completed = this.history.find(isCheckpoint) ?? this.completed.findLast((c) => isCheckpoint(c.stats))?.stats ?? null;
    const zero = summarize([]);
    return {
      counts: { ...this.counts, in_progress: this.pending.size },
      summary: {
        checkpointed_size: summarize(this.completedSizes),
        state_size: summarize(this.completedSizes),
        end_to_end_duration: summarize(this.completedDurations),
        alignment_buffered: zero,
        processed_data: zero,
        persisted_data: zero,
      },
      latest: { completed, savepoint: this.latestSavepoint, failed: this.latestFailed, restored: this.restored },
      history: this.history.map((h) => ({ ...h })),
    };
  }

  config(): CheckpointConfigInfo {
    const o = this.options;
    return {
      mode: o.mode === 'EXACTLY_ONCE' ? 'exactly_once' : 'at_least_once',
      interval: o.interval,
      timeout: o.timeout,
      min_pause: o.minPause,
      max_concurrent: o.maxConcurrent,
      externalization: {
        enabled: o.retention !== 'NO_EXTERNALIZED_CHECKPOINTS',
        delete_on_cancellation: o.retention !== 'RETAIN_ON_CANCELLATION',
      },
      state_backend: o.stateBackend === 'lsm' ? 'LsmStateBackend' : 'HashMapStateBackend',
      checkpoint_storage: 'FileSystemCheckpointStorage',
      unaligned_checkpoints: false,
      tolerable_failed_checkpoints: o.tolerableFailures,
      aligned_checkpoint_timeout: 0,
      checkpoints_after_tasks_finish: true,
      state_changelog_enabled: false,
      changelog_periodic_materialization_interval: 0,
      changelog_storage: 'memory',
    };
  }
}

/** Statistics of no checkpoint at all (checkpointing disabled). */
export function emptyCheckpointingStatistics(): CheckpointingStatistics {
  const zero = summarize([]);
  return {
    counts: { restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 },
    summary: {
      checkpointed_size: zero,
      state_size: zero,
      end_to_end_duration: zero,
      alignment_buffered: zero,
      processed_data: zero,
      persisted_data: zero,
    },
    latest: { completed: null, savepoint: null, failed: null, restored: null },
    history: [],
  };
}

function summarize(values: readonly number[]): MinMaxAvg {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const q = (x: number): number => sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))]!;
  return {
    min: sorted[0]!,
    max: sorted.at(-1)!,
    avg: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
    p50: q(0.5),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    p999: q(0.999),
  };
}
