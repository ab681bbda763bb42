/**
 * Kafka → keyed running sums → Kafka, for the exactly-once tests (args: bootstrap servers, input
 * topic, output topic, transactional id prefix, checkpoint interval ms, bounded|unbounded,
 * delivery guarantee, parallelism (2)). Input values are JSON numbers keyed by `i % keys` in the record; each
 * output record is a key's running { k, v, n } after one more input record.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { KafkaRecordSerializationSchema, KafkaSink, KafkaSource, OffsetsInitializer, type DeliveryGuarantee } from 'weir/connectors/kafka';

const [
  bootstrap = '127.0.0.1:9092',
  input = 'in',
  output = 'out',
  prefix = 'sums',
  intervalArg = '300',
  mode = 'bounded',
  guarantee = 'EXACTLY_ONCE',
  parallelism = '2',
] = process.argv.slice(2);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelism));
env.enableCheckpointing(Number(intervalArg));

const builder = KafkaSource.builder()
  .setBootstrapServers(bootstrap)
  .setTopics(input)
  .setGroupId(`${prefix}-group`)
  .setStartingOffsets(OffsetsInitializer.earliest())
  .setValueOnlyDeserializer<{ k: number; v: number }>('json');
if (mode === 'bounded') builder.setBounded(OffsetsInitializer.latest());

env
  .fromSource(builder.build(), WatermarkStrategy.noWatermarks(), 'kafka-in')
  .map((r) => ({ k: r.k, v: r.v, n: 1 }))
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v, n: a.n + b.n }))
  .name('sums')
  .sinkTo(
    KafkaSink.builder<{ k: number; v: number; n: number }>()
      .setBootstrapServers(bootstrap)
      .setRecordSerializer(
        KafkaRecordSerializationSchema.builder<{ k: number; v: number; n: number }>()
          .setTopic(output)
          .setKeySerializationSchema((r) => String(r.k))
          .setValueSerializationSchema('json')
          .build(),
      )
      .setDeliveryGuarantee(guarantee as DeliveryGuarantee)
      .setTransactionalIdPrefix(prefix)
      .build(),
  )
  .name('kafka-out');
await env.execute('kafka-sums');
