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
import { startProcessMetricRegistry } from '../../metrics/process-registry.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { Configuration } from '../../config/index.js';
import { WeirError, describeError, serializeError } from '../../errors.js';
import { BlobCache } from '../../runtime/blob/blob-cache.js';
import type {
  BlobChunk,
  DeployedCachedFile,
  JobManagerRpc,
  TaskManagerInspection,
  TaskManagerRpc,
  ToJobManager,
  ToTaskManager,
} from '../../runtime/rpc/messages.js';
import { connect, isLoopback, parseHostPort, RpcError, type Logger, type RpcConnection } from '../../runtime/rpc/transport.js';
import {
  blobChunkSchema,
  isValid,
  jobManagerRpcSchema,
  registrationResponseSchema,
  unreadableSubmitTaskSchema,
} from '../../runtime/rpc/validate.js';
import { NetworkBroker } from '../../runtime/taskmanager/network-broker.js';
import { TaskManager } from '../../runtime/taskmanager/task-manager.js';
import { inspectProcess } from '../../util/process-info.js';
import { createHaServices } from '../../ha/index.js';
import { createLogger } from './log.js';
import { configureFileSystems } from '../../fs/index.js';

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

/** Refuses to listen beyond loopback without a cluster secret. */
export function requireSecretForBind(host: string, secret: string, key: string): void {
  if (!isLoopback(host) && !secret) {
    throw new WeirError(
      'WEIR_CONFIG_BAD_VALUE',
      `${key} is '${host}', which is not a loopback address: set security.cluster.secret (the same value on the JobManager and every TaskManager) so that only members of the cluster can connect`,
    );
  }
}

type JmConn = RpcConnection<TaskManagerRpc, JobManagerRpc>;

/** The JobManager at `address` cannot be reached any more: what happened, and what to do. */
export function jobManagerLost(address: string, reason: string): WeirError {
  return new WeirError(
    'WEIR_JOBMANAGER_LOST',
    `The JobManager at ${address} is gone (${reason}): check its log, restart it if it stopped; its jobs' tasks here are stopped`,
  );
}

interface LinkOptions {
  /** Where the JobManager (the leader, with HA) is now; undefined while none is known. */
  address(): { host: string; port: number; token?: string } | undefined;
  secret: string;
  tmId: string;
  slots: number;
  dataAddress: string;
  log: Logger;
  /** This process's log directory (env.log.dir), listed and read when the JobManager asks. */
  logDir: string | undefined;
  onMessage(msg: ToTaskManager): void;
  /** A submitted task this TaskManager cannot read: fail that task only. */
  onUnreadableTask(jobId: string, attempt: number, vertexId: string, subtask: number, why: string): void;
  onLost(reason: string): void;
}

/** The TaskManager's connection to the JobManager: registration, heartbeats, fencing, reconnection. */
class JobManagerLink {
  private conn: JmConn | undefined;
  private token: string | undefined;
  private lastSeen = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private waiters: (() => void)[] = [];
  /** Since when the TaskManager has not been registered (0 while it is). */
  unregisteredSince = Date.now();

  constructor(private readonly o: LinkOptions) {}

  start(): void {
    void this.loop();
  }

  registered(): Promise<void> {
    if (this.token && this.conn && !this.conn.closed) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** With HA: the leader changed; a connection to another JobManager is closed and the link registers at the new one. */
  leaderChanged(): void {
    const a = this.o.address();
    if (this.conn && !this.conn.closed && (!a || `${a.host}:${a.port}` !== this.connectedTo))
      this.conn.close(a ? `the leader is now the JobManager at ${a.host}:${a.port}` : 'the JobManager lost leadership', 'info');
    this.wake?.();
  }

  private connectedTo = '';

  private get target(): string {
    const a = this.o.address();
    return a ? `${a.host}:${a.port}` : '(no leader yet)';
  }

  report(msg: ToJobManager): void {
    if (this.conn && this.token && !this.conn.send({ type: 'report', msg }))
      this.o.log.debug(`dropped a ${msg.type} report: not connected`);
  }

  fetchChunk(blobId: string, offset: number): Promise<BlobChunk> {
    if (!this.conn || !this.token) return Promise.reject(jobManagerLost(this.target, 'this TaskManager is not connected to it'));
    return this.conn.request({ type: 'fetchBlob', blobId, offset }, blobChunkSchema, 60_000);
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.conn?.close('the TaskManager is shutting down', 'info', true);
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    let failures = 0;
    while (!this.stopped) {
      let lost: Promise<string> | undefined;
      try {
        lost = (await this.connectOnce()).lost;
        backoff = 100;
        failures = 0;
      } catch (e) {
        if (this.stopped) break;
        if (failures++ % 10 === 0) this.o.log.warn(`cannot register at the JobManager ${this.target}: ${(e as Error).message}; retrying`);
      }
      if (lost) {
        const reason = await lost;
        this.token = undefined;
        this.unregisteredSince = Date.now();
        if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
        if (this.stopped) break;
        const lostErr = jobManagerLost(this.connectedTo, reason);
        this.o.log.warn(`lost the JobManager: ${describeError(lostErr)}; stopping all tasks and registering again`);
        this.o.onLost(reason);
        backoff = 20;
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, backoff);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      backoff = Math.min(backoff * 2, 5_000);
    }
  }

  /** Connects and registers; `lost` resolves with the reason the connection ends. */
  private async connectOnce(): Promise<{ lost: Promise<string> }> {
    const o = this.o;
    const target = o.address();
    if (!target) throw new Error('no leading JobManager is known yet');
    this.connectedTo = `${target.host}:${target.port}`;
    const conn = await connect<TaskManagerRpc, JobManagerRpc>(target.host, target.port, {
      secret: o.secret,
      self: { role: 'taskmanager', id: o.tmId },
      peerRoles: ['jobmanager'],
      incoming: jobManagerRpcSchema,
      log: o.log,
      maxFrameBytes: 256 * 1024 * 1024,
    });
    const lost = new Promise<string>((r) => conn.onClose(r));
    if (this.stopped) {
      conn.close('the TaskManager is shutting down', 'debug', true);
      return { lost };
    }
    // Messages that arrive with the registration response (the JobManager may send tasks right
    // after it) wait until the response is read and the fencing token known.
    let early: (() => void)[] | undefined = [];
    conn.onMessage = (m) => {
      if (early !== undefined) {
        early.push(() => conn.onMessage(m));
        return;
      }
      if (m.fencingToken !== this.token) {
        o.log.warn(
          `rejected a ${m.type === 'toTaskManager' ? m.msg.type : m.type} message with a wrong fencing token (not from the JobManager this TaskManager is registered at)`,
        );
        return;
      }
      this.lastSeen = Date.now();
      if (m.type === 'toTaskManager') o.onMessage(m.msg);
    };
    // The JobManager's REST API asks about this process: its log files and a thread dump.
    conn.onRequest = async (m): Promise<TaskManagerInspection> => {
      if (m.type !== 'inspect') throw new RpcError(`${m.type} is not a request`);
      if (m.fencingToken !== this.token) throw new RpcError('wrong fencing token');
      return inspectProcess(m.what, m.name, o.logDir);
    };
    // A submitTask the schema refuses fails that task; the connection and the other jobs stay.
    // Anything else unreadable closes the connection (the transport's default).
    conn.onInvalidMessage = (m, why) => {
      if (!isValid(unreadableSubmitTaskSchema, m)) return false;
      if (early !== undefined) {
        early.push(() => conn.onInvalidMessage?.(m, why));
        return true;
      }
      if (m.fencingToken !== this.token) {
        o.log.warn('rejected an unreadable submitTask message with a wrong fencing token');
        return true;
      }
      this.lastSeen = Date.now();
      const { deployment: d, task } = m.msg;
      o.log.warn(`cannot read the submitted task ${task.vertexId}/${task.subtask} of job ${d.jobId}: ${why}; failing that task`);
      o.onUnreadableTask(d.jobId, d.attempt, task.vertexId, task.subtask, why);
      return true;
    };
    this.conn = conn;
    let r;
    try {
      const hardware = {
        cpuCores: cpus().length,
        physicalMemory: totalmem(),
        freeMemory: freemem(),
        heapLimit: getHeapStatistics().heap_size_limit,
      };
      r = await conn.request(
        { type: 'register', tmId: o.tmId, slots: o.slots, dataAddress: o.dataAddress, hardware },
        registrationResponseSchema,
        10_000,
      );
    } catch (e) {
      early = undefined;
      conn.close(`registration failed: ${(e as Error).message}`, 'debug');
      throw e;
    }
    // With HA the JobManager must hold the leader session leader retrieval reported (not a deposed one).
    const now = o.address();
    if (now?.token !== undefined && (now.token !== r.fencingToken || `${now.host}:${now.port}` !== this.connectedTo)) {
      early = undefined;
      conn.close('registered at a JobManager that is not the current leader', 'info');
      throw new Error(`the JobManager at ${this.connectedTo} is not the current leader`);
    }
    this.token = r.fencingToken;
    const held = early;
    early = undefined;
    for (const replay of held) replay();
    this.unregisteredSince = 0;
    this.lastSeen = Date.now();
    const { heartbeatInterval, heartbeatTimeout } = r;
    this.heartbeatTimer = setInterval(() => {
      const silent = Date.now() - this.lastSeen;
      if (silent > heartbeatTimeout)
        conn.close(`no heartbeat from the JobManager for ${silent} ms (heartbeat.timeout ${heartbeatTimeout} ms)`, 'warn');
      else conn.send({ type: 'heartbeat' });
    }, heartbeatInterval);
    o.log.info(`registered at the JobManager ${this.connectedTo} as ${o.tmId} with ${o.slots} slot(s)`);
    for (const w of this.waiters.splice(0)) w();
    return { lost };
  }
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
  const ha = config.get('high-availability.type') === 'none' ? undefined : await createHaServices(config);
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

/** How long a graceful shutdown may take before the process ends anyway. */
const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * Exits with `code` once `closing` settles, or after SHUTDOWN_DEADLINE_MS whatever it does. With
 * `workerThreads` (a TaskManager) the forced exit is a SIGKILL of the process itself:
 * process.exit() waits for every worker thread to end, and a slot thread stuck in native code (a
 * file system call that never returns) never does.
 */
export function exitAfter(closing: Promise<void>, code: number, log: Logger, workerThreads: boolean): void {
  const force = setTimeout(() => {
    log.error(
      `shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s${workerThreads ? ' (a task thread does not stop)' : ''}: exiting`,
    );
    if (workerThreads) process.kill(process.pid, 'SIGKILL');
    else process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  force.unref();
  closing.then(
    () => process.exit(code),
    (e: unknown) => {
      log.error(`shutdown failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}

/** SIGTERM/SIGINT: graceful shutdown, then exit (forced after 15 s; see exitAfter). */
export function installSignalHandlers(close: (reason: string) => Promise<void>, log: Logger, workerThreads = false): void {
  const onSignal = (sig: NodeJS.Signals): void => exitAfter(close(`received ${sig}`), 0, log, workerThreads);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
