/**
 * Flink's HighAvailabilityServices: one object per process that gives the JobManager its leader
 * election, everyone leader retrieval, and the leader its stores. `createHaServices` picks the
 * implementation from high-availability.type: none (in-process), etcd, zookeeper or kubernetes
 * (ConfigMaps and a Lease, see kubernetes-coordination.ts). Layout in the coordination service,
 * below <path.root>/<cluster-id>:
 *
 *   leader                         the leader's information (ephemeral / leased)
 *   execution-plans/<job>          pointer to the plan in storageDir
 *   checkpoints/<job>/<id>         pointer to a completed checkpoint's directory
 *   checkpoint-id-counter/<job>    the next checkpoint id
 *   job-results/<job>              dirty | clean
 *
 * and in storageDir/<cluster-id>: execution-plans/<job>.json, and the blobs (bundles, cached files):
 * a local storageDir holds the BlobServer's directory itself (blob/); a remote one (s3://) a copy
 * of the blobs of jobs whose plans are stored (blobs/), which a new leader downloads.
 */
import type { Configuration } from '../config/index.js';
import { WeirError } from '../errors.js';
import { joinPath, type Campaign, type Coordination, type LeaderSession } from './coordination.js';
import { MemoryCoordination } from './memory-coordination.js';
import { decodeRecord, encodeRecord, LeaderInfo } from './records.js';
import { StorageDir } from './storage-dir.js';
import { CheckpointIdCounter, CheckpointPointerStore, ExecutionPlanStore, JobResultStore } from './stores.js';

export type HaType = 'none' | 'etcd' | 'zookeeper' | 'kubernetes';

export interface LeaderContender {
  /** Leadership granted: `session.sessionId` is the fencing token. */
  grantLeadership(session: LeaderSession): void;
  /** Leadership lost: stop acting as the leader at once. */
  revokeLeadership(reason: string): void;
}

export class HighAvailabilityServices {
  readonly executionPlans: ExecutionPlanStore;
  readonly jobResults: JobResultStore;
  private readonly base: string;

  constructor(
    readonly type: HaType,
    readonly coordination: Coordination,
    readonly clusterId: string,
    root: string,
    /** Undefined for `none`, which keeps nothing. */
    readonly storage: StorageDir | undefined,
  ) {
    this.base = joinPath(root, clusterId);
    const storageForPlans = storage ?? new StorageDir(joinPath('/nonexistent-weir-ha'));
    this.executionPlans = new ExecutionPlanStore(coordination, joinPath(this.base, 'execution-plans'), storageForPlans);
    this.jobResults = new JobResultStore(coordination, joinPath(this.base, 'job-results'));
  }

  get enabled(): boolean {
    return this.type !== 'none';
  }

  private get leaderPath(): string {
    return joinPath(this.base, 'leader');
  }

  /** Joins the JobManager leader election; `info` is published while this process leads. */
  electLeader(info: (sessionId: string) => Omit<LeaderInfo, 'sessionId'>, contender: LeaderContender): Promise<Campaign> {
    return this.coordination.campaign(this.leaderPath, (sessionId) => encodeRecord({ sessionId, ...info(sessionId) }), {
      granted: (s) => contender.grantLeadership(s),
      revoked: (r) => contender.revokeLeadership(r),
    });
  }

  /** Leader retrieval: `onChange` gets the current leader (undefined while there is none) and every change. */
  retrieveLeader(onChange: (leader: LeaderInfo | undefined) => void): Promise<() => void> {
    return this.coordination.watchLeader(this.leaderPath, (b) => {
      let info: LeaderInfo | undefined;
      try {
        info = b ? decodeRecord(LeaderInfo, b, 'the leader information') : undefined;
      } catch {
        info = undefined;
      }
      onChange(info);
    });
  }

  /** Resolves with the leader once there is one, or fails after `timeoutMs`. */
  async waitForLeader(timeoutMs: number): Promise<LeaderInfo> {
    let found!: (l: LeaderInfo) => void;
    const leader = new Promise<LeaderInfo>((r) => (found = r));
    const stop = await this.retrieveLeader((l) => l && found(l));
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        leader,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new WeirError('WEIR_HA', `no leading JobManager registered in ${this.coordination.description} within ${timeoutMs} ms`),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      stop();
    }
  }

  checkpointStore(jobId: string): CheckpointPointerStore {
    return new CheckpointPointerStore(this.coordination, joinPath(this.base, 'checkpoints', jobId));
  }

  checkpointIdCounter(jobId: string): CheckpointIdCounter {
    return new CheckpointIdCounter(this.coordination, joinPath(this.base, 'checkpoint-id-counter', jobId));
  }

  /**
   * The BlobServer's directory in a local storageDir (bundles and cached files survive the
   * JobManager); undefined without storage or when storageDir is remote (see `remoteBlobs`).
   */
  async blobDir(): Promise<string | undefined> {
    return this.storage && !this.storage.remote ? this.storage.ensureDir('blob') : undefined;
  }

  /** With a remote storageDir: where the blobs of jobs with stored plans are copied (blobs/). */
  remoteBlobs(): StorageDir | undefined {
    return this.storage?.remote ? this.storage.sub('blobs') : undefined;
  }

  /** Removes what the cluster keeps for a job once its result is clean (plans, checkpoint pointers, counter). */
  async cleanupJob(jobId: string, fence: LeaderSession): Promise<void> {
    if ((await this.executionPlans.jobIds()).includes(jobId)) await this.executionPlans.remove(jobId, fence);
    await this.checkpointStore(jobId).clear(fence);
    await this.coordination.remove(joinPath(this.base, 'checkpoint-id-counter', jobId), { fence });
  }

  close(): Promise<void> {
    return this.coordination.close();
  }
}

/** The HA services high-availability.* configures (connects to etcd / ZooKeeper). */
export async function createHaServices(config: Configuration): Promise<HighAvailabilityServices> {
  const type = config.get('high-availability.type') as HaType;
  // On Kubernetes the HA data belongs to the cluster of kubernetes.cluster-id, as in Flink.
  const clusterId =
    type === 'kubernetes'
      ? (config.get('kubernetes.cluster-id') ?? config.get('high-availability.cluster-id'))
      : config.get('high-availability.cluster-id');
  if (type === 'none') return new HighAvailabilityServices('none', new MemoryCoordination(), clusterId, '/weir', undefined);
  // Outside Kubernetes without a kubeconfig this fails before anything is created in storageDir.
  const kubernetes = type === 'kubernetes' ? await kubernetesCoordination(config, clusterId) : undefined;
  const dir = config.getRequired('high-availability.storageDir', `when high-availability.type is ${type}`);
  const storage = new StorageDir(dir, config.toJSON());
  await storage.ensureDir(clusterId).catch((e: Error) => {
    throw new WeirError('WEIR_HA', `cannot create high-availability.storageDir ${dir}: ${e.message}`);
  });
  const clusterStorage = storage.sub(clusterId);
  if (kubernetes) return new HighAvailabilityServices('kubernetes', kubernetes, clusterId, KUBERNETES_ROOT, clusterStorage);
  if (type === 'etcd') {
    const { EtcdCoordination } = await import('./etcd-coordination.js');
    const coord = new EtcdCoordination({
      endpoints: config.getList('high-availability.etcd.endpoints'),
      leaseTtl: config.get('high-availability.etcd.lease-ttl'),
    });
    await coord.get('/').catch((e: Error) => {
      void coord.close();
      throw new WeirError('WEIR_HA', `cannot reach ${coord.description}: ${e.message}`);
    });
    return new HighAvailabilityServices('etcd', coord, clusterId, config.get('high-availability.etcd.path.root'), clusterStorage);
  }
  const { ZooKeeperCoordination } = await import('./zookeeper-coordination.js');
  const coord = await ZooKeeperCoordination.connect({
    quorum: config.get('high-availability.zookeeper.quorum'),
    sessionTimeout: config.get('high-availability.zookeeper.client.session-timeout'),
    connectionTimeout: config.get('high-availability.zookeeper.client.connection-timeout'),
  });
  return new HighAvailabilityServices('zookeeper', coord, clusterId, config.get('high-availability.zookeeper.path.root'), clusterStorage);
}

const KUBERNETES_ROOT = '/weir';

async function kubernetesCoordination(config: Configuration, clusterId: string): Promise<Coordination> {
  const [{ KubernetesCoordination }, { loadKubeConfig }] = await Promise.all([
    import('./kubernetes-coordination.js'),
    import('./kubernetes-objects.js'),
  ]);
  const kubeConfig = loadKubeConfig({ file: config.get('kubernetes.config.file'), context: config.get('kubernetes.context') });
  const timing = {
    leaseDuration: config.get('high-availability.kubernetes.leader-election.lease-duration'),
    renewDeadline: config.get('high-availability.kubernetes.leader-election.renew-deadline'),
    retryPeriod: config.get('high-availability.kubernetes.leader-election.retry-period'),
  };
  if (!(timing.leaseDuration > timing.renewDeadline && timing.renewDeadline > timing.retryPeriod))
    throw new WeirError(
      'WEIR_CONFIG_BAD_VALUE',
      `high-availability.kubernetes.leader-election: lease-duration (${timing.leaseDuration} ms) must exceed renew-deadline (${timing.renewDeadline} ms), which must exceed retry-period (${timing.retryPeriod} ms)`,
    );
  const coord = new KubernetesCoordination({
    kubeConfig,
    namespace: config.get('kubernetes.namespace'),
    clusterId,
    root: joinPath(KUBERNETES_ROOT, clusterId),
    timing,
  });
  await coord.children(joinPath(KUBERNETES_ROOT, clusterId)).catch((e: Error) => {
    throw new WeirError('WEIR_HA', `cannot reach the Kubernetes API server (${coord.description}) for high availability: ${e.message}`);
  });
  return coord;
}
