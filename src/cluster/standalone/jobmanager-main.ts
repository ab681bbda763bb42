/**
 * `weir jobmanager`: the JobManager process of a standalone session cluster: Dispatcher,
 * ResourceManager and JobMasters (the same JobManager class as the local cluster), the RPC server
 * TaskManagers register at (jobmanager.rpc.address:jobmanager.rpc.port, default 127.0.0.1:6123),
 * the BlobServer the bundles are stored in, and the REST API. SIGTERM/SIGINT shut it down
 * gracefully: jobs are cancelled, TaskManagers told, servers closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Configuration } from '../../config/index.js';
import { startRestServer, type RestServer } from '../../rest/server.js';
import { BlobServer } from '../../runtime/blob/blob-server.js';
import { storeCachedFiles } from '../../runtime/blob/cached-files.js';
import { JobManager } from '../../runtime/jobmanager/job-manager.js';
import { stopJobWithSavepoint } from '../../runtime/jobmanager/job-master.js';
import { JobManagerRpcServer } from '../../runtime/jobmanager/rpc-server.js';
import type { Logger } from '../../runtime/rpc/transport.js';
import type { ClusterClient } from '../cluster-client.js';
import { createLogger } from './log.js';
import { installSignalHandlers, requireSecretForBind } from './taskmanager-main.js';

export interface RunJobManagerOptions {
  log?: Logger;
  /** Shut down on SIGTERM/SIGINT and exit the process (default true). */
  handleSignals?: boolean;
  /** BlobServer directory (default: a new temporary directory, removed at shutdown). */
  blobDir?: string;
  /** Start the REST API (default true). */
  rest?: boolean;
}

export interface JobManagerProcess {
  readonly jobManager: JobManager;
  readonly blobServer: BlobServer;
  readonly rpc: JobManagerRpcServer;
  /** host:port TaskManagers register at. */
  readonly rpcAddress: string;
  readonly restUrl: string | undefined;
  /**
   * Submits to this JobManager from the same process (tests, Application mode): the bundle and the
   * job's distributed cache files are stored in the BlobServer and the job handed to the Dispatcher.
   */
  readonly client: ClusterClient;
  close(reason?: string): Promise<void>;
  readonly closed: Promise<void>;
}

export async function runJobManager(config: Configuration, opts: RunJobManagerOptions = {}): Promise<JobManagerProcess> {
  const log = opts.log ?? createLogger('JobManager', config.get('weir.log.level'));
  const secret = config.get('security.cluster.secret') ?? '';
  const host = config.get('jobmanager.rpc.address');
  requireSecretForBind(host, secret, 'jobmanager.rpc.address');
  const blobDir = opts.blobDir ?? mkdtempSync(join(tmpdir(), 'weir-jobmanager-blobs-'));
  const jobManager = new JobManager({ archiveDir: config.get('jobmanager.archive.dir'), log });
  const blobServer = new BlobServer(blobDir);
  const rpc = new JobManagerRpcServer(jobManager, blobServer, {
    host,
    port: config.get('jobmanager.rpc.port'),
    secret,
    heartbeatInterval: config.get('heartbeat.interval'),
    heartbeatTimeout: config.get('heartbeat.timeout'),
    log,
  });
  const addr = await rpc.start();
  const rpcAddress = `${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`;

  let rest: RestServer | undefined;
  if (opts.rest !== false) {
    try {
      // REST uploads and the BlobServer share the directory: both store `<sha256>.mjs`.
      rest = await startRestServer({
        jobManager,
        config,
        blobDir,
        log,
        onShutdown: () => {
          void close('DELETE /cluster').then(() => {
            if (opts.handleSignals !== false) process.exit(0);
          });
        },
      });
    } catch (e) {
      await rpc.close();
      if (!opts.blobDir) rmSync(blobDir, { recursive: true, force: true });
      throw e;
    }
  }
  log.info(
    `JobManager started: RPC ${rpcAddress}${rest ? `, REST ${rest.url}` : ''}, heartbeat ${config.get('heartbeat.interval')}/${config.get('heartbeat.timeout')} ms${secret ? ', cluster secret set' : ''}${config.get('jobmanager.archive.dir') ? `, archiving ended jobs to ${config.get('jobmanager.archive.dir')}` : ''}`,
  );

  const dispatcher = jobManager.dispatcher;
  const client: ClusterClient = {
    description: `standalone cluster (JobManager ${rpcAddress})`,
    webUrl: rest?.url,
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

  let closing: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const close = (reason = 'shutdown requested'): Promise<void> =>
    (closing ??= (async () => {
      log.info(`JobManager shutting down: ${reason}`);
      await rest?.close();
      jobManager.shutdown();
      // Let the releaseJob messages of the cancelled jobs leave before the connections close.
      await new Promise((r) => setImmediate(r));
      await jobManager.dispatcher.archivesWritten();
      await rpc.close();
      if (!opts.blobDir) rmSync(blobDir, { recursive: true, force: true });
      log.info('JobManager stopped');
      resolveClosed();
    })());

  if (opts.handleSignals !== false) installSignalHandlers(close, log);
  return { jobManager, blobServer, rpc, rpcAddress, restUrl: rest?.url, client, close, closed };
}
