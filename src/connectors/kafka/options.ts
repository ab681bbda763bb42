/**
 * What KafkaSource and KafkaSink are configured with, as plain data where it crosses threads:
 * bootstrap servers, offsets initializers (Flink's OffsetsInitializer), delivery guarantees, and the
 * record shape handed to deserializers.
 */
import { WeirError } from '../../errors.js';
import { named } from '../base/named.js';

export { named };

export function connectorError(what: string, message: string): WeirError {
  return new WeirError('WEIR_CONNECTOR_CONFIG', `${what}: ${message}`);
}

/** `host:port[,host:port]` into brokers; throws a WeirError naming the bad entry. */
export function parseBootstrap(servers: string): { host: string; port: number }[] {
  const out = servers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const i = s.lastIndexOf(':');
      const port = Number(s.slice(i + 1));
      if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
        throw connectorError('Kafka', `bootstrap server '${s}' is not host:port`);
      return { host: s.slice(0, i), port };
    });
  if (out.length === 0) throw connectorError('Kafka', 'bootstrap servers are empty (setBootstrapServers("host:9092"))');
  return out;
}

/** Where reading a partition starts or stops (Flink's OffsetsInitializer), as plain data. */
export type OffsetsSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'committed'; reset: OffsetResetStrategy }
  | { kind: 'timestamp'; timestamp: number }
  | { kind: 'offsets'; offsets: Record<string, number>; reset: OffsetResetStrategy };

export type OffsetResetStrategy = 'EARLIEST' | 'LATEST' | 'NONE';

export const OffsetsInitializer = {
  earliest: (): OffsetsSpec => ({ kind: 'earliest' }),
  latest: (): OffsetsSpec => ({ kind: 'latest' }),
  /** The group's committed offsets; partitions without one start as `reset` says (NONE: fail). */
  committedOffsets: (reset: OffsetResetStrategy = 'NONE'): OffsetsSpec => ({ kind: 'committed', reset }),
  /** The first record whose timestamp is at or after `timestamp` (ms); latest when there is none. */
  timestamp: (timestamp: number): OffsetsSpec => {
    if (!Number.isFinite(timestamp) || timestamp < 0) throw connectorError('OffsetsInitializer.timestamp', `bad timestamp ${timestamp}`);
    return { kind: 'timestamp', timestamp };
  },
  /** Explicit offsets by `topic-partition` (e.g. `{ 'orders-0': 42 }`); others as `reset` says. */
  offsets: (offsets: Record<string, number>, reset: OffsetResetStrategy = 'EARLIEST'): OffsetsSpec => {
    for (const [tp, o] of Object.entries(offsets)) {
      if (!/^.+-\d+$/.test(tp)) throw connectorError('OffsetsInitializer.offsets', `'${tp}' is not topic-partition`);
      if (!Number.isSafeInteger(o) || o < 0)
        throw connectorError('OffsetsInitializer.offsets', `offset of ${tp} must be a non-negative integer, got ${o}`);
    }
    return { kind: 'offsets', offsets: { ...offsets }, reset };
  },
} as const;

/** A record as a KafkaRecordDeserializationSchema sees it. */
export interface KafkaConsumerRecord {
  topic: string;
  partition: number;
  offset: number;
  /** The record's timestamp (create or log-append time), ms since the epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null>;
}

export type KafkaDeserializer<T> = (record: KafkaConsumerRecord) => T;

/** Value-only deserializers (Flink's SimpleStringSchema, JsonDeserializationSchema, bytes). */
export const KafkaDeserializers = {
  string: (): KafkaDeserializer<string> =>
    named('KafkaDeserializers.string()', (r: KafkaConsumerRecord) => (r.value === null ? '' : r.value.toString('utf8'))),
  json: <T = unknown>(): KafkaDeserializer<T> =>
    named('KafkaDeserializers.json()', (r: KafkaConsumerRecord) => (r.value === null ? null : JSON.parse(r.value.toString('utf8'))) as T),
  bytes: (): KafkaDeserializer<Buffer | null> => named('KafkaDeserializers.bytes()', (r: KafkaConsumerRecord) => r.value),
  /** The whole record (key, headers, timestamp, offset). */
  record: (): KafkaDeserializer<KafkaConsumerRecord> => named('KafkaDeserializers.record()', (r: KafkaConsumerRecord) => r),
} as const;

export type DeliveryGuarantee = 'NONE' | 'AT_LEAST_ONCE' | 'EXACTLY_ONCE';

/** What a KafkaRecordSerializationSchema produces for one element. */
export interface KafkaProducerRecord {
  topic: string;
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: Record<string, Buffer | string>;
  timestamp?: number;
}

export type KafkaSerializer<T> = (element: T, timestamp: number | undefined) => KafkaProducerRecord;

export function toBuffer(v: Buffer | string | null | undefined): Buffer | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

/** Flink's property keys a builder accepts through setProperty, with their defaults. */
export const SOURCE_PROPERTIES = {
  'partition.discovery.interval.ms': 30_000,
  'commit.offsets.on.checkpoint': true,
  'client.id.prefix': 'weir-kafka-source',
  'fetch.max.wait.ms': 250,
  'max.partition.fetch.bytes': 1_048_576,
  'isolation.level': 'read_committed',
} as const;

export const SINK_PROPERTIES = {
  'transaction.timeout.ms': 60_000,
  'client.id': 'weir-kafka-sink',
  'batch.size': 1000,
  'linger.ms': 5,
} as const;
