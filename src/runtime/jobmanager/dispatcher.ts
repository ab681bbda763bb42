/**
 * The Dispatcher: accepts job submissions, starts one JobMaster per job, and answers for jobs
 * running or ended (status, results, listing, cancellation). Ended jobs stay listed. Listeners
 * registered with `onJobTerminal` run once per job when it reaches a terminal state (archiving,
 * the lifecycle of per-job and application clusters); `settled()` waits for what they started.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WeirError } from '../../errors.js';
import type { ToJobManager } from '../rpc/messages.js';
import type { Logger } from '../rpc/transport.js';
import { JobMaster, type JobResult, type JobSubmission } from './job-master.js';
import type { JobPersistence } from './job-persistence.js';
import type { ResourceManager } from './resource-manager.js';

/** Flink's job ids are 32 hex digits. */
export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The id of the job an application's `index`-th execute()/executeAsync() call submits: the first 32
 * hex digits of SHA-256 over the cluster id and the index, so a re-run application (or a recovered
 * one) finds its jobs under the same ids.
 */
export function applicationJobId(clusterId: string, index: number): string {
  return createHash('sha256').update(`weir-application\u0000${clusterId}\u0000${index}`).digest('hex').slice(0, 32);
}

export interface DispatcherOptions {
  /** Archives every job that ends (jobmanager.archive.dir; the archive is the REST layer's, rest/job-archive.ts). */
  archive?: JobArchiver | undefined;
  log?: Logger;
  /** High availability: plans, checkpoint pointers and results go to the HA stores. */
  persistence?: JobPersistence | undefined;
}

/** Writes the archive of an ended job. */
export type JobArchiver = (jm: JobMaster) => Promise<unknown>;

export type JobTerminalListener = (jm: JobMaster, result: JobResult) => void | Promise<void>;

export class Dispatcher {
  private readonly jobs = new Map<string, JobMaster>();
  private readonly terminalListeners: JobTerminalListener[] = [];
  private readonly terminalWork = new Set<Promise<void>>();
  private readonly submittedListeners: ((jm: JobMaster) => void)[] = [];
  /** The JobManager is stopping (or lost leadership): ending jobs are suspended, not recorded as ended. */
  private suspended = false;

  constructor(
    private readonly rm: ResourceManager,
    private readonly options: DispatcherOptions = {},
  ) {
    // The archive is the first listener, so the logs a dedicated cluster copies in later find it.
    const archive = options.archive;
    if (archive) {
      this.onJobTerminal(async (jm) => {
        try {
          await archive(jm);
        } catch (e) {
          this.options.log?.warn(`archiving job ${jm.jobId} failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
    }
  }

  /**
   * Starts a JobMaster for the job. With HA its plan is stored first (a recovered job's plan is
   * already there); a job whose plan cannot be stored fails.
   */
  submit(submission: Omit<JobSubmission, 'jobId'> & { jobId?: string }, recovered = false): string {
    const jobId = submission.jobId ?? newJobId();
    if (this.jobs.has(jobId)) throw new WeirError('WEIR_BAD_PIPELINE', `a job with id ${jobId} was already submitted`, { jobId });
    const full = { ...submission, jobId };
    const persistence = this.options.persistence;
    const jm = new JobMaster(full, this.rm, (j) => this.jobTerminal(j), this.options.log);
    if (persistence) jm.persistCheckpoint = (id, dir) => persistence.checkpointCompleted(jobId, id, dir);
    this.jobs.set(jobId, jm);
    this.options.log?.info(`${recovered ? 'Recovered' : 'Submitted'} job ${jm.jobName} (${jobId}).`);
    for (const l of this.submittedListeners) l(jm);
    if (!persistence || recovered) jm.start();
    else
      void persistence.planSubmitted(full).then(
        () => jm.start(),
        (e: unknown) => jm.failToStart(e),
      );
    return jobId;
  }

  /** Runs `listener` for every job submitted from now on (before it starts). */
  onJobSubmitted(listener: (jm: JobMaster) => void): void {
    this.submittedListeners.push(listener);
  }

  /** Jobs that end from now on are suspended (HA: a JobManager stopping or deposed), not recorded. */
  suspend(): void {
    this.suspended = true;
    for (const jm of this.jobs.values()) jm.suspend();
  }

  /** Runs `listener` for every job that reaches a terminal state from now on (once per job). */
  onJobTerminal(listener: JobTerminalListener): void {
    this.terminalListeners.push(listener);
  }

  /** Resolves when what the terminal listeners started (archiving, ...) is done. */
  async settled(): Promise<void> {
    while (this.terminalWork.size > 0) await Promise.all([...this.terminalWork]);
  }

  /** Resolves when the archives of every job that has ended so far are written (before a shutdown completes). */
  archivesWritten(): Promise<void> {
    return this.settled();
  }

  private jobTerminal(jm: JobMaster): void {
    const work = jm.result().then(async (r) => {
      const persistence = this.options.persistence;
      if (persistence && !this.suspended) {
        try {
          await persistence.jobEnded(r);
        } catch (e) {
          this.options.log?.warn(
            `recording the end of job ${jm.jobId} in the HA services failed: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
      for (const l of this.terminalListeners) {
        try {
          await l(jm, r);
        } catch {
          // A listener reports its own failures; the job's result stands.
        }
      }
    });
    this.terminalWork.add(work);
    void work.finally(() => this.terminalWork.delete(work));
  }

  job(jobId: string): JobMaster {
    const jm = this.jobs.get(jobId);
    if (!jm) throw new WeirError('WEIR_BAD_PIPELINE', `no job with id ${jobId}`, { jobId });
    return jm;
  }

  hasJob(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  list(): JobMaster[] {
    return [...this.jobs.values()];
  }

  cancel(jobId: string): void {
    this.job(jobId).cancel();
  }

  result(jobId: string): Promise<JobResult> {
    return this.job(jobId).result();
  }

  /** Routes a TaskManager's report to its job's JobMaster. */
  route(msg: Exclude<ToJobManager, { type: 'metrics' }>): void {
    this.jobs.get(msg.jobId)?.handle(msg);
  }

  cancelAll(): void {
    for (const jm of this.jobs.values()) jm.cancel();
  }
}
