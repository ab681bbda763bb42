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
 * pending checkpoints without counting them as failures. It wires Flink's collaborators together
 * (request decider, pending checkpoints, failure manager, completed-checkpoint store with the
 * shared-state registry, statistics tracker, savepoint requests) and keeps the policy: when to
 * trigger, what an abort or a completion means for the job; time comes from a Clock.
 */
import type { JobGraph } from '../../graph/job-graph.js';
import { systemClock, type Clock } from '../clock.js';
import type { CheckpointOptions, SubtaskCheckpointMetrics, SubtaskStateHandle } from '../rpc/messages.js';
import { CheckpointFailureManager } from './checkpoint-failure-manager.js';
import type { CheckpointCoordinatorHooks, CheckpointTask } from './checkpoint-hooks.js';
import { checkpointConfigInfo, type CheckpointConfigInfo, type CheckpointingOptions } from './checkpoint-options.js';
import { CheckpointRequestDecider } from './checkpoint-request-decider.js';
import { CheckpointStatsTracker, type CheckpointDetails, type CheckpointingStatistics } from './checkpoint-stats-tracker.js';
import { CompletedCheckpointStore, type CompletedCheckpoint } from './completed-checkpoint-store.js';
import { taskKey, type PendingCheckpoint } from './pending-checkpoint.js';
import { PendingCheckpoints } from './pending-checkpoints.js';
import {
  SavepointRequests,
  settleSavepoint,
  type SavepointOptions,
  type SavepointRequest,
  type SavepointStatus,
} from './savepoint-requests.js';
import { SharedStateRegistry, sweepShared } from './shared-state-registry.js';
import { CheckpointStorage, type LoadedCheckpoint } from './storage.js';

export * from './checkpoint-options.js';
export * from './checkpoint-stats-tracker.js';
export type { CompletedCheckpoint } from './completed-checkpoint-store.js';
export type { CheckpointCoordinatorHooks, CheckpointTask } from './checkpoint-hooks.js';
export type { SavepointStatus } from './savepoint-requests.js';

export class CheckpointCoordinator {
  readonly storage: CheckpointStorage;
  private nextId = 1;
  private readonly pending: PendingCheckpoints;
  private readonly registry = new SharedStateRegistry();
  private readonly completed: CompletedCheckpointStore;
  private readonly failures: CheckpointFailureManager;
  private readonly decider: CheckpointRequestDecider<SavepointRequest>;
  private readonly statsTracker = new CheckpointStatsTracker();
  private readonly savepoints = new SavepointRequests();
  private cancelTimer: (() => void) | undefined;
  private running = false;
  private shutDown = false;
  private readonly endOfData = new Set<string>();

  constructor(
    readonly options: CheckpointingOptions,
    private readonly jobGraph: JobGraph,
    readonly jobId: string,
    private readonly hooks: CheckpointCoordinatorHooks,
    private readonly clock: Clock = systemClock,
  ) {
    this.storage = new CheckpointStorage(options.baseDir, jobId);
    this.completed = new CompletedCheckpointStore(options.numRetained, this.registry);
    this.failures = new CheckpointFailureManager(options.tolerableFailures);
    this.decider = new CheckpointRequestDecider(options, clock);
    this.pending = new PendingCheckpoints(this.storage, this.statsTracker, clock);
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
    this.endOfData.clear();
    this.schedule(this.decider.start());
  }

  /**
   * The attempt failed: pending checkpoints are aborted (not counted as failures), no new ones start.
   * One that every task acknowledged already completes (its _metadata is being written).
   */
  stop(reason: string): void {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    for (const p of this.pending.all()) if (!p.completing) this.abort(p, reason, false, false);
    for (const r of this.decider.drain()) this.savepointDone(r, undefined, reason);
  }

  /** A _metadata write is in flight. */
  get busy(): boolean {
    return this.pending.busy;
  }

  /** Resolves when no _metadata write (or deletion) is in flight. */
  quiesce(): Promise<void> {
    return this.pending.quiesce();
  }

  /**
   * The job was suspended (HA: its JobManager stops or lost leadership; the next leader restores
   * it from the latest stored checkpoint): stop, and keep every checkpoint whatever the retention.
   */
  async suspend(): Promise<void> {
    this.stop('the job is suspended');
    this.shutDown = true;
    await this.quiesce();
  }

  /** The job ended: stop, and delete or keep its checkpoints as the retention says. */
  async shutdown(status: 'FINISHED' | 'FAILED' | 'CANCELED'): Promise<void> {
    this.stop(`the job is ${status}`);
    this.shutDown = true;
    await this.quiesce();
    const r = this.options.retention;
    const keep = (status === 'FAILED' && r !== 'NO_EXTERNALIZED_CHECKPOINTS') || (status === 'CANCELED' && r === 'RETAIN_ON_CANCELLATION');
    if (keep) return;
    // A savepoint's copy stays: only its checkpoint directory goes.
    this.completed.markAllDiscarded();
    // State files outside the job directory (entropy injection) go first; then the directory.
    await Promise.all(this.completed.all().map((cp) => this.storage.discard(cp.id, cp.metadata).catch(() => undefined)));
    await this.storage.discardAll().catch(() => undefined);
  }

  latestCompleted(): CompletedCheckpoint | undefined {
    return this.completed.latest();
  }

  /** Checkpoint ids start at `next` or later (a recovered job continues after its previous leader's ids). */
  advanceIds(next: number): void {
    this.nextId = Math.max(this.nextId, next);
  }

  /** Records that the current attempt restored from `cp` (for the statistics). */
  noteRestored(cp: LoadedCheckpoint, isSavepoint: boolean): void {
    const id = cp.metadata.checkpointId;
    this.statsTracker.reportRestored({ id, restore_timestamp: this.clock.now(), is_savepoint: isSavepoint, external_path: cp.dir });
    // Checkpoint ids keep growing past a checkpoint restored from another run.
    this.nextId = Math.max(this.nextId, id + 1);
  }

  // ---------------------------------------------------------------- savepoints

  /**
   * Asks for a savepoint: a checkpoint taken as soon as the rules allow (min pause ignored), then
   * copied to `<targetDir>/savepoint-<jobid6>-<random>/` (its `_metadata` last), which retention
   * never deletes. Returns the trigger id; the status is in `savepointStatus`.
   */
  triggerSavepoint(targetDir: string, opts: SavepointOptions = {}): string {
    const r = this.savepoints.create(targetDir, opts);
    if (!this.running || this.shutDown) this.savepointDone(r, undefined, 'the job is not running');
    else this.scheduleIf(this.decider.enqueue(r, this.pending.size));
    return r.status.triggerId;
  }

  savepointStatus(triggerId: string): SavepointStatus | undefined {
    return this.savepoints.status(triggerId);
  }

  private savepointDone(r: SavepointRequest, location: string | undefined, failure?: string): void {
    if (!settleSavepoint(r, location, failure)) return;
    // A failed stop-with-savepoint: the job goes on, periodic checkpoints resume.
    if (location === undefined && r.stop) {
      const delay = this.decider.resumePeriodic();
      if (this.running) this.schedule(delay);
    }
    this.hooks.log?.(location ? 'info' : 'warn', `savepoint ${r.status.triggerId} of job ${this.jobId}: ${location ?? r.status.failure}`);
    r.onDone?.({ ...r.status });
  }

  // ---------------------------------------------------------------- triggering

  private schedule(delay: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.clock.setTimer(Math.max(0, delay), () => {
      this.cancelTimer = undefined;
      this.tryTrigger();
    });
  }

  private scheduleIf(delay: number | undefined): void {
    if (delay !== undefined) this.schedule(delay);
  }

  /** A source subtask reached its end of data; when all have, the final checkpoint is triggered at once. */
  onEndOfData(vertexId: string, subtask: number): void {
    this.endOfData.add(taskKey(vertexId, subtask));
    const sources = this.hooks.tasks().filter((t) => t.isSource && t.state !== 'FINISHED');
    if (sources.every((t) => this.endOfData.has(taskKey(t.vertexId, t.subtask)))) {
      const delay = this.decider.onEndOfData(this.pending.size);
      if (this.running) this.scheduleIf(delay);
    }
  }

  /** Triggers now if the rules allow, else re-arms for when they may. Returns the id, if triggered. */
  tryTrigger(): number | undefined {
    if (!this.running || this.shutDown) return undefined;
    const check = this.decider.check(this.pending.size);
    if (!check.ok) {
      this.scheduleIf(check.retryIn);
      return undefined;
    }
    const tasks = this.hooks.tasks();
    const live = tasks.filter((t) => t.state !== 'FINISHED');
    const sources = live.filter((t) => t.isSource);
    if (sources.length === 0) {
      // Every source finished: nothing will need a checkpoint.
      for (const r of this.decider.drain()) this.savepointDone(r, undefined, 'every source of the job has finished');
      return undefined;
    }
    if (!live.every((t) => t.state === 'RUNNING')) {
      // Not all tasks are running yet (deploying, restoring): try again soon.
      this.schedule(Math.min(this.options.interval, 100));
      return undefined;
    }
    const now = this.clock.now();
    const id = this.nextId++;
    const savepoint = this.decider.take(now);
    if (savepoint) savepoint.status.checkpointId = id;
    const p = this.pending.add(id, now, tasks, savepoint, this.options.timeout, (expired) =>
      this.abort(expired, `checkpoint ${id} expired before completing (execution.checkpointing.timeout)`, true),
    );
    const next = this.decider.afterTrigger(this.pending.size);
    if (next !== undefined) this.schedule(next);
    else {
      this.cancelTimer?.();
      this.cancelTimer = undefined;
    }
    this.storage.initCheckpoint(id).then(
      () => {
        if (!this.pending.has(p)) return;
        this.hooks.snapshotCoordinator(id, (states) => this.triggerSources(p, sources, states));
      },
      (e: unknown) => this.abort(p, `cannot create the checkpoint directory: ${(e as Error).message}`, true),
    );
    return id;
  }

  /** The enumerators answered: in the same turn, so that splits assigned after their snapshot reach the readers after this trigger. */
  private triggerSources(p: PendingCheckpoint, sources: CheckpointTask[], states: Record<string, unknown> | Error): void {
    if (!this.pending.has(p)) return;
    if (states instanceof Error) {
      this.abort(p, `the split enumerators failed to snapshot: ${states.message}`, true);
      return;
    }
    p.enumerators = states;
    const sp = p.savepoint;
    const options: CheckpointOptions = sp
      ? { savepoint: true, ...(sp.stop ? { stop: true } : {}), ...(sp.drain ? { drain: true } : {}) }
      : {};
    for (const t of sources) this.hooks.triggerTask(t.vertexId, t.subtask, p.id, p.timestamp, this.options.mode, options);
    this.maybeComplete(p);
  }

  // ---------------------------------------------------------------- task reports

  acknowledge(
    vertexId: string,
    subtask: number,
    checkpointId: number,
    handle: SubtaskStateHandle,
    metrics: SubtaskCheckpointMetrics,
  ): void {
    const p = this.pending.acknowledge(vertexId, subtask, checkpointId, handle, metrics);
    if (p) this.maybeComplete(p);
  }

  decline(vertexId: string, subtask: number, checkpointId: number, reason: string): void {
    const p = this.pending.get(checkpointId);
    if (!p || p.completing) return;
    // With a newer checkpoint under way the decline may just say that its barrier overtook this one
    // (concurrent checkpoints without alignment): subsumed, not a failure.
    const subsumed = this.pending.hasNewerThan(checkpointId);
    this.abort(p, `task ${vertexId} (subtask ${subtask}) declined checkpoint ${checkpointId}: ${reason}`, !subsumed);
  }

  /** A task finished: pending checkpoints no longer wait for it (a finished task has no state). */
  onTaskFinished(vertexId: string, subtask: number): void {
    const k = taskKey(vertexId, subtask);
    for (const p of this.pending.all()) if (p.taskFinished(k)) this.maybeComplete(p);
  }

  // ---------------------------------------------------------------- completion

  private maybeComplete(p: PendingCheckpoint): void {
    if (p.completing || !p.fullyAcknowledged) return;
    p.completing = true;
    this.pending.finalize(p, this.jobGraph, this.jobId, this.options.mode, this.hooks, {
      completed: (loaded, location) => this.onCompleted(p, loaded, location),
      failed: (reason, isFailure) => {
        p.completing = false;
        this.abort(p, reason, isFailure);
      },
    });
  }

  private onCompleted(p: PendingCheckpoint, loaded: LoadedCheckpoint, savepointLocation?: string): void {
    if (!this.pending.has(p)) return;
    this.pending.remove(p);
    const now = this.clock.now();
    if ((this.completed.latest()?.id ?? 0) > p.id) {
      // A newer checkpoint completed first (concurrent checkpoints): this one is subsumed.
      this.pending.discard(p);
      // A savepoint's copy is complete and consistent all the same.
      if (p.savepoint) {
        this.statsTracker.reportCompleted(p.stats, now, savepointLocation, true);
        this.savepointDone(p.savepoint, savepointLocation, 'subsumed');
      }
      return;
    }
    // A savepoint is where it was copied to (the checkpoint's own directory goes with retention).
    this.statsTracker.reportCompleted(p.stats, now, savepointLocation ?? loaded.dir);
    this.failures.onSuccess();
    this.decider.onCompleted(now);
    const cp: CompletedCheckpoint = { ...loaded, id: p.id, stats: p.stats, shared: p.sharedFiles() };
    const evicted = this.completed.add(cp);
    // Older pending checkpoints are subsumed by this one.
    for (const older of this.pending.all()) if (older.id < p.id) this.abort(older, `subsumed by checkpoint ${p.id}`, false);
    for (const old of evicted.discarded) this.pending.track(this.storage.discard(old.id, old.metadata));
    if (evicted.unreferenced.length > 0) this.pending.track(this.storage.discardShared(evicted.unreferenced));
    this.pending.track(sweepShared(this.storage, this.registry, p.id));
    this.hooks.onCompleted?.(cp, p.acknowledged);
    this.hooks.log?.(
      'info',
      `checkpoint ${p.id} of job ${this.jobId} completed in ${p.stats.end_to_end_duration} ms (${p.stats.state_size} bytes)`,
    );
    if (this.running) this.hooks.notifyComplete(p.id);
    if (p.savepoint) this.savepointDone(p.savepoint, savepointLocation, 'no savepoint location');
    this.rearm();
  }

  private abort(p: PendingCheckpoint, reason: string, isFailure: boolean, notify = true): void {
    // Fully acknowledged: it completes unless writing its _metadata fails (which clears `completing` first).
    if (!this.pending.has(p) || p.completing) return;
    this.pending.abort(p, reason);
    if (notify && this.running) this.hooks.notifyAborted(p.id);
    this.hooks.log?.('warn', `checkpoint ${p.id} of job ${this.jobId} aborted: ${reason}`);
    if (p.savepoint) this.savepointDone(p.savepoint, undefined, reason);
    // A failed savepoint does not count towards tolerable-failed-checkpoints (as in Flink).
    if (isFailure && !p.savepoint && this.running) {
      const fatal = this.failures.onFailure(reason);
      if (fatal) {
        this.hooks.failJob(fatal);
        return;
      }
    }
    this.rearm();
  }

  /** A checkpoint ended: trigger the next one if it is already due (or urgent). */
  private rearm(): void {
    if (this.running) this.scheduleIf(this.decider.rearm(this.pending.size, this.cancelTimer !== undefined));
  }

  // ---------------------------------------------------------------- statistics

  stats(): CheckpointingStatistics {
    const retained = this.completed.all().map((c) => c.stats);
    return this.statsTracker.stats(this.pending.size, retained);
  }

  config(): CheckpointConfigInfo {
    return checkpointConfigInfo(this.options);
  }

  /** One checkpoint of the history (GET /jobs/:id/checkpoints/details/:cid), with its vertices' subtask acknowledgements. */
  checkpointDetails(id: number): CheckpointDetails | undefined {
    return this.statsTracker.details(id);
  }
}
