/**
 * What execute() and executeAsync() give back (Flink's JobClient and JobExecutionResult).
 */
export type JobStatus =
  | 'INITIALIZING'
  | 'CREATED'
  | 'RUNNING'
  | 'FAILING'
  | 'FAILED'
  | 'CANCELLING'
  | 'CANCELED'
  | 'FINISHED'
  | 'RESTARTING'
  | 'SUSPENDED'
  | 'RECONCILING';

export interface JobExecutionResult {
  readonly jobId: string;
  readonly jobName: string;
  /** Wall time from submission to the end, in ms. */
  readonly netRuntime: number;
  readonly accumulators: Readonly<Record<string, unknown>>;
  /** Records gathered by executeAndCollect(), per collect id. */
  readonly collected: Readonly<Record<string, unknown[]>>;
}

export interface StopWithSavepointOptions {
  savepointPath?: string;
  drain?: boolean;
}

export interface JobClient {
  readonly jobId: string;
  getJobStatus(): Promise<JobStatus>;
  cancel(): Promise<void>;
  /** Resolves with the savepoint's path. */
  stopWithSavepoint(options?: StopWithSavepointOptions): Promise<string>;
  /** Resolves when the job finished; rejects with the job's failure or cancellation. */
  getJobExecutionResult(): Promise<JobExecutionResult>;
}
