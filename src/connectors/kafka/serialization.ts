/**
 * Flink's KafkaRecordSerializationSchema builder: a topic (fixed, or chosen per element), a value
 * serializer, and optionally a key, a partition and headers per element.
 */
import { connectorError, type KafkaProducerRecord, type KafkaSerializer } from './options.js';

type ValueSerializer<T> = 'string' | 'json' | ((element: T) => Buffer | string | null);

function valueOf<T>(kind: ValueSerializer<T>): (element: T) => Buffer | string | null {
  if (typeof kind === 'function') return kind;
  if (kind === 'string') return (e) => (e === null || e === undefined ? null : String(e));
  if (kind === 'json') return (e) => JSON.stringify(e);
  throw connectorError('KafkaRecordSerializationSchema', `unknown value serializer '${String(kind)}' (string, json or a function)`);
}

export class KafkaRecordSerializationSchemaBuilder<T> {
  private topic: string | ((element: T) => string) | undefined;
  private value: ((element: T) => Buffer | string | null) | undefined;
  private key: ((element: T) => Buffer | string | null) | undefined;
  private partition: ((element: T) => number | undefined) | undefined;
  private headers: ((element: T) => Record<string, Buffer | string>) | undefined;

  /** A fixed topic, or a topic selector called per element. */
  setTopic(topic: string | ((element: T) => string)): this {
    if (typeof topic === 'string' && topic.length === 0) throw connectorError('KafkaRecordSerializationSchema', 'the topic is empty');
    this.topic = topic;
    return this;
  }
  setTopicSelector(selector: (element: T) => string): this {
    return this.setTopic(selector);
  }
  setValueSerializationSchema(kind: ValueSerializer<T>): this {
    this.value = valueOf(kind);
    return this;
  }
  setKeySerializationSchema(kind: ValueSerializer<T>): this {
    this.key = valueOf(kind);
    return this;
  }
  setPartitioner(partition: (element: T) => number | undefined): this {
    this.partition = partition;
    return this;
  }
  setHeaderProvider(headers: (element: T) => Record<string, Buffer | string>): this {
    this.headers = headers;
    return this;
  }

  build(): KafkaSerializer<T> {
    const topic = this.topic;
    const value = this.value;
    if (topic === undefined)
      throw connectorError('KafkaRecordSerializationSchema', 'no topic (setTopic("name") or setTopic(element => name))');
    if (!value) throw connectorError('KafkaRecordSerializationSchema', 'no value serializer (setValueSerializationSchema("json"))');
    const { key, partition, headers } = this;
    return (element, timestamp) => {
      const r: KafkaProducerRecord = { topic: typeof topic === 'string' ? topic : topic(element), value: value(element) };
      if (key) r.key = key(element);
      const p = partition?.(element);
      if (p !== undefined) r.partition = p;
      if (headers) r.headers = headers(element);
      if (timestamp !== undefined) r.timestamp = timestamp;
      return r;
    };
  }
}

export const KafkaRecordSerializationSchema = {
  builder: <T>(): KafkaRecordSerializationSchemaBuilder<T> => new KafkaRecordSerializationSchemaBuilder<T>(),
} as const;
