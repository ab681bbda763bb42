/**
 * NATS → keyed running sums → NATS, for the NATS tests (args: server URL, input stream, output
 * subject, message-id prefix, checkpoint interval ms, bounded|unbounded, delivery guarantee,
 * ordered|<durable consumer name>). Input messages are JSON { k, v }; each output message is a
 * key's running { k, v, n } after one more input message.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { NatsSink, NatsSource, type DeliveryGuarantee } from 'weir/connectors/nats';

const [
  url = 'nats://127.0.0.1:4222',
  input = 'in',
  output = 'out.sums',
  prefix = 'sums',
  intervalArg = '300',
  mode = 'bounded',
  guarantee = 'EXACTLY_ONCE',
  consumer = 'ordered',
] = process.argv.slice(2);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.enableCheckpointing(Number(intervalArg));

const builder = NatsSource.builder().setServers(url).setStream(input).setDeserializer<{ k: number; v: number }>('json');
if (consumer !== 'ordered') builder.setConsumerName(consumer);
if (mode === 'bounded') builder.setBounded();

env
  .fromSource(builder.build(), WatermarkStrategy.noWatermarks(), 'nats-in')
  .map((r) => ({ k: r.k, v: r.v, n: 1 }))
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v, n: a.n + b.n }))
  .name('sums')
  .sinkTo(
    NatsSink.builder<{ k: number; v: number; n: number }>()
      .setServers(url)
      .setSubject(output)
      .setSerializer('json')
      .setDeliveryGuarantee(guarantee as DeliveryGuarantee)
      .setMessageIdPrefix(prefix)
      .build(),
  )
  .name('nats-out');
await env.execute('nats-sums');
