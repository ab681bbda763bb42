/**
 * Deploys each attempt of a job (in Flink, the scheduler's allocateSlotsAndDeploy with its restore
 * of the latest checkpointed state): resolves the checkpoint the attempt restores from, allocates
 * its slots, starts the source coordinator while the tasks deploy, then the tasks, then periodic
 * checkpoints. An attempt superseded meanwhile (the job ended, is being cancelled, or failed over
 * again) stops where it is and gives its slots back.
 */
import type { JobStatus } from '../../api/job-client.js';
import { serializeError, type SerializedError } from '../../errors.js';
import type { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator.js';
import type { LoadedCheckpoint } from '../checkpoint/storage.js';
import type { JobDeployment, RuntimeSettings } from '../rpc/messages.js';
import type { CollectCoordinator } from './collect-coordinator.js';
import type { JobSubmission } from './job-result.js';
import { isGloballyTerminal } from './job-status.js';
import { RestorePoint } from './restore-point.js';
import type { Scheduler } from './scheduler.js';
import type { SourceCoordinatorHost } from './source-coordinator-host.js';

/** What the deployer needs of its JobMaster. */
export interface DeployingJob {
  readonly jobId: string;
  readonly jobName: string;
  status(): JobStatus;
  attempt(): number;
  fail(error: SerializedError, restartable: boolean): void;
  /** The attempt's tasks are about to be deployed: the job is RUNNING. */
  running(): void;
}

/** The JobMaster's collaborators an attempt is deployed through. */
export interface DeploymentCollaborators {
  scheduler: Scheduler;
  sources: SourceCoordinatorHost;
  collect: CollectCoordinator;
  checkpoints: CheckpointCoordinator | undefined;
}

export class AttemptDeployer {
  private readonly restorePoint: RestorePoint;
  private readonly scheduler: Scheduler;
  private readonly sources: SourceCoordinatorHost;
  private readonly collect: CollectCoordinator;
  private readonly checkpoints: CheckpointCoordinator | undefined;

  constructor(
    private readonly submission: JobSubmission,
    private readonly settings: RuntimeSettings,
    private readonly job: DeployingJob,
    collaborators: DeploymentCollaborators,
  ) {
    ({ scheduler: this.scheduler, sources: this.sources, collect: this.collect, checkpoints: this.checkpoints } = collaborators);
    this.restorePoint = new RestorePoint(submission.jobGraph, submission.config, this.checkpoints);
  }

  /** Deploys the current attempt. */
  async deploy(): Promise<void> {
    const job = this.job;
    let restore: LoadedCheckpoint | undefined;
    try {
      const r = this.restorePoint.resolve();
      restore = r instanceof Promise ? await r : r;
    } catch (e) {
      job.fail(serializeError(e, 'WEIR_CHECKPOINT', { jobId: job.jobId, jobName: job.jobName }), false);
      return;
    }
    if (isGloballyTerminal(job.status()) || job.status() === 'CANCELLING') return;
    const attempt = job.attempt();
    try {
      await this.scheduler.allocateSlots();
    } catch (e) {
      if (this.superseded(attempt)) return;
      job.fail(serializeError(e, 'WEIR_NOT_ENOUGH_SLOTS', { jobId: job.jobId, jobName: job.jobName }), attempt > 0);
      return;
    }
    if (this.superseded(attempt)) {
      this.scheduler.releaseSlots();
      return;
    }
    const d = this.scheduler.deployment(attempt, this.settings);
    if (this.checkpoints) this.collect.restore(restore, this.checkpoints.latestCompleted()?.metadata.checkpointId);
    if (this.submission.jobGraph.vertices.some((v) => v.isSource)) this.startSourceCoordinator(d, restore);
    this.scheduler.prepareTasks();
    job.running();
    this.scheduler.deployTasks(d, restore);
    this.checkpoints?.start();
  }

  /**
   * The coordinator thread starts while the tasks deploy (both load the program); it holds readers'
   * events and checkpoint requests until its enumerators exist, and fails the job if they cannot be created.
   */
  private startSourceCoordinator(d: JobDeployment, restore: LoadedCheckpoint | undefined): void {
    let enumerators: Record<string, unknown> | undefined;
    if (restore) {
      enumerators = {};
      for (const [opId, m] of Object.entries(restore.metadata.operators))
        if (m.coordinator !== undefined) enumerators[opId] = m.coordinator;
    }
    const job = this.job;
    const attempt = job.attempt();
    void this.sources.start(d, enumerators, {
      current: () => attempt === job.attempt(),
      fail: (error, restartable) => job.fail(error, restartable),
      splits: (operatorId, subtask, splits, noMoreSplits) => this.scheduler.sendSplits(attempt, operatorId, subtask, splits, noMoreSplits),
    });
  }

  /** Whether `attempt` should stop deploying: the job ended, is being cancelled, or a newer attempt runs. */
  private superseded(attempt: number): boolean {
    const s: JobStatus = this.job.status();
    return isGloballyTerminal(s) || s === 'CANCELLING' || attempt !== this.job.attempt();
  }
}
