/**
 * What the Dispatcher and its JobMasters persist when the JobManager runs with high availability
 * (the cluster layer implements it over the HA services; without HA there is none). Every call is
 * fenced by the leadership: a rejection means this JobManager no longer leads.
 */
import type { JobResult, JobSubmission } from './job-result.js';

export interface JobPersistence {
  /** A job was submitted: its plan is stored before it runs. */
  planSubmitted(submission: JobSubmission): Promise<void>;
  /** A checkpoint of the job completed (its _metadata is in `dir`): its pointer is stored before tasks commit. */
  checkpointCompleted(jobId: string, checkpointId: number, dir: string): Promise<void>;
  /** The job reached a terminal state: its result is stored (dirty), its HA data removed, then marked clean. */
  jobEnded(result: JobResult): Promise<void>;
}
