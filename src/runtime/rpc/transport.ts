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
import net from 'node:net';
import type { Schema } from './checker.js';
import { RpcConnection } from './connection.js';

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

export { RpcError } from './wire.js';
export { RpcConnection } from './connection.js';

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
