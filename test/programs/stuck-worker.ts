/**
 * A job whose map function gets its slot thread stuck in native code that never returns (args:
 * marker file): a recursive mkdirSync under /proc retries for ever. It writes the marker file
 * first, so a test knows the thread is stuck. Its TaskManager must still exit on SIGTERM.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { StreamExecutionEnvironment } from 'weir';

const [marker = 'output/stuck-worker.marker'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(1);
env
  .fromSequence(1, 10)
  .map((n: number) => {
    writeFileSync(marker, `${process.pid}\n`);
    mkdirSync('/proc/weir-test/stuck', { recursive: true });
    return n;
  })
  .print();
await env.execute('stuck-worker');
