/**
 * `weir taskmanager --jobmanager host:port`: a TaskManager process of a standalone cluster.
 *
 * It listens for data connections of other TaskManagers (taskmanager.host, default 127.0.0.1;
 * taskmanager.data.port, default a free port), connects to the JobManager and registers its
 * `taskmanager.numberOfTaskSlots` slots, then runs what the JobManager deploys: one worker thread
 * per job attempt and slot, as in the local cluster (the same TaskManager class). Bundles come from
 * the JobManager's BlobServer through a BlobCache. When the JobManager is lost (connection closed,
 * heartbeats missed) the TaskManager stops its workers and registers again as soon as it can.
 * SIGTERM/SIGINT shut it down gracefully, or after 15 s by force. A TaskManager that stays
 * unregistered for taskmanager.registration.timeout (at start, or after losing its JobManager)
 * exits, so the TaskManagers of a resource provider do not outlive a JobManager that was killed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Configuration } from '../../config/index.js';
import { startProcessMetricRegistry } from '../../metrics/process-registry.js';
import { WeirError, describeError, serializeError } from '../../errors.js';
import { BlobCache } from '../../runtime/blob/blob-cache.js';
import type { DeployedCachedFile, ToTaskManager } from '../../runtime/rpc/messages.js';
import { parseHostPort, type Logger } from '../../runtime/rpc/transport.js';
import { NetworkBroker } from '../../runtime/taskmanager/network-broker.js';
import { TaskManager } from '../../runtime/taskmanager/task-manager.js';
import { createLogger } from './log.js';
import { configureFileSystems } from '../../fs/index.js';
import { JobManagerLink, jobManagerLost } from './jobmanager-link.js';
import { exitAfter, installSignalHandlers, requireSecretForBind } from './process-lifecycle.js';

export interface RunTaskManagerOptions {
  log?: Logger;
  /** Shut down on SIGTERM/SIGINT and exit the process (default true). */
  handleSignals?: boolean;
  /** Directory of the BlobCache (default: a new temporary directory, removed at shutdown). */
  blobDir?: string;
}

export interface TaskManagerProcess {
  readonly id: string;
  /** host:port other TaskManagers reach this one at. */
  readonly dataAddress: string;
  readonly taskManager: TaskManager;
  readonly broker: NetworkBroker;
  /** Resolves when the TaskManager is registered at the JobManager. */
  registered(): Promise<void>;
  close(reason?: string): Promise<void>;
  /** Resolves when the TaskManager has shut down. */
  readonly closed: Promise<void>;
}

export async function runTaskManager(
  config: Configuration,
  jobManagerAddress: string,
  opts: RunTaskManagerOptions = {},
): Promise<TaskManagerProcess> {
  configureFileSystems(config.toJSON());
  const log = opts.log ?? createLogger('TaskManager', config.get('weir.log.level'));
  const secret = config.get('security.cluster.secret') ?? '';
  const host = config.get('taskmanager.host') ?? '127.0.0.1';
  requireSecretForBind(host, secret, 'taskmanager.host');
  // With HA the JobManager is the leader that leader retrieval reports; else the address given.
  // Imported only with HA: its records' schema checks (and the etcd/ZooKeeper clients) cost a TaskManager without HA ~0.3 s of start-up.
  const ha =
    config.get('high-availability.type') === 'none' ? undefined : await (await import('../../ha/index.js')).createHaServices(config);
  let jm: { host: string; port: number; token?: string } | undefined = ha ? undefined : parseHostPort(jobManagerAddress);
  const slots = config.get('taskmanager.numberOfTaskSlots');

  const broker = new NetworkBroker({
    secret,
    log,
    // Only called once workers run, so after taskManager below is set.
    onLinkLost: (local, reason) => taskManager.failWorker(local, serializeError(new WeirError('WEIR_JOB_FAILED', reason))),
  });
  const resourceId = config.get('taskmanager.resource-id');
  const { id, port } = await broker.listen(
    host,
    config.get('taskmanager.data.port'),
    (p) => resourceId ?? `${host}:${p}-${randomBytes(3).toString('hex')}`,
  );
  const dataAddress = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const blobDir = opts.blobDir ?? mkdtempSync(join(tmpdir(), 'weir-taskmanager-blobs-'));

  const jobs = new Set<string>();
  const chains = new Map<string, Promise<void>>();
  const link: JobManagerLink = new JobManagerLink({
    address: () => jm,
    secret,
    tmId: id,
    slots,
    dataAddress,
    log,
    logDir: config.get('env.log.dir'),
    onMessage: (msg) => dispatch(msg),
    onUnreadableTask: (jobId, attempt, vertexId, subtask, why) => {
      const error = new WeirError(
        'WEIR_BAD_PIPELINE',
        `TaskManager ${id} cannot read the task ${vertexId}/${subtask} the JobManager submitted: ${why}`,
        { jobId },
      );
      link.report({ type: 'taskState', jobId, attempt, vertexId, subtask, state: 'FAILED', error: serializeError(error) });
    },
    onLost: () => {
      for (const jobId of jobs) void taskManager.releaseJob(jobId);
      jobs.clear();
    },
  });
  const cache = new BlobCache(blobDir, (blobId, offset) => link.fetchChunk(blobId, offset));
  const metricRegistry = await startProcessMetricRegistry(config, log, `TaskManager ${id}`);
  const taskManager = new TaskManager(id, slots, (m) => link.report(m), broker, {
    filesDir: join(blobDir, 'job-files'),
    metrics: { registry: metricRegistry, host, updateInterval: config.get('metrics.fetcher.update-interval') },
    warmPoolSize: config.get('taskmanager.slot.warm-pool.size'),
  });

  /** Messages of one job are applied in order; a deployment waits for its bundle. */
  function dispatch(msg: ToTaskManager): void {
    const jobId = msg.type === 'submitTask' ? msg.deployment.jobId : msg.jobId;
    const next = (chains.get(jobId) ?? Promise.resolve())
      .then(() => apply(msg))
      .catch((e: unknown) => log.error(`handling ${msg.type} of job ${jobId}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
    chains.set(jobId, next);
    void next.then(() => {
      if (chains.get(jobId) === next) chains.delete(jobId);
    });
  }

  async function apply(msg: ToTaskManager): Promise<void> {
    if (msg.type !== 'submitTask') {
      taskManager.handle(msg);
      if (msg.type === 'releaseJob') {
        jobs.delete(msg.jobId);
        broker.forgetWaiting(msg.jobId, msg.attempt);
      }
      return;
    }
    const d = msg.deployment;
    jobs.add(d.jobId);
    broker.addPeers(d.tmDataAddresses);
    let bundlePath: string;
    let cachedFiles: DeployedCachedFile[] | undefined;
    let what = `the bundle ${d.bundleId}`;
    try {
      bundlePath = await cache.get(d.bundleId);
      // Distributed cache files come from the BlobServer like bundles (hash checked, cached here).
      if (d.cachedFiles) {
        cachedFiles = [];
        for (const f of d.cachedFiles) {
          what = `the cached file '${f.name}' (blob ${f.blobId})`;
          cachedFiles.push({ ...f, path: await cache.get(f.blobId, 'file') });
        }
      }
    } catch (e) {
      const error = new WeirError(
        'WEIR_JOB_FAILED',
        `TaskManager ${id} cannot fetch ${what} of job '${d.jobGraph.jobName}': ${(e as Error).message}`,
      );
      link.report({
        type: 'taskState',
        jobId: d.jobId,
        attempt: d.attempt,
        vertexId: msg.task.vertexId,
        subtask: msg.task.subtask,
        state: 'FAILED',
        error: serializeError(error),
      });
      return;
    }
    taskManager.handle({ ...msg, deployment: { ...d, bundlePath, ...(cachedFiles ? { cachedFiles } : {}) } });
  }

  log.info(
    `TaskManager ${id} starting: ${slots} slot(s), data port ${dataAddress}, JobManager ${ha ? `found by leader retrieval (${ha.coordination.description})` : jobManagerAddress}${secret ? ', cluster secret set' : ''}`,
  );
  link.start();
  const stopRetrieval = await ha?.retrieveLeader((l) => {
    jm = l ? { ...parseHostPort(l.rpcAddress), token: l.sessionId } : undefined;
    if (l) log.info(`leader retrieval: the leading JobManager is ${l.rpcAddress} (leader session ${l.sessionId})`);
    link.leaderChanged();
  });

  let closing: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const close = (reason = 'shutdown requested'): Promise<void> =>
    (closing ??= (async () => {
      log.info(`TaskManager ${id} shutting down: ${reason}`);
      link.stop();
      stopRetrieval?.();
      await ha?.close();
      await Promise.all([...jobs].map((j) => taskManager.releaseJob(j)));
      await taskManager.shutdown();
      await metricRegistry.close();
      await broker.close();
      if (!opts.blobDir) await cache.close();
      log.info(`TaskManager ${id} stopped`);
      resolveClosed();
    })());

  if (opts.handleSignals !== false) {
    installSignalHandlers(close, log, true);
    const registrationTimeout = config.get('taskmanager.registration.timeout');
    const watchdog = setInterval(
      () => {
        const since = link.unregisteredSince;
        if (since === 0 || Date.now() - since < registrationTimeout) return;
        clearInterval(watchdog);
        const err = jobManagerLost(
          jobManagerAddress,
          `not registered at it for ${Date.now() - since} ms (taskmanager.registration.timeout)`,
        );
        log.error(`${describeError(err)}: exiting`);
        exitAfter(close('registration timeout'), 1, log, true);
      },
      Math.min(1_000, registrationTimeout),
    );
    watchdog.unref();
    void closed.then(() => clearInterval(watchdog));
  }

  return { id, dataAddress, taskManager, broker, registered: () => link.registered(), close, closed };
}
