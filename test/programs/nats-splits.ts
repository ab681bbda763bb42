/**
 * NATS (one split per filter subject) → keyed running sums → NATS, for the NATS split tests (args:
 * server URL, input stream, comma-separated filter subjects, output subject, message-id prefix,
 * checkpoint interval ms, bounded|unbounded, ordered|<durable consumer name>). Input messages are JSON { k, v }; each output message is a key's running
 * { k, v, n, r } after one more input message, `r` the bits of the source subtasks that read the
 * key's messages. Message ids come from the key and its count, so they do not depend on the order
 * in which the two readers' records meet at the sink.
 */
import { RichMapFunction, StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { NatsSink, NatsSource } from 'weir/connectors/nats';

interface In {
  k: number;
  v: number;
}
interface Sum extends In {
  n: number;
  r: number;
}

const [
  url = 'nats://127.0.0.1:4222',
  input = 'in',
  filters = 'in.>',
  output = 'out.sums',
  prefix = 'splits',
  intervalArg = '300',
  mode = 'unbounded',
  consumer = 'ordered',
] = process.argv.slice(2);

/** Chained to the source: tags each record with the reader subtask that read it. */
class TagReader extends RichMapFunction<In, Sum> {
  map(r: In): Sum {
    return { k: r.k, v: r.v, n: 1, r: 1 << this.getRuntimeContext().getIndexOfThisSubtask() };
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.enableCheckpointing(Number(intervalArg));

const builder = NatsSource.builder().setServers(url).setStream(input).setFilterSubjects(filters.split(',')).setDeserializer<In>('json');
if (mode === 'bounded') builder.setBounded();
if (consumer !== 'ordered') builder.setConsumerName(consumer);
const source = builder.build();

env
  .fromSource(source, WatermarkStrategy.noWatermarks(), 'nats-in')
  .map(new TagReader())
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v, n: a.n + b.n, r: a.r | b.r }))
  .name('sums')
  .sinkTo(
    NatsSink.builder<Sum>()
      .setServers(url)
      .setSubject(output)
      .setSerializer('json')
      .setDeliveryGuarantee('EXACTLY_ONCE')
      .setMessageIdPrefix(prefix)
      .setMessageIdSelector((r) => `${r.k}-${r.n}`)
      .build(),
  )
  .name('nats-out');
await env.execute('nats-splits');
