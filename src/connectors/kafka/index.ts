/**
 * Apache Kafka connectors (Flink's flink-connector-kafka): KafkaSource and KafkaSink, on the
 * pure-JavaScript @platformatic/kafka client.
 */
export {
  KafkaSource,
  KafkaSourceBuilder,
  splitOwner,
  type KafkaSourceConfig,
  type KafkaEnumState,
  type KafkaPartitionSplit,
} from './source.js';
export { KafkaSink, KafkaSinkBuilder, type KafkaSinkConfig, type KafkaWriterState } from './sink.js';
export { KafkaRecordSerializationSchema, KafkaRecordSerializationSchemaBuilder } from './serialization.js';
export {
  OffsetsInitializer,
  KafkaDeserializers,
  type OffsetsSpec,
  type OffsetResetStrategy,
  type KafkaConsumerRecord,
  type KafkaDeserializer,
  type KafkaProducerRecord,
  type KafkaSerializer,
  type DeliveryGuarantee,
} from './options.js';
export type { KafkaCommittable } from './transactions.js';
