/**
 * The Dispatcher: accepts job submissions, starts one JobMaster per job, and answers for jobs
 * running or ended (status, results, listing, cancellation). Ended jobs stay listed.
 */
import { randomBytes } from 'node:crypto';
import type { JobStatus } from '../../api/job-client.js';
import { WeirError } from '../../errors.js';
import type { ToJobManager } from '../rpc/messages.js';
import type { Logger } from '../rpc/transport.js';
import { archiveJob } from './job-archive.js';
import { JobMaster, type JobResult, type JobSubmission } from './job-master.js';
import type { ResourceManager } from './resource-manager.js';

export interface JobOverview {
  jid: string;
  name: string;
  state: JobStatus;
  'start-time': number;
  'end-time': number;
  duration: number;
  'last-modification': number;
}

/** Flink's job ids are 32 hex digits. */
export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

export interface DispatcherOptions {
  /** jobmanager.archive.dir: every job that ends is archived there (job-archive.ts). */
  archiveDir?: string | undefined;
  log?: Logger;
}

export class Dispatcher {
  private readonly jobs = new Map<string, JobMaster>();
  private readonly archiving = new Set<Promise<void>>();

  constructor(
    private readonly rm: ResourceManager,
    private readonly options: DispatcherOptions = {},
  ) {}

  submit(submission: Omit<JobSubmission, 'jobId'> & { jobId?: string }): string {
    const jobId = submission.jobId ?? newJobId();
    if (this.jobs.has(jobId)) throw new WeirError('WEIR_BAD_PIPELINE', `a job with id ${jobId} was already submitted`, { jobId });
    const jm = new JobMaster({ ...submission, jobId }, this.rm, (j) => this.jobReachedTerminalState(j));
    this.jobs.set(jobId, jm);
    jm.start();
    return jobId;
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

  overview(): JobOverview[] {
    return this.list().map((jm) => {
      const end = jm.endTime;
      const last = Math.max(...Object.values(jm.statusTimestamps).map(Number));
      return {
        jid: jm.jobId,
        name: jm.jobName,
        state: jm.status,
        'start-time': jm.startTime,
        'end-time': end,
        duration: (end > 0 ? end : Date.now()) - jm.startTime,
        'last-modification': last,
      };
    });
  }

  cancel(jobId: string): void {
    this.job(jobId).cancel();
  }

  result(jobId: string): Promise<JobResult> {
    return this.job(jobId).result();
  }

  /** Routes a TaskManager's report to its job's JobMaster. */
  route(msg: ToJobManager): void {
    this.jobs.get(msg.jobId)?.handle(msg);
  }

  cancelAll(): void {
    for (const jm of this.jobs.values()) jm.cancel();
  }

  /** Called once per job, when it reached FINISHED, FAILED or CANCELED. */
  private jobReachedTerminalState(jm: JobMaster): void {
    if (this.options.archiveDir) this.track(archiveJob(this.options.archiveDir, jm), `archiving job ${jm.jobId}`);
  }

  private track(p: Promise<unknown>, what: string): void {
    const t = p.then(
      () => undefined,
      (e: unknown) => this.options.log?.warn(`${what} failed: ${e instanceof Error ? e.message : String(e)}`),
    );
    this.archiving.add(t);
    void t.finally(() => this.archiving.delete(t));
  }

  /** Resolves when the archives of every job that has ended so far are written (before a shutdown completes). */
  async archivesWritten(): Promise<void> {
    while (this.archiving.size > 0) await Promise.all([...this.archiving]);
  }
}
