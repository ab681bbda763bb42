/**
 * What NatsSource and NatsSink are configured with, as plain data where it crosses threads: server
 * URLs, where a stream is read from (Flink's starting positions), delivery guarantees, and the
 * message shape handed to deserializers. Also the connection helper both sides share.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { WeirError } from '../../errors.js';
import { named } from '../base/named.js';

export function connectorError(what: string, message: string): WeirError {
  return new WeirError('WEIR_CONNECTOR_CONFIG', `${what}: ${message}`);
}

/** `nats://host:port[,host:port]` (scheme optional) into `host:port` entries; throws a WeirError naming the bad entry. */
export function parseServers(what: string, servers: string): string[] {
  const out = servers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const m = /^(?:(nats|tls):\/\/)?([^:/\s]+):(\d+)$/.exec(s);
      const port = m ? Number(m[3]) : NaN;
      if (!m || !Number.isInteger(port) || port <= 0 || port > 65535)
        throw connectorError(what, `server '${s}' is not nats://host:port (setServers)`);
      return `${m[2]}:${port}`;
    });
  if (out.length === 0) throw connectorError(what, 'servers are empty (setServers("nats://host:4222"))');
  return out;
}

/** A NATS subject or stream name: no whitespace, no empty tokens. */
export function checkName(what: string, setting: string, name: unknown, wildcards: boolean): string {
  const bad =
    typeof name !== 'string' ||
    name.length === 0 ||
    /\s/.test(name) ||
    (wildcards ? name.split('.').some((t) => t.length === 0) : /[.*>]/.test(name));
  if (bad) throw connectorError(what, `${setting}: bad name ${JSON.stringify(name)}`);
  return name as string;
}

/** Where a stream is read from when no checkpoint says otherwise. */
export type StartPosition =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'sequence'; sequence: number }
  /** After the durable consumer's acknowledged floor (earliest when it does not exist yet). */
  | { kind: 'durable' };

export const NatsStartPosition = {
  earliest: (): StartPosition => ({ kind: 'earliest' }),
  latest: (): StartPosition => ({ kind: 'latest' }),
  sequence: (sequence: number): StartPosition => {
    if (!Number.isSafeInteger(sequence) || sequence < 1)
      throw connectorError('NatsStartPosition.sequence', `stream sequence must be an integer >= 1, got ${sequence}`);
    return { kind: 'sequence', sequence };
  },
  durable: (): StartPosition => ({ kind: 'durable' }),
} as const;

export type DeliveryGuarantee = 'NONE' | 'AT_LEAST_ONCE' | 'EXACTLY_ONCE';

/** A stream message as a deserializer sees it. */
export interface NatsMessage {
  stream: string;
  subject: string;
  /** The stream sequence. */
  sequence: number;
  /** When the stream stored it (ms since the epoch). */
  timestamp: number;
  data: Buffer;
  headers: Record<string, string>;
}

export type NatsDeserializer<T> = (message: NatsMessage) => T;

export const NatsDeserializers = {
  string: (): NatsDeserializer<string> => named('NatsDeserializers.string()', (m: NatsMessage) => m.data.toString('utf8')),
  json: <T = unknown>(): NatsDeserializer<T> =>
    named('NatsDeserializers.json()', (m: NatsMessage) => JSON.parse(m.data.toString('utf8')) as T),
  bytes: (): NatsDeserializer<Buffer> => named('NatsDeserializers.bytes()', (m: NatsMessage) => m.data),
} as const;

export type NatsSerializer<T> = (element: T) => Uint8Array | string;

export const NatsSerializers = {
  string: (): NatsSerializer<unknown> => named('NatsSerializers.string()', (e: unknown) => String(e)),
  json: (): NatsSerializer<unknown> => named('NatsSerializers.json()', (e: unknown) => JSON.stringify(e)),
} as const;

/** Connects with endless reconnects: a server restart pauses the job's reads and writes instead of failing them. */
export function connectNats(servers: string[], name: string): Promise<NatsConnection> {
  return connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: true, timeout: 5000 });
}

export async function closeQuietly(nc: NatsConnection | undefined): Promise<void> {
  if (!nc || nc.isClosed()) return;
  await Promise.race([nc.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
}

/** A property of a builder: a non-negative integer. */
export function intProperty(what: string, key: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw connectorError(what, `property ${key} must be a non-negative integer, got '${raw}'`);
  return n;
}
