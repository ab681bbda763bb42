/**
 * The files of a dedicated (per-job or application) cluster's directory that the client and the
 * cluster's JobManager both read or write: the layout is described in cluster/dedicated-cluster.ts.
 */
import type { SubmissionRequest } from '../../client/cluster-client.js';

/** What `jobmanager.json` holds. */
export interface ClusterEndpoint {
  pid: number;
  restUrl: string;
  rpcAddress: string;
}

/** What `job.json` holds (Per-Job). */
export interface PerJobFile {
  jobId: string;
  /** File name of the bundle in the cluster directory. */
  bundle: string;
  request: SubmissionRequest;
}

export const JOB_FILE = 'job.json';
export const ENDPOINT_FILE = 'jobmanager.json';
export const JOBMANAGER_LOG = 'jobmanager.log';
