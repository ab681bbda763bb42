/**
 * The in-process ClusterClient of a JobManager with high availability (Application mode, per-job
 * clusters): a submission under a fixed job id is idempotent across leaders. When a new leader
 * re-runs an application's main() (or a per-job cluster's submission), a job it recovered from the
 * execution-plan store is re-attached to, not submitted again, and a job whose result is in the job
 * result store is not run again: execute() gets the stored result.
 */
import type { ClusterClient } from '../../client/cluster-client.js';
import type { HighAvailabilityServices, JobResultEntry } from '../../ha/index.js';
import type { AccumulatorSnapshot } from '../../api/accumulators.js';
import type { Dispatcher } from '../../runtime/jobmanager/dispatcher.js';
import type { JobResult } from '../../runtime/jobmanager/job-result.js';
import type { SerializedError } from '../../errors.js';
import type { Logger } from '../../runtime/rpc/transport.js';

/** A stored job result as the client sees a result (no collected values or vertex figures survive a failover). */
export function storedJobResult(e: JobResultEntry): JobResult {
  return {
    jobId: e.jobId,
    jobName: e.jobName,
    status: e.status,
    startTime: e.startTime,
    endTime: e.endTime,
    ...(e.error !== undefined ? { error: e.error as SerializedError } : {}),
    ...(e.accumulators !== undefined ? { accumulators: e.accumulators as Record<string, AccumulatorSnapshot> } : {}),
    collected: {},
    vertices: [],
  };
}

export function haClusterClient(client: ClusterClient, ha: HighAvailabilityServices, dispatcher: Dispatcher, log: Logger): ClusterClient {
  /** Jobs of this run that had ended under an earlier leader. */
  const ended = new Map<string, JobResult>();
  return {
    description: client.description,
    get webUrl() {
      return client.webUrl;
    },
    async submit(request, bundle) {
      const jobId = request.jobId;
      if (jobId !== undefined) {
        if (dispatcher.hasJob(jobId)) {
          log.info(`job ${jobId} ('${request.jobGraph.jobName}') runs already (recovered): attached to it instead of submitting it again`);
          return jobId;
        }
        const stored = await ha.jobResults.get(jobId);
        if (stored) {
          log.info(`job ${jobId} ('${stored.jobName}') ended ${stored.status} under an earlier leader: not run again`);
          ended.set(jobId, storedJobResult(stored));
          return jobId;
        }
      }
      return client.submit(request, bundle);
    },
    async progress(jobId) {
      const r = ended.get(jobId);
      return r ? { status: r.status, vertices: [] } : client.progress(jobId);
    },
    async cancel(jobId) {
      if (!ended.has(jobId)) await client.cancel(jobId);
    },
    stopWithSavepoint: (jobId, dir, drain) => client.stopWithSavepoint(jobId, dir, drain),
    waitForResult: (jobId) => {
      const r = ended.get(jobId);
      return r ? Promise.resolve(r) : client.waitForResult(jobId);
    },
    close: () => client.close(),
  };
}
