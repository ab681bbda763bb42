/**
 * A job whose user code takes its TaskManager process down (args: count, records per second, output
 * dir, marker file, records before the crash): after that many records the map function kills the
 * whole process with SIGKILL (a worker's process.exit would only end the worker thread), once: it
 * creates the marker file first, so the restarted job runs to its end.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [count = '1000', rate = '500', out = 'output/crash-tm', marker = 'output/crash-tm.marker', after = '100'] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
let seen = 0;
env
  .fromSource(
    new DataGeneratorSource((i) => i, Number(count), { ratePerSecond: Number(rate) }),
    WatermarkStrategy.noWatermarks<number>(),
    'numbers',
  )
  .map((i) => {
    if (++seen === Number(after) && !existsSync(marker)) {
      writeFileSync(marker, `${process.pid}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
    return { k: i % 5, v: i };
  })
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
  .sinkTo(FileSink.jsonLines(out));
await env.execute(`crash-tm-${count}`);
