/**
 * Count windows, windowAll, window field aggregations, user and built-in triggers, evictors,
 * windowState()/globalState() and dynamic session gaps, end to end at parallelism 1 and 2
 * (test/programs/windowing.ts): every result is checked against an answer computed here in plain
 * TypeScript. Element-triggered results are compared in order per key (a key lives on one subtask);
 * results fired by the watermark as multisets per key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import { W_EVENTS, sessionGap, type WEvent } from '../programs/windowing-data.js';

const programs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs');

type Row = Record<string, unknown> & { k?: string };

function groupBy<T>(xs: readonly T[], key: (x: T) => string | number): Map<string | number, T[]> {
  const m = new Map<string | number, T[]>();
  for (const x of xs) {
    const k = key(x);
    const l = m.get(k) ?? [];
    l.push(x);
    m.set(k, l);
  }
  return m;
}

const perKey = (rows: readonly unknown[]): Map<string | number, unknown[]> => groupBy(rows as Row[], (r) => r.k!);
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );
const multiset = (rows: readonly unknown[]): string[] => rows.map(canonical).sort();

function sameInOrderPerKey(actual: unknown, expected: readonly unknown[], what: string): void {
  assert.deepEqual(perKey(actual as unknown[]), perKey(expected), what);
}
function sameMultiset(actual: unknown, expected: readonly unknown[], what: string): void {
  assert.deepEqual(multiset(actual as unknown[]), multiset(expected), what);
}

// ---------------------------------------------------------------- independent answers

const byKey = groupBy(W_EVENTS, (e) => e.k) as Map<string, WEvent[]>;

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i + n <= xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

const fieldAgg = {
  sum: (els: WEvent[]) => ({ ...els[0]!, v: els.reduce((s, e) => s + e.v, 0) }),
  min: (els: WEvent[]) => ({ ...els[0]!, v: Math.min(...els.map((e) => e.v)) }),
  max: (els: WEvent[]) => ({ ...els[0]!, v: Math.max(...els.map((e) => e.v)) }),
  minBy: (els: WEvent[]) => els.find((e) => e.v === Math.min(...els.map((x) => x.v)))!,
  maxBy: (els: WEvent[]) => els.find((e) => e.v === Math.max(...els.map((x) => x.v)))!,
};

/** Per key, per tumbling window of `size` (in window order). */
function tumblingPerKey(size: number): { k: string; start: number; els: WEvent[] }[] {
  const out: { k: string; start: number; els: WEvent[] }[] = [];
  for (const [k, els] of byKey) {
    for (const [start, ws] of groupBy(els, (e) => Math.floor(e.ts / size) * size)) out.push({ k, start: start as number, els: ws });
  }
  return out;
}

/** Per key: `onEach(kept, event, count)` after each element; returns what it emits. */
function perKeyScan<R>(fn: (state: { kept: WEvent[]; count: number }, e: WEvent, out: R[]) => void): R[] {
  const out: R[] = [];
  for (const els of byKey.values()) {
    const state = { kept: [] as WEvent[], count: 0 };
    for (const e of els) {
      state.kept.push(e);
      state.count++;
      fn(state, e, out);
    }
  }
  return out;
}

const expected = {
  countTumbling: [...byKey.values()].flatMap((els) => chunks(els, 4).map(fieldAgg.sum)),
  countSliding: perKeyScan<{ k: string; vs: number[] }>((s, e, out) => {
    if (s.count % 2 === 0) out.push({ k: e.k, vs: s.kept.slice(-5).map((x) => x.v) });
  }),
  countAllMax: chunks(W_EVENTS, 10).map(fieldAgg.max),
  allTumbling: [...groupBy(W_EVENTS, (e) => Math.floor(e.ts / 5000) * 5000)].map(([start, els]) => ({
    start,
    n: els.length,
    sum: els.reduce((s, e) => s + e.v, 0),
  })),
  aggregations: Object.fromEntries(Object.entries(fieldAgg).map(([name, f]) => [name, tumblingPerKey(5000).map((w) => f(w.els))])),
  customTrigger: (() => {
    const out: { k: string; start: number; vs: number[] }[] = [];
    for (const w of tumblingPerKey(10_000)) {
      let buf: number[] = [];
      for (const e of w.els) {
        buf.push(e.v);
        if (e.v > 18) {
          out.push({ k: w.k, start: w.start, vs: buf });
          buf = [];
        }
      }
      if (buf.length > 0) out.push({ k: w.k, start: w.start, vs: buf });
    }
    return out;
  })(),
  perWindowState: (() => {
    const out: Row[] = [];
    for (const [k, els] of byKey) {
      let keyFires = 0;
      for (const [start, ws] of groupBy(els, (e) => Math.floor(e.ts / 10_000) * 10_000)) {
        for (let n = 3; n <= ws.length; n += 3) out.push({ k, start, n, windowFires: n / 3, keyFires: ++keyFires });
      }
    }
    return out;
  })(),
  dynamicSessions: (() => {
    const out: Row[] = [];
    for (const [k, els] of byKey) {
      let cur: { start: number; end: number; n: number } | undefined;
      for (const e of els) {
        const end = e.ts + sessionGap(e);
        if (cur !== undefined && e.ts <= cur.end) {
          cur.end = Math.max(cur.end, end);
          cur.n++;
        } else {
          if (cur) out.push({ k, ...cur });
          cur = { start: e.ts, end, n: 1 };
        }
      }
      if (cur) out.push({ k, ...cur });
    }
    return out;
  })(),
  deltaEvictor: perKeyScan<{ k: string; vs: number[] }>((s, e, out) => {
    if (s.count % 4 !== 0) return;
    const last = s.kept.at(-1)!;
    s.kept = s.kept.filter((x) => Math.abs(x.v - last.v) < 10);
    out.push({ k: e.k, vs: s.kept.map((x) => x.v) });
  }),
  timeEvictorAfter: perKeyScan<{ k: string; vs: number[] }>((s, e, out) => {
    if (s.count % 3 !== 0) return;
    out.push({ k: e.k, vs: s.kept.map((x) => x.v) });
    const newest = Math.max(...s.kept.map((x) => x.ts));
    s.kept = s.kept.filter((x) => x.ts > newest - 2000);
  }),
  countEvictorReduce: perKeyScan<WEvent>((s, e, out) => {
    if (s.count % 2 !== 0) return;
    s.kept = s.kept.slice(-3);
    out.push({ k: e.k, v: s.kept.reduce((a, x) => a + x.v, 0), ts: s.kept.at(-1)!.ts });
  }),
};

test('the data exercise every case (several windows, fires and evictions per key)', () => {
  assert.equal(byKey.size, 3);
  assert.ok(expected.customTrigger.length > expected.aggregations.sum!.length / 2);
  assert.ok(expected.dynamicSessions.length > 6 && expected.dynamicSessions.some((s) => (s.n as number) > 2));
  assert.ok(
    expected.deltaEvictor.some((r) => r.vs.length < 4),
    'the delta evictor removes elements',
  );
  assert.ok(
    expected.countSliding.some((r) => r.vs.length === 5),
    'sliding count windows reach their size',
  );
});

for (const p of [1, 2]) {
  test(`count windows, windowAll, field aggregations, triggers, evictors, window state, dynamic sessions (parallelism ${p})`, async () => {
    const r = await runProgram({ program: path.join(programs, 'windowing.ts'), parallelism: p });
    for (const j of r.results) assert.equal(j.status, 'FINISHED', `job '${j.jobName}'`);
    const x = r.exports.results as Record<string, unknown[]>;
    sameInOrderPerKey(x['count tumbling'], expected.countTumbling, 'countWindow(4).sum');
    sameInOrderPerKey(x['count sliding'], expected.countSliding, 'countWindow(5, 2)');
    assert.deepEqual(x['count all max'], expected.countAllMax, 'countWindowAll(10).max');
    assert.deepEqual(x['window all'], expected.allTumbling, 'windowAll(tumbling)');
    for (const name of Object.keys(fieldAgg)) sameInOrderPerKey(x[name], expected.aggregations[name]!, `window ${name}('v')`);
    sameInOrderPerKey(x['event time trigger'], expected.aggregations.sum!, 'trigger(EventTimeTrigger)');
    sameInOrderPerKey(x['purging event time trigger'], expected.aggregations.sum!, 'trigger(PurgingTrigger.of(EventTimeTrigger))');
    sameMultiset(x['custom trigger'], expected.customTrigger, 'a user Trigger');
    sameInOrderPerKey(x['window state'], expected.perWindowState, 'windowState()/globalState() with CountTrigger');
    sameMultiset(x['dynamic sessions'], expected.dynamicSessions, 'DynamicEventTimeSessionWindows');
    sameInOrderPerKey(x['delta evictor'], expected.deltaEvictor, 'DeltaEvictor');
    sameInOrderPerKey(x['time evictor after'], expected.timeEvictorAfter, 'TimeEvictor (evict after)');
    sameInOrderPerKey(x['count evictor reduce'], expected.countEvictorReduce, 'CountEvictor with reduce');
    sameInOrderPerKey(
      x.apply,
      tumblingPerKey(5000).map((w) => ({ k: w.k, start: w.start, n: w.els.length })),
      'apply(WindowFunction)',
    );
    assert.deepEqual(
      x['all reduce'],
      expected.allTumbling.map(({ start, sum }) => ({ start, sum })),
      'windowAll reduce + ProcessAllWindowFunction',
    );
    sameInOrderPerKey(x['end of stream'], [...byKey.values()].map(fieldAgg.sum), 'GlobalWindows.createWithEndOfStreamTrigger()');
    const job = r.results[0]!;
    assert.ok(
      job.vertices.some((v) => /GlobalWindows/.test(v.name) && v.parallelism === 1),
      'windowAll runs as one subtask',
    );
  });
}
