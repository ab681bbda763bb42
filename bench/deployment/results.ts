/** What the deployment benchmark (bench/deployment/) measures, shared by its processes and its report. */

export const DEPLOYMENT_MODES = [
  'local',
  'remote',
  'process-session-warm',
  'process-session-cold',
  'process-per-job',
  'process-application',
] as const;

export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number];

export function isDeploymentMode(s: string): s is DeploymentMode {
  return (DEPLOYMENT_MODES as readonly string[]).includes(s);
}

/** One `weir run`; times in ms from the spawn of the command (NaN: the job never had that status). */
export interface DeploymentRun {
  jobId: string;
  /** The job's final status. */
  state: string;
  /** The JobManager accepted the job (its `start-time`). */
  submittedMs: number;
  /** The job's RUNNING timestamp. */
  runningMs: number;
  /** The job's FINISHED timestamp. */
  finishedMs: number;
  /** The command exited. */
  exitMs: number;
  /** Records read by the last vertex (the sink's). */
  sinkRecords: number;
}

export interface DeploymentModeResult {
  mode: DeploymentMode;
  records: number;
  parallelism: number;
  /** taskmanager.numberOfTaskSlots of the clusters. */
  slots: number;
  runs: DeploymentRun[];
  /** Processes of dedicated clusters still alive after the runs (killed by the benchmark; should be 0). */
  leftoverProcesses: number;
  /** Wall time of the whole mode, clusters included. */
  totalMs: number;
}
