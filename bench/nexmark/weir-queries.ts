/**
 * The Nexmark queries as Weir DataStream pipelines (semantics in queries.ts). Stateless queries
 * are one chained Calc-like flatMap after the source, as Flink's planner compiles them; stateful
 * ones use keyed windows, keyed process functions and connected keyed streams.
 */
import {
  EventTimeSessionWindows,
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  ListStateDescriptor,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type ListState,
  type OnTimerContext,
  type RuntimeContext,
  type StreamExecutionEnvironment,
  type ValueState,
} from 'weir';
import type { NexmarkConfig } from './generator.js';
import { AUCTION, BID, PERSON, type Bid, type NexmarkEvent } from './model.js';
import {
  DOLLAR_TO_EURO,
  Q11_GAP,
  Q2_AUCTION_MODULUS,
  Q3_CATEGORY,
  Q3_STATES,
  Q5_SIZE,
  Q5_SLIDE,
  Q7_SIZE,
  Q8_SIZE,
  type Q11Row,
  type Q2Row,
  type Q3Row,
  type Q4Row,
  type Q5Row,
  type Q8Row,
  type QueryName,
} from './queries.js';
import { NexmarkSource } from './source.js';

/** Builds query `q` on `env` and returns its result stream (the caller adds the sink). */
export function buildQuery(env: StreamExecutionEnvironment, q: QueryName, config: Partial<NexmarkConfig>): DataStream<unknown> {
  const stateless = q === 'q0' || q === 'q1' || q === 'q2';
  // Stateless queries need no event time; the others trail event time by 1 ms (see queries.ts).
  const strategy = stateless ? WatermarkStrategy.noWatermarks<NexmarkEvent>() : WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(1);
  const events = env.fromSource(new NexmarkSource(config), strategy, 'Nexmark');
  switch (q) {
    case 'q0':
      return erase(
        events.flatMap((e: NexmarkEvent, out: Collector<Bid>) => {
          if (e.type === BID) out.collect(e.bid!);
        }),
      );
    case 'q1':
      return erase(
        events.flatMap((e: NexmarkEvent, out: Collector<Bid>) => {
          if (e.type !== BID) return;
          const b = e.bid!;
          out.collect({ auction: b.auction, bidder: b.bidder, price: DOLLAR_TO_EURO * b.price, dateTime: b.dateTime, extra: b.extra });
        }),
      );
    case 'q2':
      return erase(
        events.flatMap((e: NexmarkEvent, out: Collector<Q2Row>) => {
          if (e.type === BID && e.bid!.auction % Q2_AUCTION_MODULUS === 0) out.collect({ auction: e.bid!.auction, price: e.bid!.price });
        }),
      );
    case 'q3':
      return erase(q3(events));
    case 'q4':
      return erase(q4(events));
    case 'q5':
      return erase(q5(events));
    case 'q7':
      return erase(q7(events));
    case 'q8':
      return erase(q8(events));
    case 'q11':
      return erase(q11(events));
  }
}

/** Queries return streams of different row types; the sink only needs the row hash. */
function erase<T>(s: DataStream<T>): DataStream<unknown> {
  return s as unknown as DataStream<unknown>;
}

function bids(events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return events
    .flatMap((e: NexmarkEvent, out: Collector<Bid>) => {
      if (e.type === BID) out.collect(e.bid!);
    })
    .name('bids');
}

const count: AggregateFunction<unknown, number, number> = {
  createAccumulator: () => 0,
  add: (_v, acc) => acc + 1,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};

// ------------------------------------------------------------------------------------------ q3

interface Q3Auction {
  id: number;
  seller: number;
}
interface Q3Person {
  id: number;
  name: string;
  city: string;
  state: string;
}

/** Auction ⋈ person on seller = id, both sides held in keyed state until the other arrives. */
class Q3Join extends KeyedCoProcessFunction<number, Q3Auction, Q3Person, Q3Row> {
  private person!: ValueState<Q3Person>;
  private pending!: ListState<number>;
  override open(ctx: RuntimeContext): void {
    this.person = ctx.getState(new ValueStateDescriptor<Q3Person>('person'));
    this.pending = ctx.getListState(new ListStateDescriptor<number>('auctions'));
  }
  processElement1(a: Q3Auction, _ctx: KeyedProcessContext<number>, out: Collector<Q3Row>): void {
    const p = this.person.value();
    if (p) out.collect({ name: p.name, city: p.city, state: p.state, id: a.id });
    else this.pending.add(a.id);
  }
  processElement2(p: Q3Person, _ctx: KeyedProcessContext<number>, out: Collector<Q3Row>): void {
    this.person.update(p);
    const waiting = this.pending.get();
    if (waiting.length === 0) return;
    for (const id of waiting) out.collect({ name: p.name, city: p.city, state: p.state, id });
    this.pending.clear();
  }
}

function q3(events: DataStream<NexmarkEvent>): DataStream<Q3Row> {
  const auctions = events
    .flatMap((e: NexmarkEvent, out: Collector<Q3Auction>) => {
      if (e.type === AUCTION && e.auction!.category === Q3_CATEGORY) out.collect({ id: e.auction!.id, seller: e.auction!.seller });
    })
    .name('auctions');
  const persons = events
    .flatMap((e: NexmarkEvent, out: Collector<Q3Person>) => {
      if (e.type !== PERSON) return;
      const p = e.person!;
      if (Q3_STATES.has(p.state)) out.collect({ id: p.id, name: p.name, city: p.city, state: p.state });
    })
    .name('persons');
  return auctions
    .connect(persons)
    .keyBy(
      (a: Q3Auction) => a.seller,
      (p: Q3Person) => p.id,
    )
    .process(new Q3Join())
    .name('join');
}

// ------------------------------------------------------------------------------------------ q4

interface Q4Auction {
  id: number;
  category: number;
  dateTime: number;
  expires: number;
}
interface Q4Bid {
  auction: number;
  price: number;
  dateTime: number;
}
interface Q4Winner {
  category: number;
  price: number;
}
/** An open auction and its best valid bid so far (-1: none). */
interface OpenAuction {
  category: number;
  dateTime: number;
  expires: number;
  max: number;
}
/** How long a closed auction keeps ignoring its (late) bids before its state goes. */
const Q4_CLEANUP_MS = 60_000;

/** Early bids are pruned when their list reaches this length and every doubling of it. */
const EARLY_PRUNE_AT = 32;

/**
 * The winning bid of each auction, emitted when event time passes its expiry. Bids that arrive
 * before their auction (from another channel, or in the same millisecond) wait in `early`. Those
 * at or before the watermark are dropped when the list grows: an auction that opens later has a
 * later time than the watermark, so they cannot count for it. (A key whose auction never comes
 * keeps at most a few of them.)
 */
class WinningBids extends KeyedCoProcessFunction<number, Q4Auction, Q4Bid, Q4Winner> {
  /** The open auction, or for a closed one the time its state is cleaned up (its later bids are all invalid). */
  private auction!: ValueState<OpenAuction | number>;
  private early!: ValueState<Q4Bid[]>;
  override open(ctx: RuntimeContext): void {
    this.auction = ctx.getState(new ValueStateDescriptor<OpenAuction | number>('auction'));
    this.early = ctx.getState(new ValueStateDescriptor<Q4Bid[]>('early-bids'));
  }
  processElement1(a: Q4Auction, ctx: KeyedProcessContext<number>): void {
    let max = -1;
    const early = this.early.value();
    if (early !== undefined) {
      for (const b of early) if (b.dateTime >= a.dateTime && b.dateTime <= a.expires && b.price > max) max = b.price;
      this.early.clear();
    }
    this.auction.update({ category: a.category, dateTime: a.dateTime, expires: a.expires, max });
    ctx.timerService().registerEventTimeTimer(a.expires);
  }
  processElement2(b: Q4Bid, ctx: KeyedProcessContext<number>): void {
    const a = this.auction.value();
    if (a === undefined) {
      let early = this.early.value() ?? [];
      // at 32, 64, 128, ... entries, so pruning costs O(1) per bid even when nothing can go
      if (early.length >= EARLY_PRUNE_AT && (early.length & (early.length - 1)) === 0) {
        const wm = ctx.timerService().currentWatermark();
        early = early.filter((x) => x.dateTime > wm);
      }
      early.push(b);
      this.early.update(early);
    } else if (typeof a !== 'number' && b.dateTime >= a.dateTime && b.dateTime <= a.expires && b.price > a.max) {
      a.max = b.price;
      this.auction.update(a);
    }
  }
  override onTimer(timestamp: number, ctx: OnTimerContext<number>, out: Collector<Q4Winner>): void {
    const a = this.auction.value();
    if (a === undefined) return;
    if (typeof a === 'number') {
      if (timestamp === a) this.auction.clear();
    } else if (timestamp === a.expires) {
      if (a.max >= 0) out.collect({ category: a.category, price: a.max });
      const cleanup = a.expires + Q4_CLEANUP_MS;
      this.auction.update(cleanup);
      ctx.timerService().registerEventTimeTimer(cleanup);
    }
  }
}

/** Running average per category: a changelog of (category, avg). */
class AveragePerCategory extends KeyedProcessFunction<number, Q4Winner, Q4Row> {
  private sum!: ValueState<{ sum: number; n: number }>;
  override open(ctx: RuntimeContext): void {
    this.sum = ctx.getState(new ValueStateDescriptor<{ sum: number; n: number }>('sum'));
  }
  processElement(w: Q4Winner, _ctx: KeyedProcessContext<number>, out: Collector<Q4Row>): void {
    const s = this.sum.value() ?? { sum: 0, n: 0 };
    s.sum += w.price;
    s.n++;
    this.sum.update(s);
    out.collect({ category: w.category, avg: s.sum / s.n });
  }
}

function q4(events: DataStream<NexmarkEvent>): DataStream<Q4Row> {
  const auctions = events
    .flatMap((e: NexmarkEvent, out: Collector<Q4Auction>) => {
      if (e.type === AUCTION) {
        const a = e.auction!;
        out.collect({ id: a.id, category: a.category, dateTime: a.dateTime, expires: a.expires });
      }
    })
    .name('auctions');
  const bidStream = events
    .flatMap((e: NexmarkEvent, out: Collector<Q4Bid>) => {
      if (e.type === BID) out.collect({ auction: e.bid!.auction, price: e.bid!.price, dateTime: e.bid!.dateTime });
    })
    .name('bids');
  return auctions
    .connect(bidStream)
    .keyBy(
      (a: Q4Auction) => a.id,
      (b: Q4Bid) => b.auction,
    )
    .process(new WinningBids())
    .name('winning bids')
    .keyBy((w: Q4Winner) => w.category)
    .process(new AveragePerCategory())
    .name('average');
}

// ------------------------------------------------------------------------------------------ q5

interface AuctionCount {
  auction: number;
  num: number;
  start: number;
}

/** Per window (keyed by its start): the auctions with the highest count, emitted when the window's results are all in. */
class HottestPerWindow extends KeyedProcessFunction<number, AuctionCount, Q5Row> {
  private best!: ValueState<{ num: number; auctions: number[] }>;
  override open(ctx: RuntimeContext): void {
    this.best = ctx.getState(new ValueStateDescriptor<{ num: number; auctions: number[] }>('best'));
  }
  processElement(c: AuctionCount, ctx: KeyedProcessContext<number>): void {
    const b = this.best.value();
    if (b === undefined) {
      this.best.update({ num: c.num, auctions: [c.auction] });
      // window results carry the window's last millisecond: fire once the watermark passed it
      ctx.timerService().registerEventTimeTimer(ctx.timestamp()!);
    } else if (c.num >= b.num) {
      if (c.num > b.num) {
        b.num = c.num;
        b.auctions = [c.auction];
      } else b.auctions.push(c.auction);
      this.best.update(b);
    }
  }
  override onTimer(_t: number, ctx: OnTimerContext<number>, out: Collector<Q5Row>): void {
    const b = this.best.value();
    if (b === undefined) return;
    const start = ctx.getCurrentKey();
    for (const auction of b.auctions) out.collect({ auction, num: b.num, start });
    this.best.clear();
  }
}

function q5(events: DataStream<NexmarkEvent>): DataStream<Q5Row> {
  return bids(events)
    .keyBy((b: Bid) => b.auction)
    .window(SlidingEventTimeWindows.of(Q5_SIZE, Q5_SLIDE))
    .aggregate(count, (auction: number, ctx, counts: number[], out: Collector<AuctionCount>) => {
      out.collect({ auction, num: counts[0]!, start: ctx.window().start });
    })
    .name('bids per auction')
    .keyBy((c: AuctionCount) => c.start)
    .process(new HottestPerWindow())
    .name('hottest');
}

// ------------------------------------------------------------------------------------------ q7

interface MaxBids {
  price: number;
  bids: Bid[];
}
interface WindowMax extends MaxBids {
  start: number;
}

const maxBids: AggregateFunction<Bid, MaxBids, MaxBids> = {
  createAccumulator: () => ({ price: -1, bids: [] }),
  add: (b, acc) => {
    if (b.price > acc.price) {
      acc.price = b.price;
      acc.bids = [b];
    } else if (b.price === acc.price) acc.bids.push(b);
    return acc;
  },
  getResult: (acc) => acc,
  merge: (a, b) => (a.price > b.price ? a : b.price > a.price ? b : { price: a.price, bids: a.bids.concat(b.bids) }),
};

/** Global maximum per window over the per-auction maxima. */
class HighestPerWindow extends KeyedProcessFunction<number, WindowMax, Bid> {
  private best!: ValueState<MaxBids>;
  override open(ctx: RuntimeContext): void {
    this.best = ctx.getState(new ValueStateDescriptor<MaxBids>('best'));
  }
  processElement(m: WindowMax, ctx: KeyedProcessContext<number>): void {
    const b = this.best.value();
    if (b === undefined) {
      this.best.update({ price: m.price, bids: m.bids });
      ctx.timerService().registerEventTimeTimer(ctx.timestamp()!);
    } else if (m.price >= b.price) {
      b.bids = m.price > b.price ? m.bids : b.bids.concat(m.bids);
      b.price = m.price;
      this.best.update(b);
    }
  }
  override onTimer(_t: number, _ctx: OnTimerContext<number>, out: Collector<Bid>): void {
    const b = this.best.value();
    if (b === undefined) return;
    for (const bid of b.bids) out.collect(bid);
    this.best.clear();
  }
}

function q7(events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return bids(events)
    .keyBy((b: Bid) => b.auction)
    .window(TumblingEventTimeWindows.of(Q7_SIZE))
    .aggregate(maxBids, (_auction: number, ctx, results: MaxBids[], out: Collector<WindowMax>) => {
      const r = results[0]!;
      out.collect({ start: ctx.window().start, price: r.price, bids: r.bids });
    })
    .name('max per auction')
    .keyBy((m: WindowMax) => m.start)
    .process(new HighestPerWindow())
    .name('max per window');
}

// ------------------------------------------------------------------------------------------ q8

/** A person (name set) or an auction by seller `id` (name null). */
interface Q8Side {
  id: number;
  name: string | null;
}
interface Q8Acc {
  name: string | null;
  auction: boolean;
}

const q8Agg: AggregateFunction<Q8Side, Q8Acc, Q8Acc> = {
  createAccumulator: () => ({ name: null, auction: false }),
  add: (v, acc) => {
    if (v.name !== null) acc.name = v.name;
    else acc.auction = true;
    return acc;
  },
  getResult: (acc) => acc,
  merge: (a, b) => ({ name: a.name ?? b.name, auction: a.auction || b.auction }),
};

function q8(events: DataStream<NexmarkEvent>): DataStream<Q8Row> {
  return events
    .flatMap((e: NexmarkEvent, out: Collector<Q8Side>) => {
      if (e.type === PERSON) out.collect({ id: e.person!.id, name: e.person!.name });
      else if (e.type === AUCTION) out.collect({ id: e.auction!.seller, name: null });
    })
    .name('persons and sellers')
    .keyBy((s: Q8Side) => s.id)
    .window(TumblingEventTimeWindows.of(Q8_SIZE))
    .aggregate(q8Agg, (id: number, ctx, results: Q8Acc[], out: Collector<Q8Row>) => {
      const r = results[0]!;
      if (r.name !== null && r.auction) out.collect({ id, name: r.name, start: ctx.window().start });
    })
    .name('new users');
}

// ------------------------------------------------------------------------------------------ q11

function q11(events: DataStream<NexmarkEvent>): DataStream<Q11Row> {
  return bids(events)
    .keyBy((b: Bid) => b.bidder)
    .window(EventTimeSessionWindows.withGap(Q11_GAP))
    .aggregate(count, (bidder: number, ctx, counts: number[], out: Collector<Q11Row>) => {
      const w = ctx.window();
      out.collect({ bidder, count: counts[0]!, start: w.start, end: w.end });
    })
    .name('sessions');
}
