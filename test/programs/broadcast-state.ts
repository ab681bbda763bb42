/**
 * Broadcast state cases for test/e2e/broadcast-state.test.ts (args: case, parallelism, ...).
 * - nonkeyed: the broadcast side reports the state's size on every subtask; the data side finds the
 *   state read-only.
 * - keyed: records wait in keyed state until the multiplier rule arrives; processBroadcastElement
 *   releases them with applyToKeyedState, so the result does not depend on how the inputs interleave.
 * - savepoint: the same keyed job at a steady rate into a two-phase-commit sink; the rule is only
 *   broadcast by the first run (args: out, count, rule value or 'none').
 */
import {
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
} from 'weir';
import type {
  BroadcastContext,
  Collector,
  KeyedBroadcastContext,
  KeyedReadOnlyContext,
  ListState,
  ReadOnlyContext,
  RuntimeContext,
  ValueState,
} from 'weir';
import { DataGeneratorSource } from 'weir/connectors/datagen';
import { FileSink } from 'weir/connectors/file';

const [which = 'keyed', parallelismArg = '1', ...rest] = process.argv.slice(2);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(parallelismArg));

export let result: unknown[] = [];
function export_(rows: unknown[]): void {
  result = rows;
}

export interface Rule {
  name: string;
  value: number;
}
const RULES = new MapStateDescriptor<string, Rule>('rules');

class Sizes extends BroadcastProcessFunction<number, Rule, unknown> {
  private subtask = -1;
  override open(ctx: RuntimeContext): void {
    this.subtask = ctx.getIndexOfThisSubtask();
  }
  processElement(v: number, ctx: ReadOnlyContext, out: Collector<unknown>): void {
    let readOnly = false;
    try {
      (ctx.getBroadcastState(RULES) as unknown as { put(k: string, v: Rule): void }).put('x', { name: 'x', value: 0 });
    } catch (e) {
      readOnly = /read-only/.test((e as Error).message);
    }
    out.collect({ kind: 'data', v, readOnly });
  }
  processBroadcastElement(rule: Rule, ctx: BroadcastContext, out: Collector<unknown>): void {
    const state = ctx.getBroadcastState(RULES);
    state.put(rule.name, rule);
    out.collect({ kind: 'rule', subtask: this.subtask, size: state.size(), has: state.contains(rule.name) });
  }
}

/** Multiplies each record by the rule 'm'; records before the rule wait in keyed state. */
class Multiply extends KeyedBroadcastProcessFunction<number, number, Rule, { v: number; r: number; subtask: number }> {
  private waiting!: ListState<number>;
  private count!: ValueState<number>;
  private subtask = -1;
  override open(ctx: RuntimeContext): void {
    this.subtask = ctx.getIndexOfThisSubtask();
    this.waiting = ctx.getListState(WAITING);
    this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0));
  }
  processElement(v: number, ctx: KeyedReadOnlyContext<number>, out: Collector<{ v: number; r: number; subtask: number }>): void {
    this.count.update((this.count.value() ?? 0) + 1);
    const m = ctx.getBroadcastState(RULES).get('m');
    if (m === undefined) this.waiting.add(v);
    else out.collect({ v, r: v * m.value, subtask: this.subtask });
  }
  processBroadcastElement(rule: Rule, ctx: KeyedBroadcastContext<number>, out: Collector<{ v: number; r: number; subtask: number }>): void {
    ctx.getBroadcastState(RULES).put(rule.name, rule);
    if (rule.name !== 'm') return;
    ctx.applyToKeyedState(WAITING, (_key, state) => {
      for (const v of state.get()) out.collect({ v, r: v * rule.value, subtask: this.subtask });
      state.clear();
    });
  }
}
const WAITING = new ListStateDescriptor<number>('waiting');

if (which === 'nonkeyed') {
  const rules: Rule[] = [1, 2, 3, 4].map((i) => ({ name: `r${i}`, value: i }));
  const bc = env.fromData(...rules).broadcast(RULES);
  export_(await env.fromSequence(1, 200).rebalance().connect(bc).process(new Sizes()).executeAndCollect('broadcast-nonkeyed'));
} else if (which === 'keyed') {
  const bc = env.fromData<Rule>({ name: 'other', value: 9 }, { name: 'm', value: 3 }).broadcast(RULES);
  export_(
    await env
      .fromSequence(1, 500)
      .keyBy((v) => v % 17)
      .connect(bc)
      .process(new Multiply())
      .executeAndCollect('broadcast-keyed'),
  );
} else if (which === 'savepoint') {
  const [out = 'out', count = '3000', rule = '3'] = rest;
  env.enableCheckpointing(200);
  const rules: Rule[] = rule === 'none' ? [{ name: 'other', value: 1 }] : [{ name: 'm', value: Number(rule) }];
  const bc = env
    .fromSource(new DataGeneratorSource((i) => rules[i]!, rules.length), WatermarkStrategy.noWatermarks(), 'rules')
    .uid('rules')
    .broadcast(RULES);
  env
    .fromSource(new DataGeneratorSource((i) => i, Number(count), { ratePerSecond: 1500 }), WatermarkStrategy.noWatermarks(), 'numbers')
    .uid('numbers')
    .keyBy((v: number) => v % 17)
    .connect(bc)
    .process(new Multiply())
    .uid('multiply')
    .sinkTo(FileSink.jsonLines(out))
    .uid('sink');
  await env.execute('broadcast-savepoint');
}
