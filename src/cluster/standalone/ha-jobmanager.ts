/**
 * A JobManager process with high availability: it joins the leader election and, once it leads,
 * publishes its RPC and REST addresses, takes the leader session id as its fencing token, and
 * recovers every job of the execution-plan store that has no result yet — each from its latest
 * completed checkpoint, with checkpoint ids continuing after the previous leader's. While it leads,
 * the Dispatcher persists plans, checkpoint pointers and job results through `persistence`, each
 * write fenced by the leadership. A JobManager that loses leadership stops at once (its process
 * exits; started again, it is a standby): it cannot commit or command TaskManagers any more.
 * With a remote high-availability.storageDir the blobs a plan names are copied there with the
 * plan, and downloaded by the leader that recovers the job (ha-blobs.ts).
 */
import { getFileSystem, joinPath } from '../../fs/index.js';
import type { Configuration } from '../../config/index.js';
import { createHaServices, type HighAvailabilityServices, type LeaderSession } from '../../ha/index.js';
import { resolveCheckpointBaseDir } from '../../runtime/checkpoint/storage.js';
import type { JobManager } from '../../runtime/jobmanager/job-manager.js';
import type { JobPersistence } from '../../runtime/jobmanager/job-persistence.js';
import type { JobResult, JobSubmission } from '../../runtime/jobmanager/job-result.js';
import type { Logger } from '../../runtime/rpc/transport.js';
import { WeirError } from '../../errors.js';
import { downloadJobBlobs, uploadJobBlobs } from './ha-blobs.js';

export interface HaJobManagerContext {
  jobManager: JobManager;
  rpcAddress: string;
  restUrl: () => string | undefined;
  log: Logger;
  /** The BlobServer's directory (recovered jobs' blobs are downloaded into it from a remote storageDir). */
  blobDir: string;
  /** Leadership was lost: the process stops (it may not act as the leader any more). */
  onRevoked: (reason: string) => void;
  /** Leadership was granted, before the jobs are recovered (the resource provider takes over the TaskManagers). */
  beforeRecovery?: () => Promise<void>;
  /** Leadership was granted (after the jobs were recovered). */
  onGranted?: (session: LeaderSession) => void;
}

export class HaJobManager {
  private session: LeaderSession | undefined;
  private leaderSince = 0;

  private constructor(readonly ha: HighAvailabilityServices) {}

  static async create(config: Configuration): Promise<HaJobManager> {
    return new HaJobManager(await createHaServices(config));
  }

  get enabled(): boolean {
    return this.ha.enabled;
  }

  /** The fencing token (leader session id) while this JobManager leads. */
  token(): string | undefined {
    return this.session?.valid ? this.session.sessionId : undefined;
  }

  /** Leads and has recovered its jobs: the REST API answers (before, it answers 503). */
  get leading(): boolean {
    return this.token() !== undefined && this.recovered;
  }

  private recovered = false;

  private fence(what: string): LeaderSession {
    const s = this.session;
    if (!s?.valid) throw new WeirError('WEIR_HA_FENCED', `${what} refused: this JobManager is not the leader`);
    return s;
  }

  /** What the Dispatcher persists while this JobManager leads. */
  readonly persistence: JobPersistence = {
    planSubmitted: async (sub: JobSubmission) => {
      const blobs = this.ha.remoteBlobs();
      if (blobs) await uploadJobBlobs(blobs, sub);
      await this.ha.executionPlans.put(sub.jobId, Buffer.from(JSON.stringify(sub)), this.fence(`storing the plan of job ${sub.jobId}`));
    },
    checkpointCompleted: async (jobId, checkpointId, dir) => {
      const fence = this.fence(`storing checkpoint ${checkpointId} of job ${jobId}`);
      // The counter first: once the pointer is stored the checkpoint is the one a new leader restores,
      // so no later step may fail (an aborted checkpoint's directory is deleted).
      await this.ha.checkpointIdCounter(jobId).setCount(checkpointId + 1, fence);
      await this.ha.checkpointStore(jobId).add({ checkpointId, path: dir, timestamp: Date.now() }, 1, fence);
    },
    jobEnded: async (r: JobResult) => {
      const fence = this.fence(`recording the end of job ${r.jobId}`);
      await this.ha.jobResults.createDirty(
        {
          jobId: r.jobId,
          status: r.status,
          jobName: r.jobName,
          startTime: r.startTime,
          endTime: r.endTime,
          ...(r.error ? { error: r.error } : {}),
          ...(r.accumulators ? { accumulators: r.accumulators } : {}),
        },
        fence,
      );
      await this.ha.cleanupJob(r.jobId, fence);
      await this.ha.jobResults.markClean(r.jobId, fence);
    },
  };

  /** Joins the election; resolves once the campaign runs (leadership may come later). */
  async campaign(ctx: HaJobManagerContext): Promise<void> {
    await this.ha.electLeader(() => ({ rpcAddress: ctx.rpcAddress, restUrl: ctx.restUrl() ?? '', pid: process.pid }), {
      grantLeadership: (s) => {
        this.session = s;
        this.recovered = false;
        this.leaderSince = Date.now();
        ctx.log.info(`JobManager ${ctx.rpcAddress} was granted leadership with leader session id ${s.sessionId}`);
        void (ctx.beforeRecovery?.() ?? Promise.resolve())
          .then(() => this.recover(ctx, s))
          .then(
            () => {
              this.recovered = true;
              ctx.onGranted?.(s);
            },
            (e: unknown) => ctx.onRevoked(`recovering the jobs failed: ${e instanceof Error ? e.message : String(e)}`),
          );
      },
      revokeLeadership: (reason) => {
        if (!this.session) return;
        this.session = undefined;
        ctx.log.error(`JobManager ${ctx.rpcAddress} lost leadership after ${Date.now() - this.leaderSince} ms: ${reason}`);
        ctx.onRevoked(reason);
      },
    });
  }

  /** Recovers the jobs of the plan store, and finishes the cleanup of results still dirty. */
  private async recover(ctx: HaJobManagerContext, s: LeaderSession): Promise<void> {
    const dispatcher = ctx.jobManager.dispatcher;
    for (const r of await this.ha.jobResults.entries()) {
      if (r.state !== 'dirty') continue;
      await this.ha.cleanupJob(r.jobId, s);
      await this.ha.jobResults.markClean(r.jobId, s);
    }
    for (const jobId of await this.ha.executionPlans.jobIds()) {
      if (!s.valid) return;
      if (dispatcher.hasJob(jobId) || (await this.ha.jobResults.get(jobId))) continue;
      const bytes = await this.ha.executionPlans.get(jobId);
      if (!bytes) continue;
      let sub = JSON.parse(bytes.toString('utf8')) as JobSubmission;
      const blobs = this.ha.remoteBlobs();
      if (blobs) {
        const got = await downloadJobBlobs(blobs, sub, ctx.blobDir);
        sub = got.sub;
        ctx.log.info(`downloaded ${got.downloaded} blob(s) of job ${jobId} from ${blobs.root}`);
      }
      const latest = await this.ha.checkpointStore(jobId).latest();
      if (latest) sub.config = { ...sub.config, 'execution.savepoint.path': latest.path };
      const next = Math.max(await this.ha.checkpointIdCounter(jobId).get(), (await highestCheckpointId(sub)) + 1);
      dispatcher.submit(sub, true);
      dispatcher.job(jobId).checkpointIdsFrom(next);
      ctx.log.info(`recovered job ${sub.jobGraph.jobName} (${jobId})${latest ? ` from checkpoint ${latest.checkpointId}` : ''}`);
    }
  }

  close(): Promise<void> {
    return this.ha.close();
  }
}

/** The highest chk-<n> directory a job's checkpoints have (a previous leader may have started some it never completed). */
async function highestCheckpointId(sub: JobSubmission): Promise<number> {
  const dir = joinPath(resolveCheckpointBaseDir(sub.config['execution.checkpointing.dir']), sub.jobId);
  const entries = await getFileSystem(dir)
    .list(dir)
    .catch(() => []);
  return Math.max(0, ...entries.map((e) => /^chk-(\d+)$/.exec(e.name)).map((m) => (m ? Number(m[1]) : 0)));
}
