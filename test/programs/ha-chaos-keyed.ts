/**
 * A checkpointed keyed job for the HA chaos test whose pace the test controls (args: out dir,
 * count, keys, checkpoint interval ms, throttle file, ms per record while throttled). While the
 * throttle file exists each record waits in the map, so the job outlasts any number of failover
 * rounds however slow the machine; once the test removes the file the rest runs at full speed.
 * The running sums per key go to the two-phase-commit FileSink, whose committed output must hold
 * every update exactly once (the rows of checkpointed-keyed.ts).
 */
import fs from 'node:fs';
import { StreamExecutionEnvironment, WatermarkStrategy } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [out = 'out', countArg = '20000', keysArg = '7', intervalArg = '300', throttle = '', throttleMsArg = '5'] = process.argv.slice(2);
const keys = Number(keysArg);
const throttleMs = Number(throttleMsArg);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.enableCheckpointing(Number(intervalArg));

env
  .fromSource(new DataGeneratorSource((i) => i, Number(countArg)), WatermarkStrategy.noWatermarks(), 'numbers')
  .map((i: number) => {
    if (throttle && fs.existsSync(throttle)) Atomics.wait(sleeper, 0, 0, throttleMs);
    return { k: i % keys, v: i, n: 1 };
  })
  .name('paced')
  .keyBy((r) => r.k)
  .reduce((a, b) => ({ k: a.k, v: a.v + b.v, n: a.n + b.n }))
  .name('sums')
  .sinkTo(FileSink.jsonLines(out))
  .name('sink');
await env.execute('ha-chaos-keyed');
