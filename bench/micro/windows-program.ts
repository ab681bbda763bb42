/**
 * Window micro-benchmark: `--records` small records {key, value, ts} over 100 keys into one window
 * case, then a checksumming sink. Cases: `time` (tumbling event-time windows, the default trigger:
 * the fast window operator), `count` (countWindow(100): GlobalWindows + PurgingTrigger(CountTrigger),
 * the trigger operator), `sliding` (countWindow(100, 10): a CountEvictor, elements kept),
 * `delta` (GlobalWindows + DeltaTrigger + TimeEvictor + maxBy, as TopSpeedWindowing).
 *
 *   weir run bench/micro/windows-program.ts -p 2 -- --records 1000000 --case count --out /tmp/windows
 */
import { DeltaTrigger, GlobalWindows, StreamExecutionEnvironment, TimeEvictor, TumblingEventTimeWindows, WatermarkStrategy } from 'weir';
import { hashEnd, hashNum } from '../nexmark/checksum.js';
import { ChecksumSink } from '../nexmark/weir-sink.js';

const argv = process.argv;
const records = Number(argv[argv.indexOf('--records') + 1]);
const which = argv[argv.indexOf('--case') + 1]!;
const out = argv[argv.indexOf('--out') + 1]!;

interface Rec {
  key: number;
  value: number;
  ts: number;
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const keyed = env
  .fromSequence(0, records - 1)
  .map((i: number): Rec => ({ key: i % 100, value: (i * 37) % 1000, ts: i }))
  .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Rec>().withTimestampAssigner((r) => r.ts))
  .keyBy((r: Rec) => r.key);
const sum = (a: Rec, b: Rec): Rec => ({ key: a.key, value: a.value + b.value, ts: b.ts });
const windowed =
  which === 'time'
    ? keyed.window(TumblingEventTimeWindows.of(10_000)).reduce(sum)
    : which === 'count'
      ? keyed.countWindow(100).reduce(sum)
      : which === 'sliding'
        ? keyed.countWindow(100, 10).reduce(sum)
        : keyed
            .window(GlobalWindows.create())
            .evictor(TimeEvictor.of(2000))
            .trigger(DeltaTrigger.of(5000, (a: Rec, b: Rec) => b.ts - a.ts))
            .maxBy('value');
windowed.sinkTo(new ChecksumSink<Rec>(out, (r) => hashEnd(hashNum(hashNum(0, r.key), r.value)))).name('checksum');
await env.execute(`windows-${which}`);
