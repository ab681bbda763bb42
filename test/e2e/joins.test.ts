/**
 * Windowed join and coGroup (where/equalTo/window/apply) and interval joins (between, exclusive
 * bounds, ProcessJoinFunction) end to end at parallelism 1 and 2 (test/programs/joins.ts), against
 * pairs computed here by nested loops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import { J_EVENTS, LOWER_MS, UPPER_MS, WINDOW_MS } from '../programs/joins-data.js';

const programs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs');
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );
const multiset = (rows: readonly unknown[] | undefined): string[] => (rows ?? []).map(canonical).sort();

const orders = J_EVENTS.filter((e) => e.side === 'O');
const payments = J_EVENTS.filter((e) => e.side === 'P');
const win = (ts: number): number => Math.floor(ts / WINDOW_MS);

const windowPairs = orders.flatMap((o) =>
  payments.filter((p) => p.k === o.k && win(p.ts) === win(o.ts)).map((p) => ({ k: o.k, o: o.id, p: p.id })),
);
const coGroups = (() => {
  const groups = new Map<string, { k: string; o: number[]; p: number[] }>();
  for (const e of J_EVENTS) {
    const id = `${e.k}@${win(e.ts)}`;
    const g = groups.get(id) ?? { k: e.k, o: [], p: [] };
    (e.side === 'O' ? g.o : g.p).push(e.id);
    groups.set(id, g);
  }
  return [...groups.values()];
})();
const intervalPairs = (lowerIncl: boolean, upperIncl: boolean) =>
  orders.flatMap((o) =>
    payments
      .filter((p) => {
        const d = p.ts - o.ts;
        return p.k === o.k && (lowerIncl ? d >= LOWER_MS : d > LOWER_MS) && (upperIncl ? d <= UPPER_MS : d < UPPER_MS);
      })
      .map((p) => ({ o, p })),
  );

test('the data have pairs on both bounds of the interval and keys with one side only in a window', () => {
  assert.ok(intervalPairs(true, true).length > intervalPairs(false, false).length, 'pairs exactly on a bound');
  assert.ok(coGroups.some((g) => g.o.length === 0 || g.p.length === 0));
});

for (const p of [1, 2]) {
  test(`join, coGroup and intervalJoin (parallelism ${p})`, async () => {
    const r = await runProgram({ program: path.join(programs, 'joins.ts'), parallelism: p });
    for (const j of r.results) assert.equal(j.status, 'FINISHED');
    const x = r.exports.results as Record<string, unknown[]>;
    assert.deepEqual(multiset(x.join), multiset(windowPairs), 'join(...).apply(JoinFunction)');
    assert.deepEqual(multiset(x['flat join']), multiset(windowPairs.filter((w) => (w.o + w.p) % 2 === 0)), 'FlatJoinFunction');
    assert.deepEqual(multiset(x['rich join']), multiset(windowPairs.map((w) => `n${w.o}-${w.p}`)), 'RichJoinFunction (opened)');
    assert.deepEqual(multiset(x.coGroup), multiset(coGroups), 'coGroup(...).apply(CoGroupFunction)');
    const interval = intervalPairs(true, true).map(({ o, p }) => ({ o: o.id, p: p.id, ts: Math.max(o.ts, p.ts), lt: o.ts, rt: p.ts }));
    assert.deepEqual(multiset(x.interval), multiset(interval), 'intervalJoin between(lower, upper)');
    assert.deepEqual(
      multiset(x['interval exclusive']),
      multiset(intervalPairs(false, false).map(({ o, p }) => ({ o: o.id, p: p.id }))),
      'lowerBoundExclusive / upperBoundExclusive',
    );
    for (const [ts, stamp] of x['interval stamps'] as [number, number][])
      assert.equal(stamp, ts, 'an interval join result carries max(left, right)');
  });
}
