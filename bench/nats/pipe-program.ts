/**
 * The NATS benchmark's Weir job (args: server URL, input stream, output subject, parallelism,
 * delivery guarantee): bytes from a bounded NatsSource straight to a NatsSink.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { NatsSink, NatsSource, type DeliveryGuarantee } from 'weir/connectors/nats';

const [url = '', input = '', output = '', parallelism = '1', guarantee = 'EXACTLY_ONCE'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelism));
env.enableCheckpointing(1000);
const source = NatsSource.builder().setServers(url).setStream(input).setBounded().setDeserializer<Buffer>('bytes').build();
env.fromSource(source, WatermarkStrategy.noWatermarks<Buffer>(), 'in').sinkTo(
  NatsSink.builder<Buffer>()
    .setServers(url)
    .setSubject(output)
    .setSerializer((b) => b)
    .setDeliveryGuarantee(guarantee as DeliveryGuarantee)
    .setMessageIdPrefix(`bench-${output}`)
    .build(),
);
await env.execute('nats-bench');
