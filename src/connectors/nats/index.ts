/**
 * NATS JetStream connectors: NatsSource (a stream through ordered or durable consumers, stream
 * sequences in checkpoints) and NatsSink (exactly once through Nats-Msg-Id deduplication), on the
 * @nats-io/transport-node and @nats-io/jetstream clients.
 */
export { NatsSource, NatsSourceBuilder, type NatsSourceConfig, type NatsEnumState, type NatsStreamSplit } from './source.js';
export { NatsSink, NatsSinkBuilder, type NatsSinkConfig, type NatsWriterState } from './sink.js';
export {
  NatsStartPosition,
  NatsDeserializers,
  NatsSerializers,
  type StartPosition,
  type NatsMessage,
  type NatsDeserializer,
  type NatsSerializer,
  type DeliveryGuarantee,
} from './options.js';
