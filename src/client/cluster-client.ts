/**
 * What the client needs from a cluster, whatever the target: the embedded mini-cluster, a remote
 * JobManager reached over REST, a per-job cluster the process provider starts, or (Application
 * mode) the JobManager the program runs in.
 */
import type { JobStatus } from '../api/job-client.js';
import type { ResolvedCachedFile } from '../runtime/blob/cached-files.js';
import type { JobResult, JobSubmission, VertexSummary } from '../runtime/jobmanager/job-master.js';
import type { Bundle } from './bundler.js';
import type { LiveMetrics } from './live-metrics.js';

/**
 * What plan mode submits with the bundle. `jobId` fixes the job's id (Application mode derives
 * them), else the cluster picks one. `cachedFiles` are the program's registered files as the client
 * resolved them (absolute paths that exist): each cluster client stores their content where its
 * TaskManagers fetch it (storeCachedFiles in runtime/blob/cached-files.ts).
 */
export type SubmissionRequest = Omit<JobSubmission, 'jobId' | 'bundle' | 'cachedFiles'> & {
  jobId?: string;
  cachedFiles?: ResolvedCachedFile[];
};

/** One failure of a job (an entry of its exception history). */
export interface JobFailure {
  timestamp: number;
  code: string;
  message: string;
}

export interface JobProgress {
  /** Records per second, busy and backpressured time per vertex, the last checkpoint (where the cluster has metrics). */
  live?: LiveMetrics;
  status: JobStatus;
  vertices: VertexSummary[];
  /** The job's latest failures, newest first, where the cluster tells them (a restarting job's causes). */
  failures?: JobFailure[];
}

export interface ClusterClient {
  /** Where jobs go, for messages: "local mini-cluster", "http://host:8081". */
  readonly description: string;
  /** Dashboard / REST URL, when there is one. */
  readonly webUrl: string | undefined;
  submit(request: SubmissionRequest, bundle: Bundle): Promise<string>;
  progress(jobId: string): Promise<JobProgress>;
  cancel(jobId: string): Promise<void>;
  /** Takes a savepoint (to `dir`, else execution.checkpointing.savepoint-dir), then ends the job (FINISHED); resolves with the savepoint's path. */
  stopWithSavepoint(jobId: string, dir: string | undefined, drain: boolean): Promise<string>;
  waitForResult(jobId: string): Promise<JobResult>;
  /** Where the logs of a job's processes are (shown when an attached run ends). */
  logs?(jobId: string): string;
  close(): Promise<void>;
}
