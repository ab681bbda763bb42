/**
 * State TTL end to end (test/e2e/state-ttl.test.ts; args: case, parallelism, ...). Record i has key
 * i % 7 and a time t(i) that jumps 1000 ms every 100 records; the TTL clock is that time (an injected
 * time provider), so what expires is known exactly. Per record: the last value written for the key
 * that is still visible, and how many of the key's list elements are.
 */
import {
  KeyedProcessFunction,
  ListStateDescriptor,
  StateTtlConfig,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
} from 'weir';
import type { Collector, KeyedProcessContext, ListState, ValueState } from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

import { KEYS, TTL_MS, timeOf } from './ttl-data.js';

const [which = 'run', parallelismArg = '1', ...rest] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelismArg));

/** The TTL clock of this subtask: the time of the record being processed. */
let now = 0;

export interface Out {
  k: number;
  i: number;
  prev: number | null;
  listSize: number;
}

class Track extends KeyedProcessFunction<number, number, Out> {
  private last!: ValueState<number>;
  private seen!: ListState<number>;
  override open(): void {
    const ttl = StateTtlConfig.newBuilder(TTL_MS)
      .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
      .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
      .cleanupFullSnapshot()
      .setTtlTimeProvider(() => now)
      .build();
    const last = new ValueStateDescriptor<number>('last');
    last.enableTimeToLive(ttl);
    const seen = new ListStateDescriptor<number>('seen');
    seen.enableTimeToLive(ttl);
    this.last = this.getRuntimeContext().getState(last);
    this.seen = this.getRuntimeContext().getListState(seen);
  }
  processElement(i: number, ctx: KeyedProcessContext<number>, out: Collector<Out>): void {
    now = timeOf(i);
    const prev = this.last.value() ?? null;
    const listSize = this.seen.get().length;
    this.last.update(i);
    this.seen.add(i);
    out.collect({ k: ctx.getCurrentKey(), i, prev, listSize });
  }
}

export let result: unknown[] = [];

if (which === 'run') {
  const count = Number(rest[0] ?? '700');
  result = await env
    .fromSequence(0, count - 1)
    .setParallelism(1)
    .keyBy((i: number) => i % KEYS)
    .process(new Track())
    .executeAndCollect('state-ttl');
} else if (which === 'savepoint') {
  const [out = 'out', count = '3000'] = rest;
  env.enableCheckpointing(200);
  env
    .fromSource(new DataGeneratorSource((i) => i, Number(count), { ratePerSecond: 1500 }), WatermarkStrategy.noWatermarks(), 'numbers')
    .setParallelism(1)
    .uid('numbers')
    .keyBy((i: number) => i % KEYS)
    .process(new Track())
    .uid('track')
    .sinkTo(FileSink.jsonLines(out))
    .uid('sink');
  await env.execute('state-ttl-savepoint');
}
