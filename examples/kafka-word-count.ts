/**
 * Kafka word count: reads lines from a Kafka topic, counts words, and writes every updated count
 * to another topic, exactly once (one Kafka transaction per checkpoint; consumers reading with
 * isolation.level=read_committed see each update once, also across failures).
 *
 *   npx weir run examples/kafka-word-count.ts -- localhost:9092 lines word-counts
 *   npx weir run examples/kafka-word-count.ts -- localhost:9092 lines word-counts bounded
 *
 * Arguments: bootstrap servers, input topic, output topic, and `bounded` to stop at the end of the
 * input present at start (otherwise the job runs until cancelled).
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { KafkaRecordSerializationSchema, KafkaSink, KafkaSource, OffsetsInitializer } from 'weir/connectors/kafka';

const [servers = 'localhost:9092', input = 'lines', output = 'word-counts', mode = 'unbounded'] = process.argv.slice(2);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.enableCheckpointing(1000);

const source = KafkaSource.builder()
  .setBootstrapServers(servers)
  .setTopics(input)
  .setGroupId('kafka-word-count')
  .setStartingOffsets(OffsetsInitializer.committedOffsets('EARLIEST'))
  .setValueOnlyDeserializer('string');
if (mode === 'bounded') source.setBounded(OffsetsInitializer.latest());

const sink = KafkaSink.builder<{ word: string; n: number }>()
  .setBootstrapServers(servers)
  .setRecordSerializer(
    KafkaRecordSerializationSchema.builder<{ word: string; n: number }>()
      .setTopic(output)
      .setKeySerializationSchema((r) => r.word)
      .setValueSerializationSchema('json')
      .build(),
  )
  .setDeliveryGuarantee('EXACTLY_ONCE')
  .setTransactionalIdPrefix('kafka-word-count')
  .build();

env
  .fromSource(source.build(), WatermarkStrategy.noWatermarks<string>(), 'lines')
  .flatMap((line: string, out) => {
    for (const w of line.split(/\W+/)) if (w) out.collect(w.toLowerCase());
  })
  .map((word: string) => ({ word, n: 1 }))
  .keyBy((r) => r.word)
  .reduce((a, b) => ({ word: a.word, n: a.n + b.n }))
  .sinkTo(sink)
  .name('counts');

await env.execute('kafka-word-count');
