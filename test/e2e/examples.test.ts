/**
 * Every program in examples/ runs through runProgram (what `weir run` does) at parallelism 1 and 2,
 * and its FileSink output must equal an answer computed here, independently, in plain TypeScript
 * from the same input (the example's data module or input files). Records are compared as
 * multisets: part files and subtasks interleave freely.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import {
  ALLOWED_LATENESS_MS,
  OUT_OF_ORDERNESS_MS,
  SENSOR_READINGS,
  WINDOW_MS,
  type SensorReading,
} from '../../examples/data/sensor-events.js';
import { CLICKS, SESSION_GAP_MS } from '../../examples/data/clicks.js';
import { CUSTOMERS, ORDERS } from '../../examples/data/shop.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const example = (name: string): string => path.join(root, 'examples', name);

// ---------------------------------------------------------------- helpers

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `weir-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Every record of the committed part files in `dir`; no in-progress file may be left behind. */
function readJsonLines<T = unknown>(dir: string): T[] {
  if (!fs.existsSync(dir)) return [];
  const names = fs.readdirSync(dir);
  assert.deepEqual(
    names.filter((n) => n.includes('inprogress')),
    [],
    `in-progress part files left in ${dir}`,
  );
  const out: T[] = [];
  for (const n of names.filter((x) => /^part-.*\.jsonl$/.test(x)).sort()) {
    for (const line of fs.readFileSync(path.join(dir, n), 'utf8').split('\n')) if (line !== '') out.push(JSON.parse(line) as T);
  }
  return out;
}

/** JSON with sorted object keys: equal records give equal strings whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

function assertSameMultiset(actual: readonly unknown[], expected: readonly unknown[], what: string): void {
  const sort = (xs: readonly unknown[]): unknown[] => xs.map(canonical).sort();
  assert.deepStrictEqual(sort(actual), sort(expected), what);
}

async function runExample(name: string, parallelism: number, args: string[]): Promise<void> {
  const run = await runProgram({ program: example(name), args, parallelism });
  assert.ok(run.results.length > 0, `${name} ran no job`);
  for (const r of run.results) assert.equal(r.status, 'FINISHED', `${name}: job '${r.jobName}' ended ${r.status}`);
}

// ---------------------------------------------------------------- independent answers

function expectedWordCounts(dir: string): { word: string; n: number }[] {
  const counts = new Map<string, number>();
  for (const f of fs.readdirSync(dir)) {
    for (const w of fs.readFileSync(path.join(dir, f), 'utf8').split(/\W+/)) {
      if (w) counts.set(w.toLowerCase(), (counts.get(w.toLowerCase()) ?? 0) + 1);
    }
  }
  return [...counts].map(([word, n]) => ({ word, n }));
}

/**
 * Flink's event-time semantics for tumbling windows with allowed lateness, driven by a watermark of
 * `max timestamp - bound` emitted after each record (so a record is judged by the watermark before it):
 * - a record is late (side output) when its window's end - 1 + lateness <= watermark;
 * - otherwise it is added; if the watermark already passed end - 1 the window fires again at once;
 * - a window fires when the watermark reaches end - 1, and every unfired window fires at the end of input.
 */
function expectedWindowCounts(): { windows: { sensor: string; start: number; end: number; count: number }[]; late: SensorReading[] } {
  const windows: { sensor: string; start: number; end: number; count: number }[] = [];
  const late: SensorReading[] = [];
  const open = new Map<string, { sensor: string; start: number; end: number; count: number; fired: boolean }>();
  let maxTs = -Infinity;
  let watermark = -Infinity;
  const advance = (wm: number): void => {
    if (wm <= watermark) return;
    watermark = wm;
    for (const [k, w] of open) {
      if (!w.fired && w.end - 1 <= watermark) {
        w.fired = true;
        windows.push({ sensor: w.sensor, start: w.start, end: w.end, count: w.count });
      }
      if (w.end - 1 + ALLOWED_LATENESS_MS <= watermark) open.delete(k);
    }
  };
  for (const r of SENSOR_READINGS) {
    const start = Math.floor(r.ts / WINDOW_MS) * WINDOW_MS;
    const end = start + WINDOW_MS;
    if (end - 1 + ALLOWED_LATENESS_MS <= watermark) late.push(r);
    else {
      const key = `${r.sensor}/${start}`;
      const w = open.get(key) ?? { sensor: r.sensor, start, end, count: 0, fired: false };
      open.set(key, w);
      w.count++;
      if (end - 1 <= watermark) windows.push({ sensor: w.sensor, start, end, count: w.count });
    }
    maxTs = Math.max(maxTs, r.ts);
    advance(maxTs - OUT_OF_ORDERNESS_MS);
  }
  advance(Number.MAX_SAFE_INTEGER);
  return { windows, late };
}

/** A user's clicks split where the gap to the previous click is SESSION_GAP_MS or more. */
function expectedSessions(): { user: string; start: number; end: number; clicks: number; pages: string[] }[] {
  const byUser = new Map<string, typeof CLICKS>();
  for (const c of CLICKS) byUser.set(c.user, [...(byUser.get(c.user) ?? []), c]);
  const out: { user: string; start: number; end: number; clicks: number; pages: string[] }[] = [];
  for (const [user, clicks] of byUser) {
    clicks.sort((a, b) => a.ts - b.ts);
    let cur: (typeof out)[number] | undefined;
    for (const c of clicks) {
      if (cur && c.ts - cur.end < SESSION_GAP_MS) {
        cur.end = c.ts;
        cur.clicks++;
        cur.pages.push(c.page);
      } else {
        if (cur) out.push(cur);
        cur = { user, start: c.ts, end: c.ts, clicks: 1, pages: [c.page] };
      }
    }
    if (cur) out.push(cur);
  }
  return out;
}

function expectedJoin(): { orderId: number; amount: number; customerId: string; name: string; country: string }[] {
  return ORDERS.flatMap((o) =>
    CUSTOMERS.filter((c) => c.customerId === o.customerId).map((c) => ({
      orderId: o.orderId,
      amount: o.amount,
      customerId: c.customerId,
      name: c.name,
      country: c.country,
    })),
  );
}

// ---------------------------------------------------------------- sanity of the answers themselves

test('the example data exercise what the examples show', () => {
  const { windows, late } = expectedWindowCounts();
  assert.ok(late.length >= 2, 'some readings are too late');
  const refired = windows.filter((w, i) => windows.findIndex((x) => x.sensor === w.sensor && x.start === w.start) !== i);
  assert.ok(refired.length >= 2, 'some windows fire again for late-but-allowed readings');
  const sessions = expectedSessions();
  assert.ok(sessions.some((s) => s.clicks > 1) && new Set(sessions.map((s) => s.user)).size < sessions.length);
  assert.ok(expectedJoin().length < ORDERS.length, 'one order has no customer');
});

// ---------------------------------------------------------------- the examples

for (const parallelism of [1, 2]) {
  test(`word-count at parallelism ${parallelism}`, async () => {
    const out = tempDir('word-count');
    const input = path.join(root, 'examples/data/words');
    await runExample('word-count.ts', parallelism, [input, out]);
    const expected = expectedWordCounts(input);
    assert.ok(expected.length > 50);
    assertSameMultiset(readJsonLines(out), expected, 'word counts');
  });

  test(`event-time-windows at parallelism ${parallelism}`, async () => {
    const out = tempDir('event-time-windows');
    await runExample('event-time-windows.ts', parallelism, [out]);
    const expected = expectedWindowCounts();
    assertSameMultiset(readJsonLines(path.join(out, 'windows')), expected.windows, 'window counts (with re-fired windows)');
    assertSameMultiset(readJsonLines(path.join(out, 'late')), expected.late, 'late readings');
  });

  test(`sessions at parallelism ${parallelism}`, async () => {
    const out = tempDir('sessions');
    await runExample('sessions.ts', parallelism, [out]);
    assertSameMultiset(readJsonLines(out), expectedSessions(), 'session summaries');
  });

  test(`connect-join at parallelism ${parallelism}`, async () => {
    const out = tempDir('connect-join');
    await runExample('connect-join.ts', parallelism, [out]);
    assertSameMultiset(readJsonLines(out), expectedJoin(), 'enriched orders');
  });
}
