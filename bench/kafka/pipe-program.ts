/**
 * The Kafka benchmark's Weir job (args: bootstrap servers, input topic, output topic, parallelism,
 * delivery guarantee): bytes from a bounded KafkaSource straight to a KafkaSink.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { KafkaRecordSerializationSchema, KafkaSink, KafkaSource, OffsetsInitializer, type DeliveryGuarantee } from 'weir/connectors/kafka';

const [servers = '', input = '', output = '', parallelism = '1', guarantee = 'EXACTLY_ONCE'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelism));
env.enableCheckpointing(1000);
const source = KafkaSource.builder()
  .setBootstrapServers(servers)
  .setTopics(input)
  .setStartingOffsets(OffsetsInitializer.earliest())
  .setBounded(OffsetsInitializer.latest())
  .setValueOnlyDeserializer<Buffer | null>('bytes')
  .build();
env.fromSource(source, WatermarkStrategy.noWatermarks<Buffer | null>(), 'in').sinkTo(
  KafkaSink.builder<Buffer | null>()
    .setBootstrapServers(servers)
    .setRecordSerializer(
      KafkaRecordSerializationSchema.builder<Buffer | null>()
        .setTopic(output)
        .setValueSerializationSchema((b) => b)
        .build(),
    )
    .setDeliveryGuarantee(guarantee as DeliveryGuarantee)
    .setTransactionalIdPrefix(`bench-${output}`)
    .build(),
);
await env.execute('kafka-bench');
