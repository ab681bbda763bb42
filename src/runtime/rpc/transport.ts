/**
 * The TCP transport of the control plane (JobManager ↔ TaskManager, tools → JobManager) and of the
 * data plane (TaskManager ↔ TaskManager).
 *
 * - Frames: a 4-byte big-endian length, then MessagePack (msgpackr, no shared structures: every
 *   frame decodes on its own).
 * - Handshake, before anything else: the server sends `hello` (protocol version, role, id, a random
 *   nonce); the client answers `auth` with its own nonce and HMAC-SHA256(cluster secret, both nonces
 *   and both identities); the server checks it and answers `welcome` with its own HMAC, which the
 *   client checks in turn. Both sides prove they know `security.cluster.secret` without sending it,
 *   and a replayed handshake fails (fresh nonces). A wrong version, role or MAC ends the connection.
 *   Until the handshake is done frames are limited to a few KiB and must come within a deadline.
 * - Then: one-way messages, and requests answered by responses (correlated by id). Every incoming
 *   message is checked by the schema given for it (validate.ts); a malformed frame or message closes
 *   that connection with a logged reason (unless `onInvalidMessage` deals with a one-way message).
 *   Nothing a peer sends throws into the process.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { Packr, Unpackr } from 'msgpackr';
import { PROTOCOL_VERSION } from './protocol.js';
import { validate, type Schema } from './checker.js';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Who is at each end of a connection. */
export type PeerRole = 'jobmanager' | 'taskmanager' | 'client' | 'taskmanager-data';

export interface Identity {
  role: PeerRole;
  id: string;
}

export interface TransportOptions<In> {
  /** security.cluster.secret; '' when none is configured (loopback only). */
  secret: string;
  /** This end. Read when a connection starts, so the id may be set after the server listens. */
  self: Identity;
  /** Roles accepted at the other end. */
  peerRoles: readonly PeerRole[];
  /** Schema of the one-way messages and requests this end receives. */
  incoming: Schema<In>;
  log: Logger;
  /** Largest frame accepted after the handshake (default 64 MiB). */
  maxFrameBytes?: number;
  /** Time allowed for the handshake (default 10 s). */
  handshakeTimeoutMs?: number;
}

const HANDSHAKE_MAX_FRAME = 4096;
const DEFAULT_MAX_FRAME = 64 * 1024 * 1024;
const ROLES: readonly PeerRole[] = ['jobmanager', 'taskmanager', 'client', 'taskmanager-data'];

/** An error a request handler throws to answer the request with an error (the connection stays). */
export class RpcError extends Error {}

type Wire =
  | { t: 'hello'; v: number; role: PeerRole; id: string; nonce: string }
  | { t: 'auth'; v: number; role: PeerRole; id: string; nonce: string; mac: string }
  | { t: 'welcome'; mac: string }
  | { t: 'reject'; reason: string }
  | { t: 'm'; m: unknown }
  | { t: 'q'; id: number; m: unknown }
  | { t: 'r'; id: number; m: unknown }
  | { t: 'e'; id: number; error: string }
  | { t: 'bye'; reason: string };

function mac(
  secret: string,
  direction: 'client' | 'server',
  serverNonce: string,
  clientNonce: string,
  client: Identity,
  server: Identity,
): string {
  return createHmac('sha256', secret)
    .update(
      [`weir-rpc-v${PROTOCOL_VERSION}`, direction, serverNonce, clientNonce, client.role, client.id, server.role, server.id].join('\n'),
    )
    .digest('hex');
}

function sameMac(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

const validId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200 && /^[\w.:@+-]+$/.test(v);
const validNonce = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/** Splits a byte stream into length-prefixed frames. */
class FrameReader {
  private chunks: Buffer[] = [];
  private total = 0;
  private need = -1;
  max = HANDSHAKE_MAX_FRAME;

  /** The complete frames in `chunk` and before it; throws when a frame is too large. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.total += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.total < 4) break;
        const n = this.peek4().readUInt32BE(0);
        if (n > this.max) throw new Error(`frame of ${n} bytes is larger than the limit of ${this.max}`);
        this.need = n;
      }
      if (this.total < 4 + this.need) break;
      out.push(this.take(4 + this.need).subarray(4));
      this.need = -1;
    }
    return out;
  }

  private peek4(): Buffer {
    const first = this.chunks[0]!;
    return first.length >= 4 ? first : Buffer.concat(this.chunks).subarray(0, 4);
  }

  private take(n: number): Buffer {
    this.total -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const all = Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    return all.subarray(0, n);
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  schema: Schema<unknown>;
  timer: NodeJS.Timeout;
}

/**
 * One authenticated connection. `Out` is what this end sends (messages and requests), `In` what it
 * receives. Set `onMessage`, `onRequest` and `onClose` right after it is established.
 */
export class RpcConnection<Out, In> {
  /** The other end, once authenticated. */
  peer: Identity = { role: 'client', id: '?' };
  onMessage: (msg: In) => void = () => undefined;
  /** Answers a request: the value is sent back, a thrown error (or rejection) is sent as an error. */
  onRequest: (msg: In) => unknown = () => {
    throw new RpcError('this endpoint answers no requests');
  };
  /**
   * A one-way message the incoming schema refuses: true when it was dealt with (the connection
   * stays open), false to close the connection. Unset: the connection closes.
   */
  onInvalidMessage: ((msg: unknown, why: string) => boolean) | undefined;
  private readonly closeHandlers: ((reason: string) => void)[] = [];
  private state: 'handshake' | 'open' | 'closed' = 'handshake';
  private readonly reader = new FrameReader();
  private readonly packr = new Packr({ useRecords: false });
  private readonly unpackr = new Unpackr({ useRecords: false });
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private corked = false;
  private readonly nonce = randomBytes(32).toString('hex');
  private serverNonce = '';
  private handshakeTimer: NodeJS.Timeout | undefined;
  private settle: ((e?: Error) => void) | undefined;
  readonly remote: string;

  constructor(
    private readonly socket: net.Socket,
    private readonly o: TransportOptions<In>,
    private readonly side: 'client' | 'server',
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.close(`socket error: ${e.message}`, 'debug'));
    socket.on('close', () => this.close('connection closed by peer', 'debug'));
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  get description(): string {
    return `${this.peer.role} ${this.peer.id} (${this.remote})`;
  }

  /** Resolves when the handshake succeeds, rejects with the reason when it fails. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.settle = (e) => {
        this.settle = undefined;
        if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
        if (e) reject(e);
        else resolve();
      };
      this.handshakeTimer = setTimeout(() => this.close('handshake timed out', 'warn'), this.o.handshakeTimeoutMs ?? 10_000);
      if (this.side === 'server') {
        this.write({ t: 'hello', v: PROTOCOL_VERSION, role: this.o.self.role, id: this.o.self.id, nonce: this.nonce });
      }
    });
  }

  onClose(handler: (reason: string) => void): void {
    if (this.state === 'closed') queueMicrotask(() => handler('connection closed'));
    else this.closeHandlers.push(handler);
  }

  /** Sends a one-way message; false when the connection is closed. */
  send(msg: Out): boolean {
    if (this.state !== 'open') return false;
    this.write({ t: 'm', m: msg });
    return true;
  }

  /** Sends a request; resolves with the response once `response` accepts it. */
  request<R>(msg: Out, response: Schema<R>, timeoutMs = 30_000): Promise<R> {
    if (this.state !== 'open') return Promise.reject(new Error(`connection to ${this.description} is closed`));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`request ${(msg as { type?: string }).type ?? ''} to ${this.description} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, schema: response, timer });
      this.write({ t: 'q', id, m: msg });
    });
  }

  /** Ends the connection. `level` is how the reason is logged; a graceful close tells the peer why. */
  close(reason: string, level: keyof Logger = 'info', graceful = false): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    if (graceful && wasOpen) this.write({ t: 'bye', reason });
    this.state = 'closed';
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    const peer = wasOpen ? this.description : `${this.remote} (not authenticated)`;
    this.o.log[level](`closing connection with ${peer}: ${reason}`);
    // end() still sends what was written (a `reject` or `bye` tells the peer why); a peer that
    // does not close its side in time is cut off.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
    this.settle?.(new Error(reason));
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`connection to ${peer} closed: ${reason}`));
    }
    this.pending.clear();
    for (const h of this.closeHandlers.splice(0)) {
      try {
        h(reason);
      } catch (e) {
        this.o.log.error(`close handler failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
  }

  private write(w: Wire): void {
    let packed: Buffer;
    try {
      packed = this.packr.pack(w);
    } catch (e) {
      this.close(`cannot encode a ${w.t} frame: ${e instanceof Error ? e.message : String(e)}`, 'error');
      return;
    }
    const frame = Buffer.allocUnsafe(4 + packed.length);
    frame.writeUInt32BE(packed.length, 0);
    packed.copy(frame, 4);
    // Frames written in the same tick leave in one system call.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.close(`malformed frame: ${(e as Error).message}`, 'warn');
      return;
    }
    for (const f of frames) {
      if (this.closed) return;
      let w: unknown;
      try {
        w = this.unpackr.unpack(f);
      } catch (e) {
        this.close(`malformed frame: not MessagePack (${(e as Error).message})`, 'warn');
        return;
      }
      if (!isObject(w) || typeof w.t !== 'string') {
        this.close('malformed frame: not an envelope', 'warn');
        return;
      }
      try {
        if (this.state === 'handshake') this.onHandshake(w);
        else this.onFrame(w);
      } catch (e) {
        this.close(`internal error handling a frame: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 'error');
      }
    }
  }

  private onHandshake(w: Record<string, unknown>): void {
    const self = this.o.self;
    if (w.t === 'reject') {
      this.close(`rejected by the peer: ${typeof w.reason === 'string' ? w.reason.slice(0, 500) : 'no reason given'}`, 'warn');
      return;
    }
    if (this.side === 'client' && w.t === 'hello' && !this.serverNonce) {
      if (w.v !== PROTOCOL_VERSION) {
        this.close(`peer speaks protocol version ${String(w.v)}, this process ${PROTOCOL_VERSION}`, 'warn');
        return;
      }
      if (!validNonce(w.nonce) || !validId(w.id) || !ROLES.includes(w.role as PeerRole)) {
        this.close('malformed hello', 'warn');
        return;
      }
      if (!this.o.peerRoles.includes(w.role as PeerRole)) {
        this.close(`expected a ${this.o.peerRoles.join(' or ')} at ${this.remote}, found a ${String(w.role)}`, 'warn');
        return;
      }
      this.serverNonce = w.nonce;
      this.peer = { role: w.role as PeerRole, id: w.id };
      this.write({
        t: 'auth',
        v: PROTOCOL_VERSION,
        role: self.role,
        id: self.id,
        nonce: this.nonce,
        mac: mac(this.o.secret, 'client', this.serverNonce, this.nonce, self, this.peer),
      });
      return;
    }
    if (this.side === 'client' && w.t === 'welcome' && this.serverNonce) {
      if (!sameMac(w.mac, mac(this.o.secret, 'server', this.serverNonce, this.nonce, self, this.peer))) {
        this.close(`the peer at ${this.remote} does not know the cluster secret (security.cluster.secret)`, 'warn');
        return;
      }
      this.open();
      return;
    }
    if (this.side === 'server' && w.t === 'auth') {
      if (w.v !== PROTOCOL_VERSION) {
        this.reject(`protocol version ${String(w.v)} is not supported (this process speaks ${PROTOCOL_VERSION})`);
        return;
      }
      if (!validNonce(w.nonce) || !validId(w.id) || !ROLES.includes(w.role as PeerRole)) {
        this.reject('malformed auth');
        return;
      }
      const client: Identity = { role: w.role as PeerRole, id: w.id };
      if (!sameMac(w.mac, mac(this.o.secret, 'client', this.nonce, w.nonce, client, self))) {
        this.reject('authentication failed: wrong cluster secret (security.cluster.secret)');
        return;
      }
      if (!this.o.peerRoles.includes(client.role)) {
        this.reject(`a ${client.role} cannot connect here (expected ${this.o.peerRoles.join(' or ')})`);
        return;
      }
      this.peer = client;
      this.write({ t: 'welcome', mac: mac(this.o.secret, 'server', this.nonce, w.nonce, client, self) });
      this.open();
      return;
    }
    this.close(`unexpected ${String(w.t).slice(0, 20)} frame during the handshake`, 'warn');
  }

  private reject(reason: string): void {
    this.write({ t: 'reject', reason });
    this.close(reason, 'warn');
  }

  private open(): void {
    this.state = 'open';
    this.reader.max = this.o.maxFrameBytes ?? DEFAULT_MAX_FRAME;
    this.settle?.();
  }

  private onFrame(w: Record<string, unknown>): void {
    switch (w.t) {
      case 'm': {
        const why = validate(this.o.incoming, w.m);
        if (why) {
          if (this.onInvalidMessage?.(w.m, why)) return;
          return this.close(`invalid message: ${why}`, 'warn');
        }
        this.onMessage(w.m as In);
        return;
      }
      case 'q': {
        const id = w.id;
        if (typeof id !== 'number' || !Number.isSafeInteger(id)) return this.close('invalid request id', 'warn');
        const why = validate(this.o.incoming, w.m);
        if (why) return this.close(`invalid request: ${why}`, 'warn');
        Promise.resolve()
          .then(() => this.onRequest(w.m as In))
          .then(
            (m) => {
              if (this.state === 'open') this.write({ t: 'r', id, m });
            },
            (e: unknown) => {
              if (this.state === 'open') this.write({ t: 'e', id, error: e instanceof Error ? e.message : String(e) });
            },
          );
        return;
      }
      case 'r':
      case 'e': {
        const p = typeof w.id === 'number' ? this.pending.get(w.id) : undefined;
        if (!p) return this.close('response to no pending request', 'warn');
        this.pending.delete(w.id as number);
        clearTimeout(p.timer);
        if (w.t === 'e') {
          p.reject(new RpcError(typeof w.error === 'string' ? w.error.slice(0, 2000) : 'request failed'));
          return;
        }
        const why = validate(p.schema, w.m, 'response');
        if (why) {
          p.reject(new Error(`invalid response: ${why}`));
          return this.close(`invalid response: ${why}`, 'warn');
        }
        p.resolve(w.m);
        return;
      }
      case 'bye':
        return this.close(`peer closed the connection: ${typeof w.reason === 'string' ? w.reason.slice(0, 500) : ''}`, 'debug');
      default:
        return this.close(`unexpected ${String(w.t).slice(0, 20)} frame`, 'warn');
    }
  }
}

export interface RpcServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens for connections; `onConnection` gets each one once it is authenticated. Connections that
 * fail the handshake are closed and logged, and never reach `onConnection`.
 */
export function listen<Out, In>(
  host: string,
  port: number,
  o: TransportOptions<In>,
  onConnection: (conn: RpcConnection<Out, In>) => void,
): Promise<RpcServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const conn = new RpcConnection<Out, In>(socket, o, 'server');
    conn.start().then(
      () => {
        try {
          onConnection(conn);
        } catch (e) {
          conn.close(`internal error: ${e instanceof Error ? e.message : String(e)}`, 'error');
        }
      },
      () => undefined, // already logged by close()
    );
  });
  return new Promise<RpcServer>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (e) => o.log.error(`server ${host}:${port}: ${e.message}`));
      const addr = server.address() as net.AddressInfo;
      resolve({
        host,
        port: addr.port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

/** Connects and authenticates; rejects when the peer cannot be reached or the handshake fails. */
export function connect<Out, In>(host: string, port: number, o: TransportOptions<In>, timeoutMs = 10_000): Promise<RpcConnection<Out, In>> {
  return new Promise<RpcConnection<Out, In>>((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`cannot connect to ${host}:${port}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (e: Error): void => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${host}:${port}: ${e.message}`));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      const conn = new RpcConnection<Out, In>(socket, { handshakeTimeoutMs: timeoutMs, ...o }, 'client');
      conn.start().then(
        () => resolve(conn),
        (e: Error) => reject(new Error(`cannot connect to ${host}:${port}: ${e.message}`)),
      );
    });
  });
}

/** Splits 'host:port' (IPv6 hosts in brackets). */
export function parseHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`'${address}' is not host:port`);
  return { host: m[1]!, port };
}

/** Whether `host` is a loopback address (binding elsewhere requires a cluster secret). */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}
