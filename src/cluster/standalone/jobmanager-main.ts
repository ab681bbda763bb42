/**
 * `weir jobmanager`: the JobManager process of a standalone session cluster: Dispatcher,
 * ResourceManager and JobMasters (the same JobManager class as the local cluster), the RPC server
 * TaskManagers register at (jobmanager.rpc.address:jobmanager.rpc.port, default 127.0.0.1:6123),
 * the BlobServer the bundles are stored in, and the REST API. SIGTERM/SIGINT shut it down
 * gracefully: jobs are cancelled, TaskManagers told, servers closed, and the TaskManagers an
 * active resource provider started are stopped.
 *
 * The REST server is imported only once the RPC server listens and `beforeRest` ran, so a
 * per-job cluster asks for its TaskManagers while the REST API is still loading.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Configuration } from '../../config/index.js';
import type { RestServer, RestServerOptions } from '../../rest/server.js';
import { BlobServer } from '../../runtime/blob/blob-server.js';
import { storeCachedFiles } from '../../runtime/blob/cached-files.js';
import { startProcessMetricRegistry } from '../../metrics/process-registry.js';
import { JobManager } from '../../runtime/jobmanager/job-manager.js';
import { stopJobWithSavepoint } from '../../runtime/jobmanager/job-master.js';
import { JobManagerRpcServer } from '../../runtime/jobmanager/rpc-server.js';
import type { ResourceProvider } from '../../runtime/jobmanager/resource-provider.js';
import type { Logger } from '../../runtime/rpc/transport.js';
import type { ClusterClient } from '../../client/cluster-client.js';
import { jobArchiver } from '../job-archiver.js';
import { programRunner } from '../program-runner.js';
import { haClusterClient } from './ha-client.js';
import { HaJobManager } from './ha-jobmanager.js';
import { createLogger } from './log.js';
import { installSignalHandlers, requireSecretForBind } from './process-lifecycle.js';
import { configureFileSystems } from '../../fs/index.js';

export interface RunJobManagerOptions {
  log?: Logger;
  /** Shut down on SIGTERM/SIGINT and exit the process (default true). */
  handleSignals?: boolean;
  /** BlobServer directory (default: a new temporary directory, removed at shutdown). */
  blobDir?: string;
  /** Start the REST API (default true). */
  rest?: boolean;
  /** Creates the resource provider once the RPC address is known (default: standalone, starts nothing). */
  provider?: (ctx: { rpcAddress: string; log: Logger; jobManager: JobManager }) => ResourceProvider;
  /** Runs after the RPC server started and before the REST API does (a per-job cluster submits its job here). */
  beforeRest?: (jm: Pick<JobManagerProcess, 'jobManager' | 'client' | 'rpcAddress'>) => void | Promise<void>;
  /**
   * With high availability: runs each time this JobManager is granted leadership, once it recovered
   * the stored jobs (an Application or per-job cluster starts its work here, not in beforeRest: a
   * standby may not submit anything).
   */
  onLeading?: (jm: Pick<JobManagerProcess, 'jobManager' | 'client' | 'rpcAddress'>) => void | Promise<void>;
  /** Exit the process (code 70) when leadership is lost (default: handleSignals). */
  exitOnLostLeadership?: boolean;
  /** Extra hooks of the REST server (a dedicated cluster's application status, result collection). */
  restHooks?: Pick<RestServerOptions, 'application' | 'onResultServed'>;
}

export interface JobManagerProcess {
  readonly jobManager: JobManager;
  readonly blobServer: BlobServer;
  readonly rpc: JobManagerRpcServer;
  /** host:port TaskManagers register at. */
  readonly rpcAddress: string;
  readonly restUrl: string | undefined;
  /** The resource provider, when one was given. */
  readonly provider: ResourceProvider | undefined;
  /** The HA services' side of this JobManager (leader election, stores), when high-availability.type is not none. */
  readonly ha: HaJobManager | undefined;
  /**
   * Submits to this JobManager from the same process (tests, Application mode): the bundle and the
   * job's distributed cache files are stored in the BlobServer and the job handed to the Dispatcher.
   */
  readonly client: ClusterClient;
  close(reason?: string): Promise<void>;
  readonly closed: Promise<void>;
}

export async function runJobManager(config: Configuration, opts: RunJobManagerOptions = {}): Promise<JobManagerProcess> {
  configureFileSystems(config.toJSON());
  const log = opts.log ?? createLogger('JobManager', config.get('weir.log.level'));
  const secret = config.get('security.cluster.secret') ?? '';
  const host = config.get('jobmanager.rpc.address');
  requireSecretForBind(host, secret, 'jobmanager.rpc.address');
  const haJm = config.get('high-availability.type') === 'none' ? undefined : await HaJobManager.create(config);
  // With HA and a local storageDir the blobs live in it, where the next leader finds the bundles of
  // recovered jobs; with a remote one the BlobServer stays local and the blobs of stored plans are
  // copied to storageDir (HaJobManager).
  const haBlobDir = await haJm?.ha.blobDir();
  const ownBlobDir = opts.blobDir === undefined && haBlobDir === undefined;
  const blobDir = opts.blobDir ?? haBlobDir ?? mkdtempSync(join(tmpdir(), 'weir-jobmanager-blobs-'));
  const metricRegistry = await startProcessMetricRegistry(config, log, 'JobManager');
  const jobManager = new JobManager({
    slotsPerTaskManager: config.get('taskmanager.numberOfTaskSlots'),
    taskManagerTimeout: config.get('resourcemanager.taskmanager-timeout'),
    archive: jobArchiver(config.get('jobmanager.archive.dir')),
    persistence: haJm?.persistence,
    log,
    metricRegistry,
  });
  const blobServer = new BlobServer(blobDir);
  const rpc = new JobManagerRpcServer(jobManager, blobServer, {
    host,
    port: config.get('jobmanager.rpc.port'),
    secret,
    heartbeatInterval: config.get('heartbeat.interval'),
    heartbeatTimeout: config.get('heartbeat.timeout'),
    log,
    ...(haJm ? { leadership: { token: () => haJm.token() } } : {}),
  });
  const addr = await rpc.start();
  const rpcAddress = `${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`;
  const provider = opts.provider?.({ rpcAddress, log, jobManager });
  if (provider) jobManager.resourceManager.attachProvider(provider);

  const dispatcher = jobManager.dispatcher;
  let rest: RestServer | undefined;
  let leaderRestUrl: string | undefined;
  const ownClient: ClusterClient = {
    description: `standalone cluster (JobManager ${rpcAddress})`,
    get webUrl() {
      return rest?.url;
    },
    async submit(request, bundle) {
      const stored = await blobServer.putFile(bundle.path);
      const { cachedFiles: files, ...rest } = request;
      const cachedFiles = await storeCachedFiles(files, (bytes) => blobServer.put(bytes, 'file'));
      return dispatcher.submit({ ...rest, bundle: { id: stored.id, path: stored.path }, ...(cachedFiles.length ? { cachedFiles } : {}) });
    },
    async progress(jobId) {
      const jm = dispatcher.job(jobId);
      return { status: jm.status, vertices: jm.vertexSummaries() };
    },
    async cancel(jobId) {
      dispatcher.cancel(jobId);
    },
    stopWithSavepoint: (jobId, dir, drain) => stopJobWithSavepoint(dispatcher.job(jobId), dir, drain),
    waitForResult: (jobId) => dispatcher.result(jobId),
    async close() {},
  };
  // With HA a submission under a fixed job id re-attaches to a recovered job or returns a stored result.
  const client = haJm ? haClusterClient(ownClient, haJm.ha, dispatcher, log) : ownClient;

  try {
    await opts.beforeRest?.({ jobManager, client, rpcAddress });
    if (opts.rest !== false) {
      const { startRestServer } = await import('../../rest/server.js');
      // REST uploads and the BlobServer share the directory: both store `<sha256>.mjs`.
      rest = await startRestServer({
        jobManager,
        config,
        blobDir,
        log,
        ...(opts.restHooks ?? {}),
        // Only a session cluster runs submitted programs: a dedicated (per-job, application) one runs its own.
        ...(opts.restHooks ? {} : { programRunner: programRunner(config, client, log) }),
        ...(haJm
          ? { leadership: { leading: () => haJm.leading, leaderUrl: () => (leaderRestUrl === rest?.url ? undefined : leaderRestUrl) } }
          : {}),
        onShutdown: () => {
          void close('DELETE /cluster').then(() => {
            if (opts.handleSignals !== false) process.exit(0);
          });
        },
      });
    }
    if (haJm) {
      await haJm.ha.retrieveLeader((l) => (leaderRestUrl = l?.restUrl || undefined));
      await haJm.campaign({
        jobManager,
        rpcAddress,
        restUrl: () => rest?.url,
        log,
        blobDir,
        beforeRecovery: async () => provider?.leadershipGranted?.(),
        ...(opts.onLeading
          ? {
              onGranted: () => {
                void Promise.resolve(opts.onLeading!({ jobManager, client, rpcAddress })).catch((e: unknown) =>
                  log.error(`starting the work of the new leader failed: ${e instanceof Error ? e.message : String(e)}`),
                );
              },
            }
          : {}),
        onRevoked: (reason) => {
          // Resigning while shutting down is not a lost leadership.
          if (closing) return;
          // A deposed leader stops at once: its jobs run on the new leader, it may not command anything.
          jobManager.dispatcher.suspend();
          rpc.disconnectAll(`the JobManager lost leadership: ${reason}`);
          if (opts.exitOnLostLeadership ?? opts.handleSignals !== false) {
            log.error('exiting: this JobManager is no longer the leader (start it again to make it a standby)');
            process.exit(70);
          }
          void close(`lost leadership: ${reason}`);
        },
      });
    }
  } catch (e) {
    jobManager.shutdown();
    await metricRegistry.close();
    await rpc.close();
    await provider?.close();
    await haJm?.close();
    if (ownBlobDir) rmSync(blobDir, { recursive: true, force: true });
    throw e;
  }
  log.info(
    `JobManager started (pid ${process.pid}): RPC ${rpcAddress}${rest ? `, REST ${rest.url}` : ''}, heartbeat ${config.get('heartbeat.interval')}/${config.get('heartbeat.timeout')} ms${secret ? ', cluster secret set' : ''}${config.get('jobmanager.archive.dir') ? `, archiving ended jobs to ${config.get('jobmanager.archive.dir')}` : ''}${haJm ? `, high availability on ${haJm.ha.coordination.description} (cluster-id ${haJm.ha.clusterId}; ${haJm.leading ? 'leader' : 'standby until elected'})` : ''}`,
  );

  let closing: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const close = (reason = 'shutdown requested'): Promise<void> =>
    (closing ??= (async () => {
      log.info(`JobManager shutting down: ${reason}`);
      await rest?.close();
      // With HA the jobs are suspended, not ended: the next leader (or this one, restarted) recovers them.
      if (haJm) jobManager.dispatcher.suspend();
      jobManager.shutdown();
      // Let the releaseJob messages of the cancelled jobs leave before the connections close.
      await new Promise((r) => setImmediate(r));
      await jobManager.dispatcher.archivesWritten();
      await rpc.close();
      await provider?.close();
      await metricRegistry.close();
      await haJm?.close();
      if (ownBlobDir) rmSync(blobDir, { recursive: true, force: true });
      log.info('JobManager stopped');
      resolveClosed();
    })());

  if (opts.handleSignals !== false) installSignalHandlers(close, log);
  return { jobManager, blobServer, rpc, rpcAddress, restUrl: rest?.url, client, provider, ha: haJm, close, closed };
}
