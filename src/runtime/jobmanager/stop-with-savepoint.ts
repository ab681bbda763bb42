/**
 * Stop with savepoint (Flink's StopWithSavepoint state), event-driven: once the savepoint completed
 * its tasks are told (two-phase-commit sinks commit) and each ends after that, so the job is
 * FINISHED, as Flink reports it; tasks that do not end within the checkpoint timeout are released.
 * If the savepoint fails, the job goes on.
 */
import { WeirError } from '../../errors.js';
import type { SavepointStatus } from '../checkpoint/checkpoint-coordinator.js';
import type { JobStatus } from '../../api/job-client.js';
import type { Clock } from '../clock.js';

/** What the manager needs of its JobMaster. */
export interface StoppingJob {
  /** Whether the job still runs the attempt the savepoint was taken of. */
  runs(attempt: number): boolean;
  currentAttempt(): number;
  /** Ends the attempt and the job: FINISHED. */
  finish(): void;
}

export class StopWithSavepointManager {
  private cancelDeadline: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly job: StoppingJob,
    /** execution.checkpointing.timeout: how long the tasks may take to end after the savepoint. */
    private readonly timeout: number,
  ) {}

  /** The savepoint settled: after a completed one, the job is released if its tasks have not ended by the timeout. */
  onSavepoint(s: SavepointStatus): void {
    const attempt = this.job.currentAttempt();
    if (s.status !== 'COMPLETED' || !this.job.runs(attempt)) return;
    this.cancelDeadline?.();
    this.cancelDeadline = this.clock.setTimer(this.timeout, () => {
      this.cancelDeadline = undefined;
      if (this.job.runs(attempt)) this.job.finish();
    });
  }

  /** The job ended: the deadline no longer applies. */
  close(): void {
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
  }
}

/** A job that can be stopped with a savepoint (the JobMaster). */
export interface StoppableJob {
  readonly jobId: string;
  stopWithSavepoint(dir: string | undefined, drain: boolean, onDone?: (s: SavepointStatus) => void): string;
  /** execution.checkpointing.timeout, when the job takes checkpoints. */
  readonly checkpointTimeout: number | undefined;
}

/**
 * Stop with savepoint in the JobManager's process (local mini-cluster, standalone JobManager):
 * resolves with the savepoint's location once it completed, bounded by the checkpoint timeout.
 */
export function stopJobWithSavepoint(jm: StoppableJob, dir: string | undefined, drain: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        settle(
          undefined,
          new WeirError('WEIR_SAVEPOINT', `the savepoint of job ${jm.jobId} did not complete in time`, { jobId: jm.jobId }),
        ),
      (jm.checkpointTimeout ?? 600_000) + 10_000,
    );
    function settle(location: string | undefined, error?: WeirError): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (location !== undefined) resolve(location);
      else reject(error!);
    }
    try {
      jm.stopWithSavepoint(dir, drain, (s) => {
        if (s.status === 'COMPLETED') settle(s.location!);
        else {
          const failure = `the savepoint of job ${jm.jobId} failed: ${s.failure ?? 'unknown'}`;
          settle(undefined, new WeirError('WEIR_SAVEPOINT', failure, { jobId: jm.jobId }));
        }
      });
    } catch (e) {
      clearTimeout(timer);
      settled = true;
      reject(e as Error);
    }
  });
}

/**
 * The directory a savepoint of a job goes to: the one given, else execution.checkpointing.savepoint-dir.
 * Only a RUNNING job that takes checkpoints takes savepoints.
 */
export function savepointTarget(
  config: Record<string, unknown>,
  dir: string | undefined,
  c: { job: string; what: string; status: JobStatus; checkpointing: boolean },
): string {
  const cannot = `cannot ${c.what} ${c.job}`;
  if (!c.checkpointing) throw new WeirError('WEIR_SAVEPOINT', `${cannot}: it takes no checkpoints (set execution.checkpointing.interval)`);
  if (c.status !== 'RUNNING') throw new WeirError('WEIR_SAVEPOINT', `${cannot}: it is ${c.status}, not RUNNING`);
  const target = dir !== undefined && dir !== '' ? dir : config['execution.checkpointing.savepoint-dir'];
  if (typeof target !== 'string' || target === '') {
    throw new WeirError('WEIR_SAVEPOINT', `${cannot}: no target directory given and execution.checkpointing.savepoint-dir is not set`);
  }
  return target;
}
