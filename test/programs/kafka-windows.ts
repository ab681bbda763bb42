/**
 * Kafka → event-time tumbling windows → Kafka, for the per-partition watermark test (args:
 * bootstrap servers, input topic, output topic, window ms, idleness ms). Event time is the Kafka
 * record timestamp (no timestamp assigner); one reader holds every partition (parallelism 1), so
 * only per-partition watermarks keep a partition behind the others from being late. Output: one
 * `{ start, n }` per window, and `{ late }` for each record dropped as late.
 */
import { OutputTag, StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy } from 'weir';
import { KafkaRecordSerializationSchema, KafkaSink, KafkaSource, OffsetsInitializer } from 'weir/connectors/kafka';

const [bootstrap = '127.0.0.1:9092', input = 'in', output = 'out', windowArg = '1000', idleArg = '1000'] = process.argv.slice(2);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(1);

type Row = { start?: number; n?: number; late?: number };
const lateTag = new OutputTag<number>('late');
const source = KafkaSource.builder()
  .setBootstrapServers(bootstrap)
  .setTopics(input)
  .setStartingOffsets(OffsetsInitializer.earliest())
  .setValueOnlyDeserializer<number>('json')
  .build();
const windows = env
  .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<number>().withIdleness(Number(idleArg)), 'kafka-in')
  .keyBy(() => 0)
  .window(TumblingEventTimeWindows.of(Number(windowArg)))
  .sideOutputLateData(lateTag)
  .process<Row>((_key, ctx, elements, out) => out.collect({ start: ctx.window().start, n: elements.length }))
  .name('windows');
const sink = (): KafkaSink<Row> =>
  KafkaSink.builder<Row>()
    .setBootstrapServers(bootstrap)
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<Row>().setTopic(output).setValueSerializationSchema('json').build())
    .setProperty('linger.ms', 0)
    .build();
windows.sinkTo(sink()).name('windows-out');
windows
  .getSideOutput(lateTag)
  .map((v): Row => ({ late: v }))
  .sinkTo(sink())
  .name('late-out');
await env.execute('kafka-windows');
