/**
 * A checkpointed job whose state is window contents with triggers and evictors and join buffers,
 * for the savepoint/rescale test (args: out dir, count, records per second, checkpoint interval ms,
 * parallelism). Every operator has a uid; each case writes to a two-phase-commit FileSink.
 */
import {
  CountTrigger,
  DeltaTrigger,
  GlobalWindows,
  StreamExecutionEnvironment,
  TimeEvictor,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type Collector,
  type ProcessJoinContext,
  type ProcessWindowContext,
  type GlobalWindow,
} from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

export interface SRec {
  k: number;
  i: number;
  w: number;
  ts: number;
}
export const KEYS = 5;
export const rec = (i: number): SRec => ({ k: i % KEYS, i, w: (i * 37) % 23, ts: i * 10 });

const [out = 'out', countArg = '3000', rateArg = '1500', intervalArg = '100', parallelismArg = '2'] = process.argv.slice(2);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelismArg));
env.enableCheckpointing(Number(intervalArg));

const records = env
  .fromSource(
    new DataGeneratorSource((i: number) => i, Number(countArg), { ratePerSecond: Number(rateArg) }),
    WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((i) => i * 10),
    'numbers',
  )
  .uid('numbers')
  .setParallelism(1)
  .map(rec)
  .uid('records')
  .setParallelism(1); // one reader: each key's records in order

const sink = (name: string) => FileSink.jsonLines<unknown>(`${out}/${name}`);

records
  .keyBy((r) => r.k)
  .countWindow(5, 2)
  .process((k: number, _ctx: ProcessWindowContext<GlobalWindow>, els: SRec[], o: Collector<unknown>) =>
    o.collect({ k, is: els.map((e) => e.i) }),
  )
  .uid('sliding')
  .sinkTo(sink('sliding'))
  .uid('sliding-sink');

records
  .keyBy((r) => r.k)
  .window(GlobalWindows.create())
  .trigger(DeltaTrigger.of(60, (a: SRec, b: SRec) => b.i - a.i))
  .evictor(TimeEvictor.of(400))
  .maxBy('w')
  .uid('delta')
  .sinkTo(sink('delta'))
  .uid('delta-sink');

records
  .keyBy((r) => r.k)
  .window(TumblingEventTimeWindows.of(1000))
  .trigger(CountTrigger.of(7))
  .reduce((a: SRec, b: SRec) => ({ ...a, w: a.w + b.w }))
  .uid('count-trigger')
  .sinkTo(sink('count-trigger'))
  .uid('count-trigger-sink');

const left = records.filter((r) => r.i % 3 !== 0).uid('left');
const right = records.filter((r) => r.i % 3 === 0).uid('right');

left
  .keyBy((r) => r.k)
  .intervalJoin(right.keyBy((r) => r.k))
  .between(-60, 40)
  .process((l: SRec, r: SRec, _ctx: ProcessJoinContext, o: Collector<unknown>) => o.collect([l.i, r.i]))
  .uid('interval')
  .sinkTo(sink('interval'))
  .uid('interval-sink');

left
  .join(right)
  .where((r) => r.k)
  .equalTo((r) => r.k)
  .window(TumblingEventTimeWindows.of(200))
  .apply((l: SRec, r: SRec) => [l.i, r.i])
  .uid('join')
  .sinkTo(sink('join'))
  .uid('join-sink');

await env.execute('savepoint-windows-joins');
