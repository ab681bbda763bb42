/**
 * The JobMaster of one job: follows it from submission to its end through the job state machine
 * (job-state.ts), delegating as in Flink to the scheduler (slots, deployment, task states), the
 * attempt deployer (restore point, slots, source coordinator, tasks), failover (restart strategy
 * and timer), the source-coordinator host, the collect coordinator (executeAndCollect) and its
 * checkpoint side (job-checkpointing.ts: the CheckpointCoordinator, savepoints, stop-with-savepoint).
 * Reports from an older attempt are ignored; time comes from an injectable clock. Every attempt
 * after a failure (and the first, given execution.savepoint.path) restores from the latest
 * completed checkpoint.
 */
import type { AccumulatorSnapshot } from '../../api/accumulators.js';
import type { JobStatus } from '../../api/job-client.js';
import { WeirError, serializeError, type SerializedError } from '../../errors.js';
import type { JobGraph } from '../../graph/job-graph.js';
import {
  checkpointingOptions,
  type CheckpointConfigInfo,
  type CheckpointCoordinator,
  type CheckpointDetails,
  type CheckpointingStatistics,
  type SavepointStatus,
} from '../checkpoint/checkpoint-coordinator.js';
import { systemClock, type Clock } from '../clock.js';
import type { ExecutionState, RuntimeSettings, TaskMetrics, ToJobManager } from '../rpc/messages.js';
import { silentLogger, type Logger } from '../rpc/transport.js';
import { AttemptDeployer } from './attempt-deployer.js';
import { CollectCoordinator } from './collect-coordinator.js';
import { Failover } from './failover.js';
import { JobCheckpointing } from './job-checkpointing.js';
import { resolveRuntimeSettings, type ExceptionEntry, type JobResult, type JobSubmission, type VertexSummary } from './job-result.js';
import { causeLine, JobStateMachine } from './job-state.js';
import { isGloballyTerminal } from './job-status.js';
import type { ResourceManager } from './resource-manager.js';
import { createRestartStrategy } from './restart-strategy.js';
import { Scheduler, type SubtaskSummary } from './scheduler.js';
import { SourceCoordinatorHost } from './source-coordinator-host.js';

export * from './job-result.js';
export { SUMMED_METRICS, type SubtaskSummary } from './scheduler.js';
export { stopJobWithSavepoint } from './stop-with-savepoint.js';

export class JobMaster {
  private readonly state: JobStateMachine;
  readonly startTime: number;
  endTime = -1;
  attempt = 0;
  readonly exceptions: ExceptionEntry[] = [];
  private readonly scheduler: Scheduler;
  private readonly failover: Failover;
  private readonly sources: SourceCoordinatorHost;
  private readonly collect: CollectCoordinator;
  private readonly settings: RuntimeSettings;
  private readonly done: Promise<JobResult>;
  private resolveDone!: (r: JobResult) => void;
  private readonly checkpointing: JobCheckpointing;
  private readonly checkpoints: CheckpointCoordinator | undefined;
  /** HA: the job ends because its JobManager stops or was deposed, and is restored elsewhere. */
  private suspended = false;
  private readonly deployer: AttemptDeployer;
  /** HA: stores a completed checkpoint's pointer before the tasks are told to commit. */
  persistCheckpoint: ((checkpointId: number, dir: string) => Promise<void>) | undefined;

  constructor(
    readonly submission: JobSubmission,
    rm: ResourceManager,
    private readonly onTerminal: (jm: JobMaster) => void,
    /** The JobManager's log: job status transitions (with their cause) and failed tasks. */
    private readonly log: Logger = silentLogger,
    private readonly clock: Clock = systemClock,
  ) {
    const get = (k: string): unknown => submission.config[k];
    this.startTime = clock.now();
    this.state = new JobStateMachine({ jobId: submission.jobId, jobName: submission.jobGraph.jobName }, log, clock);
    this.settings = resolveRuntimeSettings(submission.jobGraph, get);
    this.settings.config = submission.config;
    this.scheduler = new Scheduler(submission, rm);
    this.failover = new Failover(createRestartStrategy(get, get('execution.checkpointing.interval') !== undefined), clock);
    this.sources = new SourceCoordinatorHost(this.jobName);
    const cpOptions = checkpointingOptions(get, submission.jobGraph.type);
    this.collect = new CollectCoordinator(submission.jobGraph, cpOptions !== undefined);
    // What the checkpoint side and the attempt deployer need of the job.
    const job = {
      jobId: submission.jobId,
      jobName: this.jobName,
      status: () => this.status,
      attempt: () => this.attempt,
      persistCheckpoint: (id: number, dir: string) => (this.persistCheckpoint ? this.persistCheckpoint(id, dir) : Promise.resolve()),
      fail: (error: SerializedError, restartable: boolean) => this.fail(error, restartable),
      finish: () => this.finishAttempt(),
      running: () => this.state.transition('RUNNING'),
    };
    const { scheduler, sources, collect } = this;
    this.checkpointing = new JobCheckpointing(submission, cpOptions, job, { scheduler, sources, collect }, log, clock);
    const checkpoints = (this.checkpoints = this.checkpointing.coordinator);
    if (checkpoints) this.settings.checkpointing = { mode: checkpoints.options.mode, jobDir: checkpoints.storage.taskJobDir };
    this.deployer = new AttemptDeployer(submission, this.settings, job, { scheduler, sources, collect, checkpoints });
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get status(): JobStatus {
    return this.state.status;
  }
  /** When the job entered each status it went through. */
  get statusTimestamps(): Partial<Record<JobStatus, number>> {
    return this.state.timestamps;
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
    this.state.transition('CREATED');
    void this.deployer.deploy();
  }

  /** Checkpoint ids of this job start at `next` or later (HA recovery: after the previous leader's). */
  checkpointIdsFrom(next: number): void {
    this.checkpoints?.advanceIds(next);
  }

  /** The job could not be started (its plan could not be stored): it fails without running. */
  failToStart(e: unknown): void {
    this.state.transition('CREATED');
    this.fail(serializeError(e, 'WEIR_HA', { jobId: this.jobId, jobName: this.jobName }), false);
  }

  /** HA: the job's JobManager stops or was deposed; when the job ends here its checkpoints are kept. */
  suspend(): void {
    this.suspended = true;
  }

  cancel(): void {
    if (isGloballyTerminal(this.status) || this.status === 'CANCELLING') return;
    this.failover.cancel();
    this.state.transition('CANCELLING');
    this.teardown();
    this.scheduler.cancelTasks();
    this.finishJob('CANCELED');
  }

  // ------------------------------------------------------------------ checkpoints and savepoints

  /** Triggers a checkpoint now (see JobCheckpointing.triggerCheckpoint); undefined when the rules do not allow one. */
  triggerCheckpoint(full: boolean): number | undefined {
    return this.checkpointing.triggerCheckpoint(full);
  }

  /** Triggers a savepoint (Flink's POST /jobs/:id/savepoints); returns its trigger id. */
  triggerSavepoint(dir?: string): string {
    return this.checkpointing.triggerSavepoint(dir);
  }

  /** Stop with savepoint, with `drain` as Flink's --drain (see JobCheckpointing.stopWithSavepoint). */
  stopWithSavepoint(dir: string | undefined, drain: boolean, onDone?: (s: SavepointStatus) => void): string {
    return this.checkpointing.stopWithSavepoint(dir, drain, onDone);
  }

  savepointStatus(triggerId: string): SavepointStatus | undefined {
    return this.checkpointing.savepointStatus(triggerId);
  }

  /** execution.checkpointing.timeout, when the job takes checkpoints. */
  get checkpointTimeout(): number | undefined {
    return this.checkpoints?.options.timeout;
  }

  /** Per-vertex state and metrics for REST and the CLI's progress. */
  vertexSummaries(): VertexSummary[] {
    return this.scheduler.vertexSummaries();
  }

  /** The accumulators of the current attempt's subtasks, merged by name (of one vertex, or of the job). */
  accumulators(vertexId?: string): Record<string, AccumulatorSnapshot> {
    return this.scheduler.accumulators(vertexId);
  }

  /** Every subtask of the current attempt: state, metrics, state timestamps, TaskManager. */
  subtaskSummaries(): SubtaskSummary[] {
    return this.scheduler.subtaskSummaries();
  }

  /** Checkpoint statistics in Flink's shape (GET /jobs/:id/checkpoints). */
  checkpointStats(): CheckpointingStatistics {
    return this.checkpointing.stats();
  }

  /** Checkpointing configuration in Flink's shape, or undefined when the job takes no checkpoints. */
  checkpointConfig(): CheckpointConfigInfo | undefined {
    return this.checkpointing.config();
  }

  /** One checkpoint of the statistics' history, with per-subtask acknowledgements. */
  checkpointDetails(id: number): CheckpointDetails | undefined {
    return this.checkpointing.details(id);
  }

  // ------------------------------------------------------------------ reports of the attempt

  handle(msg: Exclude<ToJobManager, { type: 'metrics' }>): void {
    if (msg.attempt !== this.attempt || isGloballyTerminal(this.status)) return;
    switch (msg.type) {
      case 'acknowledgeCheckpoint':
      case 'declineCheckpoint':
      case 'endOfData':
        this.checkpointing.handle(msg);
        return;
      case 'taskState':
        this.onTaskState(msg.vertexId, msg.subtask, msg.state, msg.error, msg.metrics);
        return;
      case 'sourceEvent':
        this.sources.sourceEvent(msg.operatorId, msg.subtask, msg.event);
        return;
      case 'collect': {
        const task = msg.vertexId !== undefined && msg.subtask !== undefined ? `${msg.vertexId}/${msg.subtask}` : undefined;
        this.collect.add(msg.collectId, task, msg.values);
        // executeAndCollect(limit): the job ends (FINISHED) once every limited collect sink has its records.
        if (this.status === 'RUNNING' && this.collect.limitsReached()) this.finishAttempt();
        return;
      }
    }
  }

  /** TaskManagers the current attempt runs on. */
  get taskManagerIds(): string[] {
    return this.scheduler.taskManagerIds;
  }

  /** A TaskManager this job runs on is gone (connection closed, heartbeats missed): fail over. */
  onTaskManagerLost(tmId: string, reason: string): void {
    if (isGloballyTerminal(this.status) || !this.scheduler.taskManagerIds.includes(tmId)) return;
    const e = new WeirError('WEIR_JOB_FAILED', `TaskManager ${tmId} was lost (${reason}); its tasks of job '${this.jobName}' failed`);
    this.fail(serializeError(e, 'WEIR_JOB_FAILED', { jobId: this.jobId, jobName: this.jobName }), true);
  }

  private onTaskState(vertexId: string, subtask: number, state: ExecutionState, error?: SerializedError, metrics?: TaskMetrics): void {
    const from = this.scheduler.updateTaskState(`${vertexId}/${subtask}`, state, metrics);
    if (from === undefined) return;
    if (state === 'FAILED') {
      const e = error ?? serializeError(new Error(`task ${vertexId}/${subtask} failed`));
      this.log.warn(`${this.scheduler.taskName(vertexId, subtask, this.attempt)} switched from ${from} to FAILED: ${causeLine(e)}`);
      // Where the task ran (Flink's exception history names the TaskManager and its endpoint).
      const at = this.scheduler.subtaskSummaries().find((x) => x.vertexId === vertexId && x.subtask === subtask);
      this.fail(e, true, at?.taskManagerId ? { taskManagerId: at.taskManagerId, endpoint: at.dataAddress ?? 'in-process' } : undefined);
      return;
    }
    if (state === 'FINISHED') this.checkpoints?.onTaskFinished(vertexId, subtask);
    // Only a running job finishes: late reports after it failed or was cancelled change nothing.
    if (state === 'FINISHED' && this.status === 'RUNNING' && this.scheduler.allFinished()) {
      // A checkpoint still pending (on the source coordinator, for instance) ends with the job: it is
      // aborted before teardown stops the coordinator, so that it does not count as a failure.
      this.checkpoints?.stop('the job finished');
      this.finishAttempt();
    }
  }

  // ------------------------------------------------------------------ failover and the end

  private fail(error: SerializedError, restartable: boolean, where?: { taskManagerId?: string; endpoint?: string }): void {
    if (isGloballyTerminal(this.status) || this.status === 'FAILING' || this.status === 'CANCELLING') return;
    // Late reports of the attempt that already failed change nothing while the restart waits.
    if (this.failover.restartPending) return;
    error.context = { jobId: this.jobId, jobName: this.jobName, ...error.context };
    this.exceptions.push({ timestamp: this.clock.now(), error, ...(where ?? {}) });
    if (this.status === 'CREATED' || this.status === 'INITIALIZING') {
      this.teardown();
      if (this.status === 'INITIALIZING') this.state.transition('CREATED');
      this.state.transition('FAILED', error);
      this.finishJob('FAILED', error);
      return;
    }
    this.state.transition('FAILING', error);
    this.checkpoints?.stop('the job is failing over');
    this.teardown();
    // The attempt's workers are released: its tasks are cancelled (a failed one stays FAILED), so
    // that REST does not show them running while the job restarts.
    this.scheduler.cancelTasks();
    const delay = this.failover.restartDelay(error, restartable);
    if (delay === undefined) {
      this.state.transition('FAILED', error);
      this.finishJob('FAILED', error);
      return;
    }
    this.state.transition('RESTARTING', error);
    this.log.info(`Restarting job ${this.jobName} (${this.jobId}) in ${delay} ms (attempt ${this.attempt + 1}).`);
    this.failover.scheduleRestart(delay, () => {
      if (this.status !== 'RESTARTING') return;
      this.scheduler.rescheduleTasks();
      this.attempt++;
      this.collect.resetAttempt();
      void this.deployer.deploy();
    });
  }

  /** Ends the current attempt everywhere: workers, coordinator, slots. */
  private teardown(): void {
    this.scheduler.release(this.attempt);
    this.sources.stop();
  }

  /** The attempt's tasks ended (or were let go after a stop-with-savepoint, or reached the collect limits): FINISHED. */
  private finishAttempt(): void {
    this.teardown();
    this.finishJob('FINISHED');
  }

  private finishJob(status: 'FINISHED' | 'FAILED' | 'CANCELED', error?: SerializedError): void {
    if (this.status !== status) this.state.transition(status);
    this.endTime = this.clock.now();
    this.checkpointing.close();
    // A suspended job's checkpoints belong to the next leader, which restores from them.
    if (this.checkpoints) void (this.suspended ? this.checkpoints.suspend() : this.checkpoints.shutdown(status));
    const r: JobResult = {
      jobId: this.jobId,
      jobName: this.jobName,
      status,
      startTime: this.startTime,
      endTime: this.endTime,
      collected: this.collect.result(),
      vertices: this.vertexSummaries(),
      accumulators: this.scheduler.accumulators(),
    };
    if (error) r.error = error;
    this.resolveDone(r);
    this.onTerminal(this);
  }
}
