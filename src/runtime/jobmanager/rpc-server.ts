/**
 * The JobManager's RPC endpoint (Flink's ResourceManager/JobMaster gateways over Pekko, here one
 * authenticated TCP connection per TaskManager, see transport.ts).
 *
 * A TaskManager connects, registers (id, slots, data address) and gets the leader's fencing token
 * and the heartbeat settings; from then on the JobManager sends it ToTaskManager messages (each with
 * the fencing token) and it sends ToJobManager reports, heartbeats and blob fetches. Both sides send
 * a heartbeat every `heartbeat.interval`; a TaskManager is lost when its connection closes or when
 * nothing came from it for `heartbeat.timeout`. A lost TaskManager leaves the ResourceManager and
 * its jobs fail over (JobManager.taskManagerLost).
 *
 * Tools (the cluster scripts, tests) may connect as role `client` and ask for a cluster overview.
 */
import { randomBytes } from 'node:crypto';
import type { BlobServer } from '../blob/blob-server.js';
import type {
  BlobChunk,
  ClientRpc,
  ClusterOverview,
  JobManagerRpc,
  RegistrationResponse,
  TaskManagerHardware,
  TaskManagerRpc,
  ToTaskManager,
} from '../rpc/messages.js';
import { listen, RpcError, type Logger, type RpcConnection, type RpcServer } from '../rpc/transport.js';
import { jobManagerRpcPortSchema, taskManagerInspectionSchema } from '../rpc/validate.js';

/** How long the REST API waits for a TaskManager to tell its logs or thread dump. */
const INSPECT_TIMEOUT_MS = 10_000;
import type { JobManager } from './job-manager.js';
import type { TaskManagerGateway } from './resource-manager.js';

export interface JobManagerRpcOptions {
  host: string;
  port: number;
  /** security.cluster.secret, '' when none. */
  secret: string;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  log: Logger;
  /**
   * With high availability: the fencing token is the leader session id, and TaskManagers may
   * register only while this JobManager leads (a standby refuses them).
   */
  leadership?: { token(): string | undefined };
}

type Incoming = TaskManagerRpc | ClientRpc;
type Conn = RpcConnection<JobManagerRpc, Incoming>;

interface RegisteredTaskManager {
  conn: Conn;
  gateway: TaskManagerGateway;
  lastSeen: number;
}

export class JobManagerRpcServer {
  /** Without HA, a new random id per start: the only leader session this JobManager has. */
  private readonly ownToken = randomBytes(16).toString('hex');
  private server: RpcServer | undefined;
  private readonly tms = new Map<string, RegisteredTaskManager>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly listeners: ((event: 'registered' | 'lost', tmId: string) => void)[] = [];

  constructor(
    private readonly jobManager: JobManager,
    private readonly blobServer: BlobServer,
    private readonly o: JobManagerRpcOptions,
  ) {}

  /** Fencing token of this JobManager (its leader session id; empty while a standby). */
  get fencingToken(): string {
    return this.o.leadership ? (this.o.leadership.token() ?? '') : this.ownToken;
  }

  /** Disconnects every TaskManager (leadership was lost: they find the new leader). */
  disconnectAll(reason: string): void {
    for (const [id, t] of [...this.tms]) {
      this.tms.delete(id);
      t.conn.close(reason, 'info', true);
    }
  }

  get address(): { host: string; port: number } {
    if (!this.server) throw new Error('the RPC server is not started');
    return { host: this.server.host, port: this.server.port };
  }

  /** Ids of the registered TaskManagers. */
  get taskManagerIds(): string[] {
    return [...this.tms.keys()];
  }

  /** Called when a TaskManager registers or is lost. */
  onTaskManagerEvent(listener: (event: 'registered' | 'lost', tmId: string) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<{ host: string; port: number }> {
    this.server = await listen<JobManagerRpc, Incoming>(
      this.o.host,
      this.o.port,
      {
        secret: this.o.secret,
        self: { role: 'jobmanager', id: `jobmanager-${randomBytes(4).toString('hex')}` },
        peerRoles: ['taskmanager', 'client'],
        incoming: jobManagerRpcPortSchema,
        log: this.o.log,
        maxFrameBytes: 256 * 1024 * 1024,
      },
      (conn) => this.onConnection(conn),
    );
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.o.heartbeatInterval);
    this.heartbeatTimer.unref();
    return this.address;
  }

  /** Closes every TaskManager connection (telling them why) and stops listening. */
  async close(reason = 'the JobManager is shutting down'): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const [id, t] of [...this.tms]) {
      this.tms.delete(id);
      t.conn.close(reason, 'info', true);
    }
    await this.server?.close();
  }

  overview(): ClusterOverview {
    const tms = this.jobManager.resourceManager.taskManagers();
    return {
      type: 'clusterOverview',
      taskManagers: tms.map((t) => ({
        id: t.gw.id,
        slots: t.gw.numberOfSlots,
        freeSlots: t.freeSlots,
        dataAddress: t.gw.dataAddress ?? '',
      })),
      slotsTotal: this.jobManager.resourceManager.totalSlots,
      slotsAvailable: this.jobManager.resourceManager.freeSlots,
    };
  }

  private onConnection(conn: Conn): void {
    if (conn.peer.role === 'client') {
      conn.onRequest = (m) => {
        if (m.type === 'clusterOverview') return this.overview();
        throw new RpcError(`a client cannot send ${m.type}`);
      };
      conn.onMessage = (m) => conn.close(`a client cannot send ${m.type} messages`, 'warn');
      return;
    }
    let registered: RegisteredTaskManager | undefined;
    conn.onRequest = async (m): Promise<RegistrationResponse | BlobChunk> => {
      if (registered) registered.lastSeen = Date.now();
      switch (m.type) {
        case 'register': {
          if (registered) throw new RpcError('this TaskManager is already registered');
          if (m.tmId !== conn.peer.id) throw new RpcError(`registration as ${m.tmId} on the connection of ${conn.peer.id}`);
          if (this.fencingToken === '') throw new RpcError('this JobManager is a standby, not the leader');
          registered = this.register(conn, m);
          return {
            type: 'registered',
            fencingToken: this.fencingToken,
            heartbeatInterval: this.o.heartbeatInterval,
            heartbeatTimeout: this.o.heartbeatTimeout,
          };
        }
        case 'fetchBlob': {
          if (!registered) throw new RpcError('register first');
          const { size, data } = await this.blobServer.read(m.blobId, m.offset);
          return { type: 'blobChunk', blobId: m.blobId, size, offset: m.offset, data };
        }
        default:
          throw new RpcError(`${m.type} is not a request`);
      }
    };
    conn.onMessage = (m) => {
      if (!registered) {
        conn.close(`${m.type} message before registration`, 'warn');
        return;
      }
      registered.lastSeen = Date.now();
      switch (m.type) {
        case 'heartbeat':
          return;
        case 'report':
          if (m.msg.type === 'metrics' && m.msg.tmId !== registered.gateway.id) {
            conn.close(`metrics of ${m.msg.tmId} on the connection of ${registered.gateway.id}`, 'warn');
            return;
          }
          this.jobManager.receive(m.msg);
          return;
        default:
          conn.close(`${m.type} is not a one-way message`, 'warn');
      }
    };
    conn.onClose((reason) => {
      if (registered && this.tms.get(registered.gateway.id) === registered)
        this.lost(registered.gateway.id, `connection closed: ${reason}`);
    });
  }

  private register(conn: Conn, m: Extract<TaskManagerRpc, { type: 'register' }>): RegisteredTaskManager {
    const { tmId: id, slots, dataAddress } = m;
    if (this.tms.has(id)) this.lost(id, 'it registered again');
    const t = { conn, lastSeen: Date.now() } as RegisteredTaskManager;
    // The REST API shows dataAddress, lastHeartbeat and hardware of remote TaskManagers.
    const gateway: TaskManagerGateway & { readonly lastHeartbeat: number; readonly hardware?: TaskManagerHardware } = {
      id,
      numberOfSlots: slots,
      dataAddress,
      get lastHeartbeat() {
        return t.lastSeen;
      },
      ...(m.hardware ? { hardware: m.hardware } : {}),
      send: (msg: ToTaskManager) => {
        conn.send({ type: 'toTaskManager', fencingToken: this.fencingToken, msg });
      },
      inspect: (what, name) =>
        conn.request(
          { type: 'inspect', fencingToken: this.fencingToken, what, ...(name !== undefined ? { name } : {}) },
          taskManagerInspectionSchema,
          INSPECT_TIMEOUT_MS,
        ),
    };
    t.gateway = gateway;
    this.tms.set(id, t);
    this.jobManager.registerTaskManager(gateway);
    this.o.log.info(
      `TaskManager ${id} registered from ${conn.remote} with ${slots} slot(s), data port ${dataAddress} (${this.tms.size} TaskManager(s), ${this.jobManager.resourceManager.totalSlots} slots)`,
    );
    for (const l of this.listeners) l('registered', id);
    return t;
  }

  private lost(id: string, reason: string): void {
    const t = this.tms.get(id);
    if (!t) return;
    this.tms.delete(id);
    this.o.log.warn(`TaskManager ${id} is lost: ${reason}`);
    t.conn.close(`TaskManager lost: ${reason}`, 'debug', true);
    try {
      this.jobManager.taskManagerLost(id, reason);
    } catch (e) {
      this.o.log.error(`failing over the jobs of TaskManager ${id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    for (const l of this.listeners) l('lost', id);
  }

  private heartbeat(): void {
    const now = Date.now();
    for (const [id, t] of [...this.tms]) {
      if (now - t.lastSeen > this.o.heartbeatTimeout)
        this.lost(id, `no heartbeat for ${now - t.lastSeen} ms (heartbeat.timeout ${this.o.heartbeatTimeout} ms)`);
      else t.conn.send({ type: 'heartbeat', fencingToken: this.fencingToken });
    }
  }
}
