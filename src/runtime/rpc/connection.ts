/** One authenticated RPC connection: the handshake, then messages and correlated requests. */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { Packr, Unpackr } from 'msgpackr';
import { PROTOCOL_VERSION } from './protocol.js';
import { validate, type Schema } from './checker.js';
import type { Identity, Logger, PeerRole, TransportOptions } from './transport.js';
import { FrameReader, RpcError, isObject, mac, sameMac, validId, validNonce, type Wire } from './wire.js';

const DEFAULT_MAX_FRAME = 64 * 1024 * 1024;
const ROLES: readonly PeerRole[] = ['jobmanager', 'taskmanager', 'client', 'taskmanager-data'];

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
  /** The handshake completed in the read being handled (see heldBack). */
  private justOpened = false;
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
    this.onFrames(frames);
  }

  private onFrames(frames: Buffer[]): void {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (this.closed) return;
      if (this.state === 'open' && this.heldBack(frames, i)) return;
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

  /**
   * Frames that came in the same read as the handshake's last frame wait for the next turn of the
   * event loop (the socket paused meanwhile, so their order is kept): the owner of the connection
   * sets `onMessage` when start() (or connect()) resolves, a few promise steps after the handshake,
   * and frames handled before that would go to the default handler and be lost. The accepting side
   * may send right after its welcome (a TaskManager flushes data queued for a peer it had no
   * connection with yet), and both can arrive together.
   */
  private heldBack(frames: Buffer[], i: number): boolean {
    if (!this.justOpened) return false;
    this.justOpened = false;
    const rest = frames.slice(i);
    this.socket.pause();
    setImmediate(() => {
      this.onFrames(rest);
      if (!this.closed) this.socket.resume();
    });
    return true;
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
    this.justOpened = true;
    // Cleared on the next turn of the event loop: only frames of the read that opened are held back.
    setImmediate(() => (this.justOpened = false));
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
