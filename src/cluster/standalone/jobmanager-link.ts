/**
 * A TaskManager's connection to its JobManager: registration with its slots and data address,
 * heartbeats, fencing, answers to inspection requests, and reconnection (to the leader that leader
 * retrieval reports, with HA) after the JobManager was lost.
 */
import { cpus, freemem, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { WeirError, describeError } from '../../errors.js';
import type {
  BlobChunk,
  JobManagerRpc,
  TaskManagerInspection,
  TaskManagerRpc,
  ToJobManager,
  ToTaskManager,
} from '../../runtime/rpc/messages.js';
import { connect, RpcError, type Logger, type RpcConnection } from '../../runtime/rpc/transport.js';
import {
  blobChunkSchema,
  isValid,
  jobManagerRpcSchema,
  registrationResponseSchema,
  unreadableSubmitTaskSchema,
} from '../../runtime/rpc/validate.js';
import { inspectProcess } from '../../util/process-info.js';

type JmConn = RpcConnection<TaskManagerRpc, JobManagerRpc>;

/** The JobManager at `address` cannot be reached any more: what happened, and what to do. */
export function jobManagerLost(address: string, reason: string): WeirError {
  return new WeirError(
    'WEIR_JOBMANAGER_LOST',
    `The JobManager at ${address} is gone (${reason}): check its log, restart it if it stopped; its jobs' tasks here are stopped`,
  );
}

export interface LinkOptions {
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
export class JobManagerLink {
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
