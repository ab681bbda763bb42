/**
 * The Dispatcher: accepts job submissions, starts one JobMaster per job, and answers for jobs
 * running or ended (status, results, listing, cancellation). Ended jobs stay listed.
 */
import { randomBytes } from 'node:crypto';
import type { JobStatus } from '../../api/job-client.js';
import { WeirError } from '../../errors.js';
import type { ToJobManager } from '../rpc/messages.js';
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

export class Dispatcher {
  private readonly jobs = new Map<string, JobMaster>();

  constructor(private readonly rm: ResourceManager) {}

  submit(submission: Omit<JobSubmission, 'jobId'> & { jobId?: string }): string {
    const jobId = submission.jobId ?? newJobId();
    if (this.jobs.has(jobId)) throw new WeirError('WEIR_BAD_PIPELINE', `a job with id ${jobId} was already submitted`, { jobId });
    const jm = new JobMaster({ ...submission, jobId }, this.rm, () => undefined);
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
}
