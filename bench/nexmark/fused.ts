/**
 * The baseline of baselines: each query as one hand-written single-threaded loop over the same
 * generator, no framework at all. Events come in index order, so event time never goes back and a
 * window can be closed as soon as an event at or after its end shows up. State lives in plain
 * Maps; rows go straight to the sink.
 */
import { NexmarkGenerator, type NexmarkConfig } from './generator.js';
import { AUCTION, BID, PERSON, type Bid } from './model.js';
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
  windowStart,
  type Q11Row,
  type Q2Row,
  type Q3Row,
  type Q4Row,
  type Q5Row,
  type Q8Row,
  type QueryName,
} from './queries.js';
import type { RowSink } from './checksum.js';

export function runFused(q: QueryName, config: Partial<NexmarkConfig>, sink: RowSink<never>): void {
  const gen = new NexmarkGenerator(config);
  const n = gen.config.events;
  if (n === Infinity) throw new Error('the fused loops need a bounded number of events');
  switch (q) {
    case 'q0':
      return q0(gen, n, sink as RowSink<Bid>);
    case 'q1':
      return q1(gen, n, sink as RowSink<Bid>);
    case 'q2':
      return q2(gen, n, sink as RowSink<Q2Row>);
    case 'q3':
      return q3(gen, n, sink as RowSink<Q3Row>);
    case 'q4':
      return q4(gen, n, sink as RowSink<Q4Row>);
    case 'q5':
      return q5(gen, n, sink as RowSink<Q5Row>);
    case 'q7':
      return q7(gen, n, sink as RowSink<Bid>);
    case 'q8':
      return q8(gen, n, sink as RowSink<Q8Row>);
    case 'q11':
      return q11(gen, n, sink as RowSink<Q11Row>);
  }
}

function q0(gen: NexmarkGenerator, n: number, sink: RowSink<Bid>): void {
  for (let i = 0; i < n; i++) {
    const e = gen.event(i);
    if (e.type === BID) sink.emit(e.bid!);
  }
}

function q1(gen: NexmarkGenerator, n: number, sink: RowSink<Bid>): void {
  for (let i = 0; i < n; i++) {
    const e = gen.event(i);
    if (e.type !== BID) continue;
    const b = e.bid!;
    sink.emit({ auction: b.auction, bidder: b.bidder, price: DOLLAR_TO_EURO * b.price, dateTime: b.dateTime, extra: b.extra });
  }
}

function q2(gen: NexmarkGenerator, n: number, sink: RowSink<Q2Row>): void {
  for (let i = 0; i < n; i++) {
    const e = gen.event(i);
    if (e.type === BID && e.bid!.auction % Q2_AUCTION_MODULUS === 0) sink.emit({ auction: e.bid!.auction, price: e.bid!.price });
  }
}

function q3(gen: NexmarkGenerator, n: number, sink: RowSink<Q3Row>): void {
  const persons = new Map<number, { name: string; city: string; state: string }>();
  const pending = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const e = gen.event(i);
    if (e.type === AUCTION) {
      const a = e.auction!;
      if (a.category !== Q3_CATEGORY) continue;
      const p = persons.get(a.seller);
      if (p) sink.emit({ name: p.name, city: p.city, state: p.state, id: a.id });
      else {
        const w = pending.get(a.seller);
        if (w) w.push(a.id);
        else pending.set(a.seller, [a.id]);
      }
    } else if (e.type === PERSON) {
      const p = e.person!;
      if (!Q3_STATES.has(p.state)) continue;
      persons.set(p.id, { name: p.name, city: p.city, state: p.state });
      const w = pending.get(p.id);
      if (w) {
        for (const id of w) sink.emit({ name: p.name, city: p.city, state: p.state, id });
        pending.delete(p.id);
      }
    }
  }
}

/** A binary min-heap of [time, id] pairs. */
export class TimeHeap {
  private readonly t: number[] = [];
  private readonly v: number[] = [];
  get size(): number {
    return this.t.length;
  }
  peekTime(): number {
    return this.t[0]!;
  }
  push(time: number, id: number): void {
    const t = this.t;
    const v = this.v;
    let i = t.length;
    t.push(time);
    v.push(id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (t[p]! <= time) break;
      t[i] = t[p]!;
      v[i] = v[p]!;
      i = p;
    }
    t[i] = time;
    v[i] = id;
  }
  /** Removes the earliest entry and returns its id. */
  pop(): number {
    const t = this.t;
    const v = this.v;
    const top = v[0]!;
    const lastT = t.pop()!;
    const lastV = v.pop()!;
    const n = t.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && t[c + 1]! < t[c]!) c++;
        if (t[c]! >= lastT) break;
        t[i] = t[c]!;
        v[i] = v[c]!;
        i = c;
      }
      t[i] = lastT;
      v[i] = lastV;
    }
    return top;
  }
}

interface OpenAuction {
  category: number;
  dateTime: number;
  expires: number;
  max: number;
}

/**
 * Winning bids (q4) over events in time order: an auction closes, and reports its best valid bid,
 * once event time passes its expiry. Bids that precede their auction (same millisecond, higher id)
 * wait for it.
 */
export class WinningBidsState {
  private readonly open = new Map<number, OpenAuction>();
  private readonly heap = new TimeHeap();
  private readonly early = new Map<number, { dateTime: number; price: number }[]>();
  private maxAuctionId = -1;
  private now = -Infinity;
  constructor(private readonly onWinner: (category: number, price: number) => void) {}

  /** Event time reached `now`: closes every auction that expired before it. */
  advance(now: number): void {
    if (now <= this.now) return;
    this.now = now;
    const heap = this.heap;
    while (heap.size > 0 && heap.peekTime() < now) this.close(heap.pop());
    if (this.early.size > 0) this.dropEarly(now);
  }
  auction(id: number, category: number, dateTime: number, expires: number): void {
    let max = -1;
    const early = this.early.get(id);
    if (early) {
      for (const b of early) if (b.dateTime >= dateTime && b.dateTime <= expires && b.price > max) max = b.price;
      this.early.delete(id);
    }
    if (id > this.maxAuctionId) this.maxAuctionId = id;
    this.open.set(id, { category, dateTime, expires, max });
    this.heap.push(expires, id);
  }
  bid(auction: number, dateTime: number, price: number): void {
    const a = this.open.get(auction);
    if (a) {
      if (dateTime >= a.dateTime && dateTime <= a.expires && price > a.max) a.max = price;
    } else if (auction > this.maxAuctionId) {
      const w = this.early.get(auction);
      if (w) w.push({ dateTime, price });
      else this.early.set(auction, [{ dateTime, price }]);
    }
  }
  /** Drops early bids that can no longer become valid (their auction would have a later time). */
  private dropEarly(now: number): void {
    for (const [id, bids] of this.early) if (bids[bids.length - 1]!.dateTime < now) this.early.delete(id);
  }
  private close(id: number): void {
    const a = this.open.get(id)!;
    this.open.delete(id);
    if (a.max >= 0) this.onWinner(a.category, a.max);
  }
  finish(): void {
    while (this.heap.size > 0) this.close(this.heap.pop());
  }
}

function q4(gen: NexmarkGenerator, n: number, sink: RowSink<Q4Row>): void {
  const sums = new Map<number, { sum: number; n: number }>();
  const st = new WinningBidsState((category, price) => {
    let s = sums.get(category);
    if (!s) sums.set(category, (s = { sum: 0, n: 0 }));
    s.sum += price;
    s.n++;
    sink.emit({ category, avg: s.sum / s.n });
  });
  for (let i = 0; i < n; i++) {
    const e = gen.event(i);
    if (e.type === PERSON) continue;
    st.advance(gen.timestamp(i));
    if (e.type === AUCTION) {
      const a = e.auction!;
      st.auction(a.id, a.category, a.dateTime, a.expires);
    } else {
      const b = e.bid!;
      st.bid(b.auction, b.dateTime, b.price);
    }
  }
  st.finish();
}

/** Open windows by start, closed in start order once event time reaches their end. */
class WindowRing<S> {
  private readonly windows = new Map<number, S>();
  private readonly starts: number[] = [];
  constructor(
    private readonly size: number,
    private readonly create: () => S,
    private readonly fire: (start: number, state: S) => void,
  ) {}
  get(start: number): S {
    let s = this.windows.get(start);
    if (s === undefined) {
      s = this.create();
      this.windows.set(start, s);
      // starts arrive in increasing order per slide position, but sliding windows open several at once
      let i = this.starts.length;
      this.starts.push(start);
      while (i > 0 && this.starts[i - 1]! > start) {
        this.starts[i] = this.starts[i - 1]!;
        i--;
      }
      this.starts[i] = start;
    }
    return s;
  }
  /** Fires every window whose last millisecond is before `now`. */
  advance(now: number): void {
    while (this.starts.length > 0 && this.starts[0]! + this.size <= now) this.fireFirst();
  }
  finish(): void {
    while (this.starts.length > 0) this.fireFirst();
  }
  private fireFirst(): void {
    const start = this.starts.shift()!;
    const s = this.windows.get(start)!;
    this.windows.delete(start);
    this.fire(start, s);
  }
}

function q5(gen: NexmarkGenerator, n: number, sink: RowSink<Q5Row>): void {
  const ring = new WindowRing<Map<number, number>>(
    Q5_SIZE,
    () => new Map(),
    (start, counts) => {
      let max = 0;
      for (const c of counts.values()) if (c > max) max = c;
      for (const [auction, c] of counts) if (c === max) sink.emit({ auction, num: c, start });
    },
  );
  let now = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = gen.event(i);
    if (e.type !== BID) continue;
    const b = e.bid!;
    const ts = b.dateTime;
    if (ts > now) ring.advance((now = ts));
    for (let start = windowStart(ts, Q5_SLIDE); start > ts - Q5_SIZE; start -= Q5_SLIDE) {
      const counts = ring.get(start);
      counts.set(b.auction, (counts.get(b.auction) ?? 0) + 1);
    }
  }
  ring.finish();
}

function q7(gen: NexmarkGenerator, n: number, sink: RowSink<Bid>): void {
  const ring = new WindowRing<{ price: number; bids: Bid[] }>(
    Q7_SIZE,
    () => ({ price: -1, bids: [] }),
    (_start, w) => {
      for (const b of w.bids) sink.emit(b);
    },
  );
  let now = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = gen.event(i);
    if (e.type !== BID) continue;
    const b = e.bid!;
    if (b.dateTime > now) ring.advance((now = b.dateTime));
    const w = ring.get(windowStart(b.dateTime, Q7_SIZE));
    if (b.price > w.price) {
      w.price = b.price;
      w.bids = [b];
    } else if (b.price === w.price) w.bids.push(b);
  }
  ring.finish();
}

function q8(gen: NexmarkGenerator, n: number, sink: RowSink<Q8Row>): void {
  const ring = new WindowRing<{ persons: Map<number, string>; sellers: Set<number> }>(
    Q8_SIZE,
    () => ({ persons: new Map(), sellers: new Set() }),
    (start, w) => {
      for (const [id, name] of w.persons) if (w.sellers.has(id)) sink.emit({ id, name, start });
    },
  );
  let now = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = gen.event(i);
    if (e.type === BID) continue;
    const ts = gen.timestamp(i);
    if (ts > now) ring.advance((now = ts));
    const w = ring.get(windowStart(ts, Q8_SIZE));
    if (e.type === PERSON) w.persons.set(e.person!.id, e.person!.name);
    else w.sellers.add(e.auction!.seller);
  }
  ring.finish();
}

function q11(gen: NexmarkGenerator, n: number, sink: RowSink<Q11Row>): void {
  const sessions = new Map<number, { start: number; last: number; count: number }>();
  const emit = (bidder: number, s: { start: number; last: number; count: number }): void =>
    sink.emit({ bidder, count: s.count, start: s.start, end: s.last + Q11_GAP });
  let sweepAt = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = gen.event(i);
    if (e.type !== BID) continue;
    const b = e.bid!;
    const ts = b.dateTime;
    if (ts >= sweepAt) {
      // close sessions nothing can extend any more, so state stays bounded
      for (const [bidder, s] of sessions) {
        if (s.last + Q11_GAP < ts) {
          emit(bidder, s);
          sessions.delete(bidder);
        }
      }
      sweepAt = ts + Q11_GAP;
    }
    const s = sessions.get(b.bidder);
    if (s === undefined) sessions.set(b.bidder, { start: ts, last: ts, count: 1 });
    else if (ts <= s.last + Q11_GAP) {
      s.last = ts;
      s.count++;
    } else {
      emit(b.bidder, s);
      s.start = s.last = ts;
      s.count = 1;
    }
  }
  for (const [bidder, s] of sessions) emit(bidder, s);
}
