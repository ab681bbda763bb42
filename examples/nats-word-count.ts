/**
 * NATS JetStream word count: reads lines from a JetStream stream, counts words, and publishes every
 * updated count to a subject bound to another stream, exactly once (each message carries a
 * deterministic Nats-Msg-Id, so the output stream drops what a restored job publishes again).
 *
 *   nats stream add LINES --subjects lines --defaults
 *   nats stream add WORD_COUNTS --subjects word-counts --defaults
 *   npx weir run examples/nats-word-count.ts -- nats://localhost:4222 LINES word-counts
 *   npx weir run examples/nats-word-count.ts -- nats://localhost:4222 LINES word-counts bounded
 *
 * Arguments: servers, input stream, output subject, and `bounded` to stop at the stream's last
 * message at start (otherwise the job runs until cancelled). Message ids are the prefix, the sink
 * subtask and a count of its records: a run again over the same stream within the output stream's
 * duplicate window publishes the same ids and adds only the counts of new lines.
 */
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { NatsSink, NatsSource, NatsStartPosition } from 'weir/connectors/nats';

const [servers = 'nats://localhost:4222', input = 'LINES', output = 'word-counts', mode = 'unbounded'] = process.argv.slice(2);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.enableCheckpointing(1000);

// An ordered consumer from the stream's first message; checkpoints hold the stream sequence.
const source = NatsSource.builder()
  .setServers(servers)
  .setStream(input)
  .setStartingPosition(NatsStartPosition.earliest())
  .setDeserializer('string');
if (mode === 'bounded') source.setBounded();

const sink = NatsSink.builder<{ word: string; n: number }>()
  .setServers(servers)
  .setSubject(output)
  .setSerializer('json')
  .setDeliveryGuarantee('EXACTLY_ONCE')
  .setMessageIdPrefix('nats-word-count')
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

await env.execute('nats-word-count');
