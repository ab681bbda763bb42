/**
 * The checkpoint side of a JobMaster (in Flink, the scheduler's checkpoint and savepoint methods
 * and its ExecutionGraphHandler): creates the job's CheckpointCoordinator with what it needs of the
 * job and the stop-with-savepoint manager, answers the requests for checkpoints and savepoints
 * (trigger, stop-with-savepoint, statuses, statistics), and hands the tasks' checkpoint reports to
 * the coordinator. A job without checkpointing has no coordinator: its reports are dropped and its
 * requests for checkpoints and savepoints refused.
 */
import type { JobStatus } from '../../api/job-client.js';
import { serializeError, WeirError, type SerializedError } from '../../errors.js';
import {
  CheckpointCoordinator,
  emptyCheckpointingStatistics,
  type CheckpointConfigInfo,
  type CheckpointCoordinatorHooks,
  type CheckpointDetails,
  type CheckpointingOptions,
  type CheckpointingStatistics,
  type SavepointStatus,
} from '../checkpoint/checkpoint-coordinator.js';
import type { Clock } from '../clock.js';
import type { ToJobManager } from '../rpc/messages.js';
import type { Logger } from '../rpc/transport.js';
import type { CollectCoordinator } from './collect-coordinator.js';
import type { JobSubmission } from './job-result.js';
import type { Scheduler } from './scheduler.js';
import type { SourceCoordinatorHost } from './source-coordinator-host.js';
import { savepointTarget, StopWithSavepointManager } from './stop-with-savepoint.js';

/** What the checkpoint side needs of its JobMaster. */
export interface CheckpointingJob {
  readonly jobId: string;
  readonly jobName: string;
  status(): JobStatus;
  attempt(): number;
  /** HA: stores a completed checkpoint's pointer before the tasks are told to commit. */
  persistCheckpoint(checkpointId: number, dir: string): Promise<void>;
  fail(error: SerializedError, restartable: boolean): void;
  /** Ends the attempt and the job: FINISHED (after a stop-with-savepoint). */
  finish(): void;
}

/** The tasks' reports that concern checkpoints. */
export type CheckpointReport = Extract<ToJobManager, { type: 'acknowledgeCheckpoint' | 'declineCheckpoint' | 'endOfData' }>;

/** The JobMaster's collaborators the coordinator's hooks act through. */
export interface CheckpointingCollaborators {
  scheduler: Scheduler;
  sources: SourceCoordinatorHost;
  collect: CollectCoordinator;
}

export class JobCheckpointing {
  readonly coordinator: CheckpointCoordinator | undefined;
  private readonly scheduler: Scheduler;
  private readonly sources: SourceCoordinatorHost;
  private readonly collect: CollectCoordinator;
  private readonly stopping: StopWithSavepointManager;

  constructor(
    private readonly submission: JobSubmission,
    options: CheckpointingOptions | undefined,
    private readonly job: CheckpointingJob,
    collaborators: CheckpointingCollaborators,
    private readonly log: Logger,
    clock: Clock,
  ) {
    ({ scheduler: this.scheduler, sources: this.sources, collect: this.collect } = collaborators);
    if (options) this.coordinator = new CheckpointCoordinator(options, submission.jobGraph, submission.jobId, this.hooks(), clock);
    const stoppingJob = {
      runs: (attempt: number) => job.status() === 'RUNNING' && job.attempt() === attempt,
      currentAttempt: () => job.attempt(),
      finish: () => job.finish(),
    };
    this.stopping = new StopWithSavepointManager(clock, stoppingJob, options?.timeout ?? 600_000);
  }

  /** The job ended: a stop-with-savepoint's deadline no longer applies. */
  close(): void {
    this.stopping.close();
  }

  private hooks(): CheckpointCoordinatorHooks {
    const job = this.job;
    return {
      tasks: () => this.scheduler.checkpointTasks(),
      snapshotCoordinator: (id, done) => this.sources.snapshot(id, done),
      triggerTask: (vertexId, subtask, checkpointId, timestamp, mode, options) =>
        this.scheduler.triggerCheckpoint(job.attempt(), { vertexId, subtask, checkpointId, timestamp, mode, options }),
      notifyComplete: (id) => this.scheduler.notifyCheckpoint(job.attempt(), id, 'complete'),
      notifyAborted: (id) => this.scheduler.notifyCheckpoint(job.attempt(), id, 'abort'),
      failJob: (e) => job.fail(serializeError(e, 'WEIR_CHECKPOINT', { jobId: job.jobId, jobName: job.jobName }), true),
      persistCompleted: (id, dir) => job.persistCheckpoint(id, dir),
      onCompleted: (cp, acked) => this.collect.commit(cp.id, acked, (task) => this.scheduler.taskState(task) === 'FINISHED'),
      log: (level, msg) => this.log[level](msg),
    };
  }

  /** A task's checkpoint report of the current attempt. */
  handle(msg: CheckpointReport): void {
    switch (msg.type) {
      case 'acknowledgeCheckpoint':
        this.collect.acknowledged(msg.checkpointId, `${msg.vertexId}/${msg.subtask}`);
        this.coordinator?.acknowledge(msg.vertexId, msg.subtask, msg.checkpointId, msg.handle, msg.metrics);
        return;
      case 'declineCheckpoint':
        this.coordinator?.decline(msg.vertexId, msg.subtask, msg.checkpointId, msg.reason);
        return;
      case 'endOfData':
        this.coordinator?.onEndOfData(msg.vertexId, msg.subtask);
        return;
    }
  }

  /** The coordinator and directory of a savepoint (see savepointTarget). */
  private savepointTarget(dir: string | undefined, what: string): { coordinator: CheckpointCoordinator; dir: string } {
    const { jobId, jobName } = this.job;
    const c = { job: `job '${jobName}' (${jobId})`, what, status: this.job.status(), checkpointing: !!this.coordinator };
    return { coordinator: this.coordinator!, dir: savepointTarget(this.submission.config, dir, c) };
  }

  /**
   * Triggers a checkpoint now (Flink's POST /jobs/:id/checkpoints); returns its id, or undefined
   * when the checkpointing rules do not allow one at this moment (one in progress, min-pause, tasks
   * not all running). `full` is refused for incremental checkpoints, which Weir cannot take in full.
   */
  triggerCheckpoint(full: boolean): number | undefined {
    const job = `job '${this.job.jobName}' (${this.job.jobId})`;
    if (!this.coordinator) throw new WeirError('WEIR_CHECKPOINT', `${job} has no checkpointing (execution.checkpointing.interval)`);
    if (full && [true, 'true'].includes(this.submission.config['state.backend.incremental'] as string))
      throw new WeirError(
        'WEIR_CHECKPOINT',
        `${job} takes incremental checkpoints (state.backend.incremental), which Weir cannot take in full: take a savepoint for a self-contained snapshot`,
      );
    return this.coordinator.tryTrigger();
  }

  /** Triggers a savepoint (Flink's POST /jobs/:id/savepoints); returns its trigger id. */
  triggerSavepoint(dir?: string): string {
    const t = this.savepointTarget(dir, 'take a savepoint of');
    return t.coordinator.triggerSavepoint(t.dir);
  }

  /**
   * Stop with savepoint (see stop-with-savepoint.ts): no periodic checkpoint is triggered after the
   * savepoint. With `drain` (Flink's --drain) the sources emit MAX_WATERMARK right before the
   * savepoint's barrier, so every event-time timer and window fires and its output is part of the
   * savepoint (and committed). `onDone` is told when the savepoint completed or failed.
   */
  stopWithSavepoint(dir: string | undefined, drain: boolean, onDone?: (s: SavepointStatus) => void): string {
    const t = this.savepointTarget(dir, 'stop');
    return t.coordinator.triggerSavepoint(t.dir, {
      stop: true,
      drain,
      onDone: (s) => {
        this.stopping.onSavepoint(s);
        onDone?.(s);
      },
    });
  }

  savepointStatus(triggerId: string): SavepointStatus | undefined {
    return this.coordinator?.savepointStatus(triggerId);
  }

  stats(): CheckpointingStatistics {
    return this.coordinator?.stats() ?? emptyCheckpointingStatistics();
  }

  config(): CheckpointConfigInfo | undefined {
    return this.coordinator?.config();
  }

  details(id: number): CheckpointDetails | undefined {
    return this.coordinator?.checkpointDetails(id);
  }
}
