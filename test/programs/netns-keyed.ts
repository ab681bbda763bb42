/**
 * A keyed sum at parallelism 2 written to files (args: count, keys, output dir): on two
 * TaskManagers of one slot each, the keyBy exchange crosses between them.
 */
import { StreamExecutionEnvironment } from 'weir';
import { FileSink } from 'weir/connectors/file';

const [count = '100000', keys = '16', out = 'output/netns'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.setRuntimeMode('BATCH');
env
  .fromSequence(1, Number(count))
  .map((i) => ({ k: i % Number(keys), v: i, pad: 'x'.repeat(64) }))
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v, pad: '' }))
  .map((r) => ({ k: r.k, v: r.v }))
  .sinkTo(FileSink.jsonLines(out));
await env.execute('netns-keyed');
