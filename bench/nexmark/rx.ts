/**
 * The queries as RxJS pipelines over the same generator (single-threaded, push-based, no
 * serialization, no keyed state backend). RxJS has no event time, so the pipelines carry a clock:
 * a Subject that ticks with the event time of the events seen so far, and windows are `groupBy`
 * groups whose duration ends when the clock reaches the window's end. Joins keep their state per
 * group (q3) or in a custom operator (q4's winning bids, which close on the clock).
 */
import {
  Observable,
  Subject,
  connect,
  filter,
  groupBy,
  last,
  map,
  merge,
  mergeMap,
  reduce,
  scan,
  tap,
  type MonoTypeOperatorFunction,
  type OperatorFunction,
} from 'rxjs';
import { NexmarkGenerator, type NexmarkConfig } from './generator.js';
import { AUCTION, BID, PERSON, eventTime, type Bid, type NexmarkEvent } from './model.js';
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
  type Q3Row,
  type Q4Row,
  type Q5Row,
  type Q8Row,
  type QueryName,
} from './queries.js';
import { WinningBidsState } from './fused.js';

/** The generator as a synchronous Observable. */
export function events$(config: Partial<NexmarkConfig>): Observable<NexmarkEvent> {
  return new Observable<NexmarkEvent>((sub) => {
    const gen = new NexmarkGenerator(config);
    const n = gen.config.events;
    for (let i = 0; i < n && !sub.closed; i++) sub.next(gen.event(i));
    sub.complete();
  });
}

/** Event time seen so far: ticks (only forward) before the event that moved it is passed on. */
class Clock {
  readonly ticks = new Subject<number>();
  private now = -Infinity;
  advance<T>(time: (v: T) => number): MonoTypeOperatorFunction<T> {
    return tap((v: T) => {
      const t = time(v);
      if (t > this.now) {
        this.now = t;
        this.ticks.next(t);
      }
    });
  }
  /** Emits once event time reaches `t`. */
  reaches(t: number): Observable<number> {
    return this.ticks.pipe(filter((now) => now >= t));
  }
}

const isBid = (e: NexmarkEvent): boolean => e.type === BID;
const toBid = (e: NexmarkEvent): Bid => e.bid!;

export function rxQuery(q: QueryName, config: Partial<NexmarkConfig>): Observable<unknown> {
  const events = events$(config);
  const clock = new Clock();
  switch (q) {
    case 'q0':
      return events.pipe(filter(isBid), map(toBid));
    case 'q1':
      return events.pipe(
        filter(isBid),
        map(toBid),
        map((b) => ({ auction: b.auction, bidder: b.bidder, price: DOLLAR_TO_EURO * b.price, dateTime: b.dateTime, extra: b.extra })),
      );
    case 'q2':
      return events.pipe(
        filter(isBid),
        map(toBid),
        filter((b) => b.auction % Q2_AUCTION_MODULUS === 0),
        map((b) => ({ auction: b.auction, price: b.price })),
      );
    case 'q3':
      return events.pipe(
        filter((e) => (e.type === AUCTION && e.auction!.category === Q3_CATEGORY) || (e.type === PERSON && Q3_STATES.has(e.person!.state))),
        groupBy((e) => (e.type === AUCTION ? e.auction!.seller : e.person!.id)),
        mergeMap((g) => {
          // per seller: the person once seen, the auctions that came before it
          let person: { name: string; city: string; state: string } | undefined;
          const waiting: number[] = [];
          return g.pipe(
            mergeMap((e): Q3Row[] => {
              if (e.type === PERSON) {
                const p = e.person!;
                person = { name: p.name, city: p.city, state: p.state };
                return waiting.splice(0).map((id) => ({ name: p.name, city: p.city, state: p.state, id }));
              }
              if (person) return [{ name: person.name, city: person.city, state: person.state, id: e.auction!.id }];
              waiting.push(e.auction!.id);
              return [];
            }),
          );
        }),
      );
    case 'q4':
      return events.pipe(
        filter((e) => e.type !== PERSON),
        winningBids(),
        groupBy((w) => w.category),
        mergeMap((g) =>
          g.pipe(
            scan((acc, w) => ({ sum: acc.sum + w.price, n: acc.n + 1 }), { sum: 0, n: 0 }),
            map((acc): Q4Row => ({ category: g.key, avg: acc.sum / acc.n })),
          ),
        ),
      );
    case 'q5':
      return events.pipe(
        filter(isBid),
        map(toBid),
        clock.advance((b: Bid) => b.dateTime),
        mergeMap((b) => {
          const out: { start: number; auction: number }[] = [];
          for (let s = windowStart(b.dateTime, Q5_SLIDE); s > b.dateTime - Q5_SIZE; s -= Q5_SLIDE)
            out.push({ start: s, auction: b.auction });
          return out;
        }),
        groupBy((x) => x.start, { element: (x) => x.auction, duration: (g) => clock.reaches(g.key + Q5_SIZE) }),
        mergeMap((g) =>
          g.pipe(
            reduce((counts, auction) => counts.set(auction, (counts.get(auction) ?? 0) + 1), new Map<number, number>()),
            mergeMap((counts) => {
              let max = 0;
              for (const c of counts.values()) if (c > max) max = c;
              const rows: Q5Row[] = [];
              for (const [auction, num] of counts) if (num === max) rows.push({ auction, num, start: g.key });
              return rows;
            }),
          ),
        ),
      );
    case 'q7':
      return events.pipe(
        filter(isBid),
        map(toBid),
        clock.advance((b: Bid) => b.dateTime),
        groupBy((b) => windowStart(b.dateTime, Q7_SIZE), { duration: (g) => clock.reaches(g.key + Q7_SIZE) }),
        mergeMap((g) =>
          g.pipe(
            reduce(
              (acc, b) => {
                if (b.price > acc.price) {
                  acc.price = b.price;
                  acc.bids = [b];
                } else if (b.price === acc.price) acc.bids.push(b);
                return acc;
              },
              { price: -1, bids: [] as Bid[] },
            ),
            mergeMap((acc) => acc.bids),
          ),
        ),
      );
    case 'q8':
      return events.pipe(
        filter((e) => e.type !== BID),
        clock.advance(eventTime),
        groupBy((e) => windowStart(eventTime(e), Q8_SIZE), { duration: (g) => clock.reaches(g.key + Q8_SIZE) }),
        mergeMap((g) =>
          g.pipe(
            reduce(
              (w, e) => {
                if (e.type === PERSON) w.persons.set(e.person!.id, e.person!.name);
                else w.sellers.add(e.auction!.seller);
                return w;
              },
              { persons: new Map<number, string>(), sellers: new Set<number>() },
            ),
            mergeMap((w) => {
              const rows: Q8Row[] = [];
              for (const [id, name] of w.persons) if (w.sellers.has(id)) rows.push({ id, name, start: g.key });
              return rows;
            }),
          ),
        ),
      );
    case 'q11':
      return events.pipe(
        filter(isBid),
        map(toBid),
        groupBy((b) => b.bidder),
        mergeMap((g) =>
          g.pipe(
            // the open session, and the one the latest bid closed (if it did)
            scan(
              (s, b) => {
                if (s.count > 0 && b.dateTime <= s.last + Q11_GAP) {
                  s.closed = undefined;
                  s.last = b.dateTime;
                  s.count++;
                } else {
                  s.closed = s.count > 0 ? { bidder: g.key, count: s.count, start: s.start, end: s.last + Q11_GAP } : undefined;
                  s.start = s.last = b.dateTime;
                  s.count = 1;
                }
                return s;
              },
              { start: 0, last: 0, count: 0, closed: undefined as Q11Row | undefined },
            ),
            connect((s) =>
              merge(
                s.pipe(
                  filter((x) => x.closed !== undefined),
                  map((x) => x.closed!),
                ),
                s.pipe(
                  last(),
                  map((x): Q11Row => ({ bidder: g.key, count: x.count, start: x.start, end: x.last + Q11_GAP })),
                ),
              ),
            ),
          ),
        ),
      );
  }
}

/** Winning bids (q4): auctions close when event time passes their expiry; a custom operator over the shared state machine. */
function winningBids(): OperatorFunction<NexmarkEvent, { category: number; price: number }> {
  return (source) =>
    new Observable<{ category: number; price: number }>((sub) => {
      const st = new WinningBidsState((category, price) => sub.next({ category, price }));
      return source.subscribe({
        next(e) {
          st.advance(eventTime(e));
          if (e.type === AUCTION) {
            const a = e.auction!;
            st.auction(a.id, a.category, a.dateTime, a.expires);
          } else {
            const b = e.bid!;
            st.bid(b.auction, b.dateTime, b.price);
          }
        },
        error: (err: unknown) => sub.error(err),
        complete() {
          st.finish();
          sub.complete();
        },
      });
    });
}
