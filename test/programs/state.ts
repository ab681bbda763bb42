/**
 * Keyed state: one KeyedProcessFunction uses ValueState (with and without a default), ListState,
 * MapState, ReducingState and AggregatingState and emits a snapshot of them after every record;
 * 'reset' clears them. A rich map on a keyed stream keeps a per-key counter in ValueState.
 */
import {
  AggregatingStateDescriptor,
  KeyedProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  RichMapFunction,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type AggregatingState,
  type Collector,
  type KeyedProcessContext,
  type ListState,
  type MapState,
  type ReducingState,
  type ValueState,
} from 'weir';
import { PURCHASES, type Purchase } from './data.js';
import { out } from './lib.js';

export interface Snapshot {
  user: string;
  key: string;
  count: number;
  last: string | null;
  items: string[];
  perItem: [string, number][];
  hasFig: boolean;
  empty: boolean;
  total: number | null;
  average: number | null;
}

class AllStates extends KeyedProcessFunction<string, Purchase, Snapshot> {
  private count!: ValueState<number>;
  private last!: ValueState<string>;
  private items!: ListState<string>;
  private perItem!: MapState<string, number>;
  private total!: ReducingState<number>;
  private average!: AggregatingState<number, number>;

  override open(): void {
    const ctx = this.getRuntimeContext();
    this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0));
    this.last = ctx.getState(new ValueStateDescriptor<string>('last'));
    this.items = ctx.getListState(new ListStateDescriptor<string>('items'));
    this.perItem = ctx.getMapState(new MapStateDescriptor<string, number>('per-item'));
    this.total = ctx.getReducingState(new ReducingStateDescriptor<number>('total', (a, b) => a + b));
    this.average = ctx.getAggregatingState(
      new AggregatingStateDescriptor<number, { sum: number; n: number }, number>('average', {
        createAccumulator: () => ({ sum: 0, n: 0 }),
        add: (v, acc) => ({ sum: acc.sum + v, n: acc.n + 1 }),
        getResult: (acc) => acc.sum / acc.n,
        merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
      }),
    );
  }

  processElement(p: Purchase, ctx: KeyedProcessContext<string>, o: Collector<Snapshot>): void {
    if (p.item === 'reset') {
      for (const s of [this.count, this.last, this.items, this.perItem, this.total, this.average]) s.clear();
    } else {
      this.count.update(this.count.value()! + 1);
      this.last.update(p.item);
      this.items.add(p.item);
      if (p.amount >= 5) this.items.addAll([`${p.item}!`]);
      if (this.items.get().length > 4) this.items.update(this.items.get().slice(-4));
      this.perItem.put(p.item, (this.perItem.get(p.item) ?? 0) + p.amount);
      if (p.item === 'plum') this.perItem.remove('apple');
      this.total.add(p.amount);
      this.average.add(p.amount);
    }
    const entries = this.perItem.entries().sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length !== this.perItem.keys().length || entries.length !== this.perItem.values().length)
      throw new Error('MapState keys/values/entries disagree');
    o.collect({
      user: p.user,
      key: ctx.getCurrentKey(),
      count: this.count.value()!,
      last: this.last.value() ?? null,
      items: this.items.get(),
      perItem: entries,
      hasFig: this.perItem.contains('fig'),
      empty: this.perItem.isEmpty(),
      total: this.total.get() ?? null,
      average: this.average.get() ?? null,
    });
  }
}

/** map() on a keyed stream may use keyed state. */
class NumberPerUser extends RichMapFunction<Purchase, { user: string; nth: number }> {
  private seen!: ValueState<number>;
  override open(): void {
    this.seen = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('seen'));
  }
  map(p: Purchase): { user: string; nth: number } {
    const nth = (this.seen.value() ?? 0) + 1;
    this.seen.update(nth);
    return { user: p.user, nth };
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
const purchases = env.fromData(...PURCHASES);
purchases
  .keyBy((p) => p.user)
  .process(new AllStates())
  .sinkTo(out('snapshots'));
purchases
  .keyBy((p) => p.user)
  .map(new NumberPerUser())
  .sinkTo(out('keyed-map'));

await env.execute('state');
