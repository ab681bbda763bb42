/**
 * The peer broker of a TaskManager process in a distributed cluster (Flink's NettyConnectionManager
 * behind the worker's ConnectionManager). Workers of this TaskManager are connected as by
 * PeerBroker; a worker on another TaskManager (the tmId in its address `${tmId}/${job}/${attempt}/${slot}`
 * says where it lives) is reached through a MessagePort whose other end is here, in the main
 * thread, which relays the frames over the one TCP connection to that TaskManager; there they are
 * posted to the target worker through the same kind of port. Frames keep their order (one port,
 * one TCP stream, one port), and credits travel back the same way, so credit-based flow control is
 * unchanged across processes.
 *
 * Connections between two TaskManagers are authenticated with the cluster secret (transport.ts).
 * There is one per pair: the TaskManager with the smaller id dials, as soon as a deployment names
 * the other one; the other waits for it, queueing what its workers send meanwhile. When a
 * connection breaks, the workers with links over it fail their tasks (`onLinkLost`), and the
 * JobMaster fails over.
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Frame } from '../network/events.js';
import type { DataPlaneMessage, ToSlotWorker } from '../rpc/messages.js';
import {
  connect,
  listen,
  parseHostPort,
  type Logger,
  type RpcConnection,
  type RpcServer,
  type TransportOptions,
} from '../rpc/transport.js';
import { dataPlaneSchema } from '../rpc/validate.js';
import { PeerBroker } from './peer-broker.js';

export interface NetworkBrokerOptions {
  /** security.cluster.secret, '' when none. */
  secret: string;
  log: Logger;
  /** A local worker's link to a worker on another TaskManager broke. */
  onLinkLost(localAddress: string, reason: string): void;
  /** How long to wait for a connection to a peer TaskManager (default 30 s). */
  connectTimeoutMs?: number;
}

type DataConn = RpcConnection<DataPlaneMessage, DataPlaneMessage>;

interface Peer {
  tmId: string;
  /** The connection frames to this peer are sent on (exactly one, so they keep their order). */
  conn: DataConn | undefined;
  queue: DataPlaneMessage[];
  timer: NodeJS.Timeout | undefined;
}

/** The TaskManager id in a worker address. */
export function taskManagerOf(address: string): string {
  const i = address.indexOf('/');
  return i < 0 ? address : address.slice(0, i);
}

const MAX_WAITING_FRAMES = 100_000;
const MAX_RELEASED = 10_000;

export class NetworkBroker extends PeerBroker {
  /** This TaskManager's id, set by listen(). */
  id = '';
  private server: RpcServer | undefined;
  private readonly localWorkers = new Map<string, Worker>();
  /** `${local}|${remote}` → this thread's end of the port given to worker `local` for peer `remote`. */
  private readonly links = new Map<string, MessagePort>();
  private readonly peers = new Map<string, Peer>();
  private readonly addresses = new Map<string, string>();
  /** Frames for local workers that have not started yet. */
  private readonly inbound = new Map<string, { from: string; frames: Frame[] }[]>();
  private inboundCount = 0;
  /** Local workers that were released: frames still arriving for them are dropped. */
  private readonly released = new Set<string>();
  /** Released `${jobId}/${attempt}` (and `${jobId}`) of this TaskManager. */
  private readonly releasedAttempts = new Set<string>();
  private closed = false;
  private readonly self = { role: 'taskmanager-data' as const, id: '' };

  constructor(private readonly o: NetworkBrokerOptions) {
    super();
  }

  private transport(): TransportOptions<DataPlaneMessage> {
    return { secret: this.o.secret, self: this.self, peerRoles: ['taskmanager-data'], incoming: dataPlaneSchema, log: this.o.log };
  }

  /** Listens for peer TaskManagers; `makeId` names this TaskManager from the port it got. */
  async listen(host: string, port: number, makeId: (port: number) => string): Promise<{ id: string; port: number }> {
    this.server = await listen<DataPlaneMessage, DataPlaneMessage>(host, port, this.transport(), (conn) => this.accepted(conn));
    this.id = makeId(this.server.port);
    this.self.id = this.id;
    return { id: this.id, port: this.server.port };
  }

  /** Data addresses of TaskManagers, from a deployment; connects to those this TaskManager must dial. */
  addPeers(addresses: Record<string, string> | undefined): void {
    for (const [tm, addr] of Object.entries(addresses ?? {})) {
      if (tm === this.id) continue;
      this.addresses.set(tm, addr);
      if (this.id < tm) this.peer(tm);
    }
  }

  /** Ids of the TaskManagers this one has a data connection with. */
  get connectedPeers(): string[] {
    return [...this.peers.values()].filter((p) => p.conn).map((p) => p.tmId);
  }

  override register(address: string, worker: Worker): void {
    this.localWorkers.set(address, worker);
    this.released.delete(address);
    super.register(address, worker);
    const w = this.inbound.get(address);
    if (w) {
      this.inbound.delete(address);
      for (const { from, frames } of w) {
        this.inboundCount -= frames.length;
        const port = this.link(address, from);
        if (port) this.post(port, frames);
      }
    }
  }

  override unregister(address: string): void {
    super.unregister(address);
    this.localWorkers.delete(address);
    const w = this.inbound.get(address);
    if (w) for (const x of w) this.inboundCount -= x.frames.length;
    this.inbound.delete(address);
    this.released.add(address);
    if (this.released.size > MAX_RELEASED) this.released.delete(this.released.values().next().value!);
    for (const [key, port] of [...this.links]) {
      if (key.startsWith(`${address}|`)) {
        port.close();
        this.links.delete(key);
      }
    }
  }

  /** A job (attempt) was released: frames for its workers that never started here are dropped, now and later. */
  forgetWaiting(jobId: string, attempt?: number): void {
    const key = attempt === undefined ? jobId : `${jobId}/${attempt}`;
    this.releasedAttempts.add(key);
    if (this.releasedAttempts.size > MAX_RELEASED) this.releasedAttempts.delete(this.releasedAttempts.values().next().value!);
    const prefix = `${this.id}/${key}/`;
    for (const [address, w] of [...this.inbound]) {
      if (!address.startsWith(prefix)) continue;
      for (const x of w) this.inboundCount -= x.frames.length;
      this.inbound.delete(address);
    }
  }

  override connect(from: string, to: string): void {
    if (taskManagerOf(to) === this.id) super.connect(from, to);
    else this.link(from, to);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.peers.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.conn?.close('the TaskManager is shutting down', 'debug', true);
    }
    this.peers.clear();
    for (const port of this.links.values()) port.close();
    this.links.clear();
    await this.server?.close();
  }

  // ---------------------------------------------------------------- links (worker ↔ this thread)

  /** The link of local worker `local` to remote worker `remote`, made on first use. */
  private link(local: string, remote: string): MessagePort | undefined {
    const key = `${local}|${remote}`;
    const existing = this.links.get(key);
    if (existing) return existing;
    const worker = this.localWorkers.get(local);
    if (!worker || this.closed) return undefined;
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ type: 'connect', peer: remote, port: port1 } satisfies ToSlotWorker, [port1]);
    const peerTm = taskManagerOf(remote);
    port2.on('message', (m: Frame | Frame[]) =>
      this.send(peerTm, { type: 'frames', from: local, to: remote, frames: Array.isArray(m) ? m : [m] }),
    );
    this.links.set(key, port2);
    this.peer(peerTm);
    return port2;
  }

  /** Posts frames to a worker; data buffers get memory of their own, which is transferred. */
  private post(port: MessagePort, frames: Frame[]): void {
    const transfer: ArrayBuffer[] = [];
    const out = frames.map((f): Frame => {
      if (f.k !== 'data') return f;
      const buf = new Uint8Array(f.buf.byteLength);
      buf.set(f.buf);
      transfer.push(buf.buffer);
      return { k: 'data', ch: f.ch, buf };
    });
    port.postMessage(out.length === 1 ? out[0] : out, transfer);
  }

  // ---------------------------------------------------------------- TaskManager ↔ TaskManager

  private send(peerTm: string, msg: DataPlaneMessage): void {
    const p = this.peer(peerTm);
    if (p.conn) p.conn.send(msg);
    else p.queue.push(msg);
  }

  /** Frames from a peer TaskManager for one of this TaskManager's workers. */
  private deliver(msg: DataPlaneMessage, conn: DataConn): void {
    if (taskManagerOf(msg.from) !== conn.peer.id || taskManagerOf(msg.to) !== this.id) {
      conn.close(`frames from ${msg.from.slice(0, 200)} to ${msg.to.slice(0, 200)} do not belong on this connection`, 'warn');
      return;
    }
    const [, job, attempt] = msg.to.split('/');
    if (this.released.has(msg.to) || this.releasedAttempts.has(`${job}/${attempt}`) || this.releasedAttempts.has(job!)) return;
    const port = this.link(msg.to, msg.from);
    if (port) {
      this.post(port, msg.frames);
      return;
    }
    // The target worker has not started yet (its deployment is still on the way). Data waits for
    // credits the worker has not given, so only a few events can pile up; past a bound they are dropped.
    if (this.inboundCount + msg.frames.length > MAX_WAITING_FRAMES) {
      this.o.log.warn(`dropped ${msg.frames.length} frame(s) for ${msg.to}, which has not started (${this.inboundCount} waiting)`);
      return;
    }
    let w = this.inbound.get(msg.to);
    if (!w) this.inbound.set(msg.to, (w = []));
    w.push({ from: msg.from, frames: msg.frames });
    this.inboundCount += msg.frames.length;
  }

  /** The peer entry of TaskManager `tmId`, created (and dialled, or awaited) on first use. */
  private peer(tmId: string): Peer {
    let p = this.peers.get(tmId);
    if (p) return p;
    p = { tmId, conn: undefined, queue: [], timer: undefined };
    this.peers.set(tmId, p);
    const peer = p;
    const timeout = this.o.connectTimeoutMs ?? 30_000;
    p.timer = setTimeout(() => {
      if (!peer.conn) this.peerLost(peer, `no data connection with it within ${timeout} ms`);
    }, timeout);
    p.timer.unref();
    if (this.id < tmId) this.dial(p, 0);
    return p;
  }

  private dial(p: Peer, attempt: number): void {
    const addr = this.addresses.get(p.tmId);
    if (!addr) return; // the timeout fails it, unless the peer dials in
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseHostPort(addr));
    } catch (e) {
      this.peerLost(p, (e as Error).message);
      return;
    }
    connect<DataPlaneMessage, DataPlaneMessage>(host, port, this.transport()).then(
      (conn) => {
        if (this.closed || this.peers.get(p.tmId) !== p) {
          conn.close('no longer needed', 'debug', true);
          return;
        }
        if (conn.peer.id !== p.tmId) {
          conn.close(`expected TaskManager ${p.tmId} at ${addr}`, 'warn');
          this.peerLost(p, `found TaskManager ${conn.peer.id} at its address ${addr}`);
          return;
        }
        this.attach(conn);
      },
      (e: Error) => {
        if (this.closed || this.peers.get(p.tmId) !== p || p.conn) return;
        if (attempt < 3) setTimeout(() => this.dial(p, attempt + 1), 200 * (attempt + 1)).unref();
        else this.peerLost(p, e.message);
      },
    );
  }

  private accepted(conn: DataConn): void {
    if (this.closed) {
      conn.close('the TaskManager is shutting down', 'debug', true);
      return;
    }
    this.attach(conn);
  }

  /** A connection to a peer (dialled or accepted): frames are received on it; sent on it if it is the peer's first. */
  private attach(conn: DataConn): void {
    const tmId = conn.peer.id;
    conn.onMessage = (m) => this.deliver(m, conn);
    const p = this.peer(tmId);
    if (!p.conn) {
      p.conn = conn;
      if (p.timer) clearTimeout(p.timer);
      p.timer = undefined;
      this.o.log.info(`data connection with TaskManager ${tmId} (${conn.remote}) established`);
      for (const m of p.queue.splice(0)) conn.send(m);
    }
    conn.onClose((reason) => {
      if (p.conn === conn && this.peers.get(tmId) === p) this.peerLost(p, reason);
    });
  }

  private peerLost(p: Peer, reason: string): void {
    if (this.peers.get(p.tmId) !== p) return;
    this.peers.delete(p.tmId);
    if (p.timer) clearTimeout(p.timer);
    p.conn?.close(reason, 'debug');
    const failed = new Set<string>();
    for (const [key, port] of [...this.links]) {
      const [local, remote] = key.split('|') as [string, string];
      if (taskManagerOf(remote) !== p.tmId) continue;
      port.close();
      this.links.delete(key);
      failed.add(local);
    }
    if (this.closed) return;
    this.o.log.warn(
      `data connection with TaskManager ${p.tmId} lost: ${reason}${failed.size ? `; failing the tasks of ${failed.size} worker(s)` : ''}`,
    );
    for (const local of failed) this.o.onLinkLost(local, `the data connection with TaskManager ${p.tmId} broke: ${reason}`);
  }
}
