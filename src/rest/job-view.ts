/**
 * What the REST API shows of one job, whoever holds it: a job this JobManager runs or knows
 * (LiveJobView, from its JobMaster) or an ended job of the job archive (ArchivedJobView, from the
 * files the archive wrote in the same shapes). Routes ask JobViews for a job and never repeat
 * "live or archived".
 */
import type { JobStatus } from '../api/job-client.js';
import { planJson } from '../graph/plan.js';
import type { CheckpointConfigInfo, CheckpointingStatistics } from '../runtime/checkpoint/checkpoint-coordinator.js';
import type { Dispatcher } from '../runtime/jobmanager/dispatcher.js';
import type { JobMaster } from '../runtime/jobmanager/job-master.js';
import { isGloballyTerminal } from '../runtime/jobmanager/job-status.js';
import type { JobDetails, JobExceptions, JobOverviewEntry, JobPlanInfo } from './api.js';
import { HttpError, jobNotFound } from './http-error.js';
import { limitExceptions, type ArchivedJobOverview, type JobArchive, type JobArchiveFile, type JobArchiveFiles } from './job-archive.js';
import { jobDetails, jobExceptions, jobOverviewEntry } from './views.js';

export interface JobView {
  readonly jobId: string;
  status(): Promise<JobStatus>;
  details(): Promise<JobDetails>;
  plan(): Promise<JobPlanInfo>;
  /** The newest `max` exceptions. */
  exceptions(max: number): Promise<JobExceptions>;
  checkpoints(): Promise<CheckpointingStatistics>;
  /** Undefined when the job has no checkpointing. */
  checkpointConfig(): Promise<CheckpointConfigInfo | undefined>;
  /** Cancels the job; a job that already ended otherwise than cancelled is a 409. */
  cancel(): Promise<void>;
}

export class LiveJobView implements JobView {
  constructor(readonly jm: JobMaster) {}

  get jobId(): string {
    return this.jm.jobId;
  }
  async status(): Promise<JobStatus> {
    return this.jm.status;
  }
  async details(): Promise<JobDetails> {
    return jobDetails(this.jm);
  }
  async plan(): Promise<JobPlanInfo> {
    return { plan: planJson(this.jm.jobGraph, this.jm.jobId) };
  }
  async exceptions(max: number): Promise<JobExceptions> {
    return jobExceptions(this.jm, max);
  }
  async checkpoints(): Promise<CheckpointingStatistics> {
    return this.jm.checkpointStats();
  }
  async checkpointConfig(): Promise<CheckpointConfigInfo | undefined> {
    return this.jm.checkpointConfig();
  }
  async cancel(): Promise<void> {
    const jm = this.jm;
    if (isGloballyTerminal(jm.status) && jm.status !== 'CANCELED') {
      throw new HttpError(409, `Job ${jm.jobId} cannot be cancelled: it has already reached the terminal state ${jm.status}`);
    }
    jm.cancel();
  }
}

/** An archived job: every document is read from its archive; one that cannot be read is a 404. */
export class ArchivedJobView implements JobView {
  constructor(
    private readonly archive: JobArchive,
    private readonly entry: ArchivedJobOverview,
  ) {}

  get jobId(): string {
    return this.entry.jid;
  }
  private async read<K extends JobArchiveFile>(file: K): Promise<JobArchiveFiles[K]> {
    const doc = await this.archive.read(this.jobId, file);
    if (doc === undefined) throw jobNotFound(this.jobId);
    return doc;
  }
  async status(): Promise<JobStatus> {
    return this.entry.state;
  }
  details(): Promise<JobDetails> {
    return this.read('job');
  }
  plan(): Promise<JobPlanInfo> {
    return this.read('plan');
  }
  async exceptions(max: number): Promise<JobExceptions> {
    return limitExceptions(await this.read('exceptions'), max);
  }
  checkpoints(): Promise<CheckpointingStatistics> {
    return this.read('checkpoints');
  }
  checkpointConfig(): Promise<CheckpointConfigInfo | undefined> {
    return this.archive.read(this.jobId, 'checkpoint-config');
  }
  async cancel(): Promise<void> {
    const { jid, state } = this.entry;
    throw new HttpError(409, `Job ${jid} cannot be cancelled: it has already reached the terminal state ${state} (archived)`);
  }
}

/** What JobViews reads of the Dispatcher. */
export type LiveJobs = Pick<Dispatcher, 'hasJob' | 'job' | 'list'>;

/** The jobs the REST API serves: the Dispatcher's, then the archive's that the Dispatcher does not run (Flink's HistoryServer). */
export class JobViews {
  constructor(
    private readonly dispatcher: LiveJobs,
    private readonly archive: JobArchive | undefined,
  ) {}

  /** The `/jobs/overview` entries of every job, live ones first. */
  async overviews(now = Date.now()): Promise<JobOverviewEntry[]> {
    const live = this.dispatcher.list().map((j) => jobOverviewEntry(j, now));
    const archived = this.archive ? (await this.archive.list()).filter((a) => !this.dispatcher.hasJob(a.jid)) : [];
    return [...live, ...archived];
  }

  /** The job with this id, live or archived; 404 when there is none. */
  async get(jobId: string): Promise<JobView> {
    if (this.dispatcher.hasJob(jobId)) return new LiveJobView(this.dispatcher.job(jobId));
    const archive = this.archive;
    const entry = await archive?.overview(jobId);
    if (!archive || !entry) throw jobNotFound(jobId);
    return new ArchivedJobView(archive, entry);
  }

  /** A job this JobManager runs (what can be told to do something); 404 otherwise. */
  running(jobId: string): JobMaster {
    if (!this.dispatcher.hasJob(jobId)) throw jobNotFound(jobId);
    return this.dispatcher.job(jobId);
  }

  /**
   * A job this JobManager runs or ran, for what only its JobMaster knows (`what`); an archived
   * job is a 404 saying the archive does not keep that.
   */
  async live(jobId: string, what: string): Promise<JobMaster> {
    if (this.dispatcher.hasJob(jobId)) return this.dispatcher.job(jobId);
    if (await this.archive?.overview(jobId))
      throw new HttpError(
        404,
        `Job ${jobId} is served from the job archive, which keeps its overview, details, plan, exceptions and checkpoints, not its ${what}`,
      );
    throw jobNotFound(jobId);
  }
}
