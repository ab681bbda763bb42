/**
 * The DataStream API of DESIGN §5, end to end: each program in test/programs/ runs through
 * runProgram at parallelism 1 and 2 and writes its results with FileSink (one directory per
 * result); every result is checked against an answer computed here in plain TypeScript.
 * Rolling (per record) results are checked in order per key: a key lives on one subtask, whose part
 * file keeps that order.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram, type ProgramRun } from '../../dist/client/run-program.js';
import { LATE_EVENTS, LATE_EXPECTED, NUMBERS, PURCHASES, READINGS, WINDOW_EVENTS, type Ev, type Reading } from '../programs/data.js';

const programs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs');
const PARALLELISMS = [1, 2];
const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------- helpers

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs test/programs/<name>.ts with `<out dir> <parallelism> ...cases`; every job must finish. */
async function run(name: string, parallelism: number, cases: string[] = []): Promise<{ dir: string; run: ProgramRun }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `weir-api-${name}-p${parallelism}-`));
  tempDirs.push(dir);
  const r = await runProgram({ program: path.join(programs, `${name}.ts`), args: [dir, String(parallelism), ...cases], parallelism });
  for (const j of r.results) if (j.jobName !== 'endless job') assert.equal(j.status, 'FINISHED', `job '${j.jobName}' ended ${j.status}`);
  return { dir, run: r };
}

/** The records of the committed part files under dir/name, part file by part file, in file order. */
function read<T = unknown>(dir: string, name: string): T[] {
  const d = path.join(dir, name);
  if (!fs.existsSync(d)) return [];
  const files = fs.readdirSync(d);
  assert.deepEqual(
    files.filter((f) => f.includes('inprogress')),
    [],
    `in-progress files left in ${d}`,
  );
  const out: T[] = [];
  for (const f of files.filter((x) => /^part-.*\.jsonl$/.test(x)).sort()) {
    for (const line of fs.readFileSync(path.join(d, f), 'utf8').split('\n')) if (line) out.push(JSON.parse(line) as T);
  }
  return out;
}

function readReport<T>(dir: string, name: string): T | undefined {
  const f = path.join(dir, 'reports', `${name}.json`);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as T) : undefined;
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

function sameMultiset(actual: readonly unknown[], expected: readonly unknown[], what: string): void {
  const sort = (xs: readonly unknown[]): string[] => xs.map(canonical).sort();
  assert.deepStrictEqual(sort(actual), sort(expected), what);
}

/** Records grouped by key, each group in arrival order. */
function byKey<T>(records: readonly T[], key: (r: T) => string): Record<string, T[]> {
  const m: Record<string, T[]> = {};
  for (const r of records) (m[key(r)] ??= []).push(r);
  return m;
}

/** The running results of a per-key fold, in order, per key. */
function rolling<T, R>(input: readonly T[], key: (r: T) => string, first: (r: T) => R, step: (acc: R, r: T) => R): Record<string, R[]> {
  const acc = new Map<string, R>();
  const out: Record<string, R[]> = {};
  for (const r of input) {
    const k = key(r);
    const next = acc.has(k) ? step(acc.get(k)!, r) : first(r);
    acc.set(k, next);
    (out[k] ??= []).push(next);
  }
  return out;
}

function lastPerKey<T>(records: readonly T[], key: (r: T) => string): T[] {
  return Object.values(byKey(records, key)).map((rs) => rs[rs.length - 1]!);
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Tumbling event-time windows of `size` with a watermark = largest timestamp so far after each record. */
function tumblingWithPunctuatedWatermark(
  timestamps: number[],
  size: number,
  lateness: number,
): { windows: { start: number; count: number }[]; late: number[] } {
  const windows: { start: number; count: number }[] = [];
  const late: number[] = [];
  const open = new Map<number, { count: number; fired: boolean }>();
  let wm = -Infinity;
  const advance = (to: number): void => {
    if (to <= wm) return;
    wm = to;
    for (const [start, w] of open) {
      if (!w.fired && start + size - 1 <= wm) {
        w.fired = true;
        windows.push({ start, count: w.count });
      }
      if (start + size - 1 + lateness <= wm) open.delete(start);
    }
  };
  let max = -Infinity;
  for (const ts of timestamps) {
    const start = Math.floor(ts / size) * size;
    if (start + size - 1 + lateness <= wm) late.push(ts);
    else {
      const w = open.get(start) ?? { count: 0, fired: false };
      open.set(start, w);
      w.count++;
      if (start + size - 1 <= wm) windows.push({ start, count: w.count });
    }
    advance((max = Math.max(max, ts)));
  }
  advance(MAX_WATERMARK);
  return { windows, late };
}

/** Every window of each key with its events, for tumbling/sliding assigners (window starts of a timestamp). */
function windowsOf(
  events: readonly Ev[],
  starts: (ts: number) => number[],
  size: number,
): { key: string; start: number; end: number; events: Ev[] }[] {
  const m = new Map<string, { key: string; start: number; end: number; events: Ev[] }>();
  for (const e of events) {
    for (const start of starts(e.ts)) {
      const id = `${e.key}/${start}`;
      if (!m.has(id)) m.set(id, { key: e.key, start, end: start + size, events: [] });
      m.get(id)!.events.push(e);
    }
  }
  return [...m.values()];
}
const tumblingStarts = (size: number) => (ts: number) => [Math.floor(ts / size) * size];
const slidingStarts = (size: number, slide: number) => (ts: number) => {
  const out: number[] = [];
  for (let s = Math.floor(ts / slide) * slide; s > ts - size; s -= slide) out.push(s);
  return out;
};

/** Session windows (Flink): [ts, ts + gap) per record, merged while they overlap or touch. */
function sessions(events: readonly Ev[], gap: number): { key: string; start: number; end: number; events: Ev[] }[] {
  const out: { key: string; start: number; end: number; events: Ev[] }[] = [];
  for (const [key, es] of Object.entries(byKey(events, (e) => e.key))) {
    const sorted = es.slice().sort((a, b) => a.ts - b.ts);
    let cur: (typeof out)[number] | undefined;
    for (const e of sorted) {
      if (cur && e.ts <= cur.end) {
        cur.end = Math.max(cur.end, e.ts + gap);
        cur.events.push(e);
      } else {
        if (cur) out.push(cur);
        cur = { key, start: e.ts, end: e.ts + gap, events: [e] };
      }
    }
    if (cur) out.push(cur);
  }
  return out;
}

const RUNNING = ['INITIALIZING', 'CREATED', 'RUNNING'];

// ---------------------------------------------------------------- transforms

async function checkTransforms(t: TestContext, p: number): Promise<void> {
  const { dir, run: r } = await run('transforms', p);
  const jobId = (r.exports.result as { jobId: string }).jobId;

  await t.test('map, filter, flatMap', () => {
    sameMultiset(
      read(dir, 'map'),
      NUMBERS.map((n) => n * 10),
      'map',
    );
    sameMultiset(
      read(dir, 'filter'),
      NUMBERS.filter((n) => n % 3 === 0),
      'filter',
    );
    sameMultiset(
      read(dir, 'flatMap'),
      NUMBERS.flatMap((n) => range(n % 3).map((i) => `${n}.${i}`)),
      'flatMap',
    );
  });
  await t.test('process with side outputs', () => {
    sameMultiset(
      read(dir, 'process-main'),
      NUMBERS.filter((n) => n % 2 === 0),
      'main output',
    );
    sameMultiset(
      read(dir, 'process-odd'),
      NUMBERS.filter((n) => n % 2 === 1).map((n) => `odd-${n}`),
      'side output odd',
    );
    sameMultiset(
      read(dir, 'process-big'),
      NUMBERS.filter((n) => n > 25).map((n) => ({ n, ts: null })),
      'side output big',
    );
    sameMultiset(read(dir, 'process-fn'), [-1, -2, -3], 'process with a plain function');
  });
  await t.test('keyBy + reduce emits the running value per key, in order', () => {
    const expected = rolling(
      READINGS,
      (r) => r.key,
      (r) => r,
      (a, b) => ({ key: a.key, v: a.v + b.v, w: Math.max(a.w, b.w), id: b.id }),
    );
    assert.deepStrictEqual(
      byKey(read<Reading>(dir, 'reduce'), (r) => r.key),
      expected,
    );
  });
  await t.test('sum/min/max change only the field; minBy/maxBy keep the first record with the extreme', () => {
    const first = (r: Reading): Reading => r;
    const key = (r: Reading): string => r.key;
    const expected: Record<string, Record<string, Reading[]>> = {
      sum: rolling(READINGS, key, first, (a, b) => ({ ...a, v: a.v + b.v })),
      min: rolling(READINGS, key, first, (a, b) => ({ ...a, v: Math.min(a.v, b.v) })),
      max: rolling(READINGS, key, first, (a, b) => ({ ...a, v: Math.max(a.v, b.v) })),
      minBy: rolling(READINGS, key, first, (a, b) => (b.v < a.v ? b : a)),
      maxBy: rolling(READINGS, key, first, (a, b) => (b.v > a.v ? b : a)),
    };
    for (const [name, exp] of Object.entries(expected)) assert.deepStrictEqual(byKey(read<Reading>(dir, name), key), exp, name);
    assert.deepStrictEqual(
      byKey(read<[string, number]>(dir, 'sum-tuple'), (t) => t[0]),
      rolling(
        READINGS,
        key,
        (r): [string, number] => [r.key, r.w],
        (a, b): [string, number] => [a[0], a[1] + b.w],
      ),
      'sum(1) on arrays',
    );
  });
  await t.test('union', () => {
    sameMultiset(
      read(dir, 'union'),
      [1, 2, 3, 100, 101, ...range(10).map((i) => 1000 + i)].map((n) => n + 0.5),
      'union',
    );
  });
  await t.test('rich functions: open() once per subtask before records, close() once after', () => {
    const tagged = read<{ n: number; subtask: number; parallelism: number; opens: number }>(dir, 'rich-map');
    sameMultiset(
      tagged.map((x) => x.n),
      NUMBERS,
      'every record once',
    );
    for (const x of tagged) {
      assert.equal(x.opens, 1, 'open() ran exactly once before the record');
      assert.equal(x.parallelism, p);
      assert.ok(x.subtask >= 0 && x.subtask < p);
    }
    for (let s = 0; s < p; s++) {
      const rep = readReport<{ opens: number; closes: number; records: number; task: string; jobId: string }>(dir, `rich-map-${s}`);
      assert.ok(rep, `subtask ${s} closed its function`);
      assert.deepEqual(
        { opens: rep.opens, closes: rep.closes, records: rep.records, jobId: rep.jobId },
        { opens: 1, closes: 1, records: tagged.filter((x) => x.subtask === s).length, jobId },
      );
      assert.match(rep.task, /rich map/);
    }
    sameMultiset(
      read(dir, 'rich-filter-flatmap'),
      NUMBERS.filter((n) => n % 2 === 0).flatMap((n) => [2 * n, 2 * n + 1]),
      'RichFilterFunction + RichFlatMapFunction',
    );
  });
}

// ---------------------------------------------------------------- keyed state

async function checkState(t: TestContext, p: number): Promise<void> {
  const { dir } = await run('state', p);
  await t.test('ValueState, ListState, MapState, ReducingState, AggregatingState per key', () => {
    // the same bookkeeping with plain variables per user
    const users = new Map<
      string,
      { count: number; last: string | null; items: string[]; perItem: Map<string, number>; amounts: number[] }
    >();
    const fresh = () => ({ count: 0, last: null, items: [] as string[], perItem: new Map<string, number>(), amounts: [] as number[] });
    const expected: Record<string, unknown[]> = {};
    for (const pu of PURCHASES) {
      let s = users.get(pu.user) ?? fresh();
      if (pu.item === 'reset') s = fresh();
      else {
        s.count++;
        s.last = pu.item;
        s.items.push(pu.item);
        if (pu.amount >= 5) s.items.push(`${pu.item}!`);
        s.items = s.items.slice(-4);
        s.perItem.set(pu.item, (s.perItem.get(pu.item) ?? 0) + pu.amount);
        if (pu.item === 'plum') s.perItem.delete('apple');
        s.amounts.push(pu.amount);
      }
      users.set(pu.user, s);
      (expected[pu.user] ??= []).push({
        user: pu.user,
        key: pu.user,
        count: s.count,
        last: s.last,
        items: [...s.items],
        perItem: [...s.perItem].sort(([a], [b]) => (a < b ? -1 : 1)),
        hasFig: s.perItem.has('fig'),
        empty: s.perItem.size === 0,
        total: s.amounts.length ? sum(s.amounts) : null,
        average: s.amounts.length ? sum(s.amounts) / s.amounts.length : null,
      });
    }
    assert.deepStrictEqual(
      byKey(read<{ user: string }>(dir, 'snapshots'), (x) => x.user),
      expected,
    );
  });
  await t.test('keyed state in a rich map on a KeyedStream', () => {
    const expected = rolling(
      PURCHASES,
      (x) => x.user,
      (x) => ({ user: x.user, nth: 1 }),
      (a) => ({ user: a.user, nth: a.nth + 1 }),
    );
    assert.deepStrictEqual(
      byKey(read<{ user: string }>(dir, 'keyed-map'), (x) => x.user),
      expected,
    );
  });
}

// ---------------------------------------------------------------- time

async function checkTime(t: TestContext, p: number): Promise<void> {
  const { dir, run: r } = await run('time', p);
  const TIMER_EVENTS = r.exports.TIMER_EVENTS as { key: string; ts: number }[];
  const BOUND_MS = r.exports.BOUND_MS as number;

  await t.test('event-time timers: once per key and time, deleted ones never, output stamped with the timer', () => {
    const timers = new Set(TIMER_EVENTS.map((e) => `${e.key}/${e.ts + 100}`));
    const expected = [
      ...TIMER_EVENTS.map((e) => ({ kind: 'element', key: e.key, ts: e.ts, recordTs: e.ts })),
      ...[...timers].map((id) => {
        const [key, time] = id.split('/');
        const timer = Number(time);
        return { kind: 'timer', key, timer, domain: 'EVENT_TIME', ctxTimestamp: timer, watermarkReached: true, recordTs: timer };
      }),
    ];
    sameMultiset(read(dir, 'event-timers'), expected, 'elements and timers');
  });
  await t.test('processing-time timers in STREAMING fire once each, at or after their time', () => {
    const rows = read<{ kind: string; key: number; time: number; domain?: string; due?: boolean }>(dir, 'processing-timers');
    const registered = new Set(rows.filter((x) => x.kind === 'registered').map((x) => `${x.key}/${x.time}`));
    const fired = rows.filter((x) => x.kind === 'fired');
    assert.ok(registered.size > 0, 'some timers were registered');
    sameMultiset(
      fired.map((x) => `${x.key}/${x.time}`),
      [...registered],
      'every registered timer fired exactly once; deleted ones never',
    );
    for (const f of fired) {
      assert.equal(f.domain, 'PROCESSING_TIME');
      assert.equal(f.due, true, `timer ${f.time} fired before currentProcessingTime() reached it`);
    }
  });
  await t.test('BATCH: event time ends and processing-time timers fire at the end of input', () => {
    const counts = new Map<string, number>();
    for (const e of TIMER_EVENTS) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
    const expected = [...counts].flatMap(([key, count]) => [
      { key, domain: 'EVENT_TIME', count, watermark: 'MAX', eventTimer: 1_000_000 },
      { key, domain: 'PROCESSING_TIME', count, watermark: 'MAX', eventTimer: null },
    ]);
    sameMultiset(read(dir, 'batch-timers'), expected, 'batch timers');
  });
  await t.test('forMonotonousTimestamps and forBoundedOutOfOrderness: watermark = max ts - bound - 1, never ahead of a record', () => {
    const cases = [
      { name: 'monotonous', ts: (i: number) => i * 10, bound: 0 },
      { name: 'bounded', ts: (i: number) => i * 10 - (i % 4) * 15, bound: BOUND_MS },
    ];
    for (const c of cases) {
      const rows = read<{ i: number; ts: number; watermark: number | null }>(dir, c.name);
      sameMultiset(
        rows.map((x) => x.i),
        range(60),
        `${c.name}: every record once`,
      );
      const timestamps = new Set(range(60).map(c.ts));
      for (const x of rows) {
        assert.equal(x.ts, c.ts(x.i), `${c.name}: timestamp from the assigner`);
        if (x.watermark === null) continue;
        assert.ok(x.ts > x.watermark, `${c.name}: record ${x.i} (ts ${x.ts}) is behind the watermark ${x.watermark}`);
        assert.ok(
          timestamps.has(x.watermark + c.bound + 1),
          `${c.name}: watermark ${x.watermark} is not some max timestamp - ${c.bound} - 1`,
        );
      }
      assert.ok(
        rows.some((x) => x.watermark !== null),
        `${c.name}: the watermark advanced while the job ran`,
      );
    }
  });
  await t.test('withIdleness: an idle input stops holding back the watermark', () => {
    const A = range(r.exports.IDLE_A_COUNT as number).map((i) => i * 1000);
    const countsPerWindow = (extra: number[]): { start: number; count: number }[] => {
      const m = new Map<number, number>();
      for (const ts of [...A, ...extra]) m.set(Math.floor(ts / 5000) * 5000, (m.get(Math.floor(ts / 5000) * 5000) ?? 0) + 1);
      return [...m].map(([start, count]) => ({ start, count }));
    };
    type W = { start: number; count: number; early: boolean };
    const withIdle = read<W>(dir, 'with-idleness');
    sameMultiset(
      withIdle.map(({ start, count }) => ({ start, count })),
      countsPerWindow([]),
      'with idleness: A windows',
    );
    assert.ok(
      withIdle.some((w) => w.early),
      'with idleness, windows fire before the end of input',
    );
    sameMultiset(
      read(dir, 'with-idleness-late'),
      [
        { src: 'B', ts: 0 },
        { src: 'B', ts: 1 },
      ],
      "B's records come after A moved event time on",
    );
    const without = read<W>(dir, 'without-idleness');
    sameMultiset(
      without.map(({ start, count }) => ({ start, count })),
      countsPerWindow([0, 1]),
      'without idleness: B holds the watermark, its records are on time',
    );
    assert.ok(
      without.every((w) => !w.early),
      'without idleness nothing fires before the end of input',
    );
    assert.deepEqual(read(dir, 'without-idleness-late'), []);
  });
}

// ---------------------------------------------------------------- windows

async function checkWindows(t: TestContext, p: number): Promise<void> {
  const { dir, run: r } = await run('windows', p);
  await t.test('tumbling event-time windows: reduce, reduce + window function, process', () => {
    const w5 = windowsOf(WINDOW_EVENTS, tumblingStarts(5000), 5000);
    sameMultiset(
      read(dir, 'tumbling-reduce'),
      w5.map((w) => ({
        key: w.key,
        ts: Math.max(...w.events.map((e) => e.ts)),
        v: sum(w.events.map((e) => e.v)),
        recordTs: w.end - 1,
      })),
      'reduce (results stamped with the window max timestamp)',
    );
    sameMultiset(
      read(dir, 'tumbling-reduce-window'),
      w5.map((w) => ({ key: w.key, start: w.start, end: w.end, sum: sum(w.events.map((e) => e.v)) })),
      'reduce + window function',
    );
    const w10 = windowsOf(WINDOW_EVENTS, tumblingStarts(10_000), 10_000);
    sameMultiset(
      read(dir, 'tumbling-process'),
      w10.map((w) => ({ key: w.key, start: w.start, end: w.end, count: w.events.length, vs: w.events.map((e) => e.v), opened: true })),
      'ProcessWindowFunction',
    );
  });
  await t.test('sliding event-time windows: aggregate, aggregate + window function', () => {
    const ws = windowsOf(WINDOW_EVENTS, slidingStarts(6000, 3000), 6000);
    const avg = (es: Ev[]): number => sum(es.map((e) => e.v)) / es.length;
    sameMultiset(
      read(dir, 'sliding-aggregate'),
      ws.map((w) => ({ avg: avg(w.events), n: w.events.length })),
      'aggregate',
    );
    sameMultiset(
      read(dir, 'sliding-aggregate-window'),
      ws.map((w) => ({ key: w.key, start: w.start, end: w.end, avg: avg(w.events), n: w.events.length })),
      'aggregate + window function',
    );
  });
  await t.test('event-time session windows (touching sessions merge)', () => {
    const sortVs = (x: { vs: number[] }): object => ({ ...x, vs: [...x.vs].sort((a, b) => a - b) });
    sameMultiset(
      read<{ vs: number[] }>(dir, 'session-process').map(sortVs),
      sessions(WINDOW_EVENTS, 3000).map((s) =>
        sortVs({ key: s.key, start: s.start, end: s.end, count: s.events.length, vs: s.events.map((e) => e.v), opened: true } as {
          vs: number[];
        }),
      ),
      'sessions',
    );
  });
  await t.test('allowedLateness re-fires windows; later records go to the late side output', () => {
    const model = tumblingWithPunctuatedWatermark(LATE_EVENTS, 5000, 2000);
    assert.deepStrictEqual(model, LATE_EXPECTED, 'the model agrees with the worked-out answer');
    sameMultiset(read(dir, 'lateness-windows'), LATE_EXPECTED.windows, 'window firings');
    sameMultiset(
      read(dir, 'lateness-late'),
      LATE_EXPECTED.late.map((ts) => ({ ts })),
      'late records',
    );
    const vertices = r.results[0]!.vertices.map((v) => v.name);
    assert.ok(
      vertices.some((n) => n.startsWith('late windows')),
      `operator name shows in the job graph: ${vertices.join(' | ')}`,
    );
  });
  await t.test('tumbling processing-time windows: every record counted once, aligned windows', () => {
    const PT_RECORDS = r.exports.PT_RECORDS as number;
    const size = r.exports.PT_WINDOW_MS as number;
    const rows = read<{ key: number; start: number; end: number; count: number; sum: number }>(dir, 'processing-tumbling');
    for (const key of [0, 1]) {
      const mine = rows.filter((x) => x.key === key);
      const ins = range(PT_RECORDS).filter((i) => i % 2 === key);
      assert.equal(sum(mine.map((x) => x.count)), ins.length, `key ${key}: all records counted`);
      assert.equal(sum(mine.map((x) => x.sum)), sum(ins), `key ${key}: each record once`);
    }
    for (const x of rows) {
      assert.equal(x.end - x.start, size);
      assert.equal(x.start % size, 0);
    }
    assert.ok(new Set(rows.map((x) => x.start)).size >= 2, 'the input spans several windows');
  });
  await t.test('tumbling processing-time windows: each window fires once', () => {
    const rows = read<{ key: number; start: number }>(dir, 'processing-tumbling');
    for (const key of [0, 1]) {
      const starts = rows.filter((x) => x.key === key).map((x) => x.start);
      assert.equal(new Set(starts).size, starts.length, `key ${key}: a window fired twice`);
    }
  });
}

// ---------------------------------------------------------------- connect

async function checkConnect(t: TestContext, p: number): Promise<void> {
  const { dir, run: r } = await run('connect', p);
  const INTS = r.exports.INTS as number[];
  const WORDS = r.exports.WORDS as string[];
  const LEFT = r.exports.LEFT as { k: string; amount: number }[];
  const RIGHT = r.exports.RIGHT as { k: string; limit: number }[];
  await t.test('coMap and coFlatMap', () => {
    sameMultiset(read(dir, 'co-map'), [...INTS.map((n) => `int:${n}`), ...WORDS.map((w) => `word:${w}`)], 'coMap');
    sameMultiset(
      read(dir, 'co-flat-map'),
      [...INTS.filter((n) => n % 2 === 0).map((n) => `even:${n}`), ...WORDS.flatMap((w) => [...w].map((c) => `char:${c}`))],
      'coFlatMap',
    );
  });
  await t.test('CoProcessFunction with a side output', () => {
    sameMultiset(
      read(dir, 'co-process'),
      [...INTS.map((n) => `n${n * n}`), ...WORDS.filter((w) => w.length === 1).map((w) => `w${w}`)],
      'main',
    );
    sameMultiset(
      read(dir, 'co-process-side'),
      WORDS.filter((w) => w.length > 1).map((w) => w.toUpperCase()),
      'side',
    );
  });
  await t.test('KeyedCoProcessFunction: state from both inputs, timers per key', () => {
    const keys = new Set([...LEFT.map((l) => l.k), ...RIGHT.map((x) => x.k)]);
    const expected: object[] = [];
    for (const k of keys) {
      const total = sum(LEFT.filter((l) => l.k === k).map((l) => l.amount));
      const limit = RIGHT.find((x) => x.k === k)?.limit ?? null;
      expected.push({ final: k, total, limit, timer: 1000 });
      // in this data a key's total passes its limit only with the key's last record, whichever side comes first: once
      if (limit !== null && total > limit) expected.push({ over: k, total, limit });
    }
    sameMultiset(read(dir, 'keyed-co-process'), expected, 'keyed co-process');
  });
}

// ---------------------------------------------------------------- partitioning

async function checkPartitioning(t: TestContext, p: number): Promise<void> {
  const { dir, run: r } = await run('partitioning', p);
  const N = r.exports.N as number;
  type Tagged = { n: number; subtask: number; of: number; from?: number };
  const all = range(N);
  const get = (name: string): Tagged[] => read<Tagged>(dir, name);
  const subtasks = (rows: Tagged[]): number[] => [...new Set(rows.map((x) => x.subtask))].sort();

  await t.test('broadcast: every subtask sees every record', () => {
    const rows = get('broadcast');
    for (let s = 0; s < p; s++)
      sameMultiset(
        rows.filter((x) => x.subtask === s).map((x) => x.n),
        all,
        `subtask ${s}`,
      );
    assert.equal(rows.length, N * p);
  });
  await t.test('global: everything on subtask 0', () => {
    const rows = get('global');
    sameMultiset(
      rows.map((x) => x.n),
      all,
      'records',
    );
    assert.deepEqual(subtasks(rows), [0]);
  });
  await t.test('rebalance: round robin, counts differ by at most one', () => {
    const rows = get('rebalance');
    sameMultiset(
      rows.map((x) => x.n),
      all,
      'records',
    );
    const counts = range(p).map((s) => rows.filter((x) => x.subtask === s).length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `counts ${counts.join(',')}`);
  });
  await t.test('shuffle: every record once, spread over the subtasks', () => {
    const rows = get('shuffle');
    sameMultiset(
      rows.map((x) => x.n),
      all,
      'records',
    );
    assert.deepEqual(subtasks(rows), range(p));
  });
  await t.test('rescale: each upstream subtask feeds its own group of downstream subtasks', () => {
    const rows = get('rescale');
    sameMultiset(
      rows.map((x) => x.n),
      all,
      'records',
    );
    for (const x of rows) {
      assert.equal(x.of, 2 * p);
      assert.ok(x.subtask === 2 * x.from! || x.subtask === 2 * x.from! + 1, `record from ${x.from} reached ${x.subtask}`);
    }
    assert.deepEqual(subtasks(rows), range(2 * p));
  });
  await t.test('forward: same subtask index', () => {
    const rows = get('forward');
    sameMultiset(
      rows.map((x) => x.n),
      all,
      'records',
    );
    for (const x of rows) assert.equal(x.subtask, x.from);
    assert.deepEqual(subtasks(rows), range(p));
  });
  await t.test('keyBy: a key on one subtask only', () => {
    const rows = get('key-by');
    sameMultiset(
      rows.map((x) => x.n),
      all,
      'records',
    );
    for (let k = 0; k < 7; k++) assert.equal(new Set(rows.filter((x) => x.n % 7 === k).map((x) => x.subtask)).size, 1, `key ${k}`);
  });
  await t.test('setParallelism, name and uid per operator', () => {
    const rows = get('parallelism-3');
    for (let s = 0; s < 3; s++) assert.equal(rows.filter((x) => x.subtask === s).length, N / 3, `subtask ${s}`);
    assert.ok(rows.every((x) => x.of === 3));
    const vertices = r.results[0]!.vertices;
    const map = vertices.find((v) => v.name.startsWith('three-way map'));
    const sink = vertices.find((v) => v.name.includes('three-way sink'));
    assert.equal(map?.parallelism, 3, vertices.map((v) => v.name).join(' | '));
    assert.equal(sink?.parallelism, 1);
    assert.ok(vertices.some((v) => v.name.startsWith('after broadcast')));
  });
}

// ---------------------------------------------------------------- modes and job clients

async function checkModes(t: TestContext, p: number): Promise<void> {
  const { dir, run: r } = await run('modes', p);
  const key = (x: { key: string }): string => x.key;
  const ev = (name: string): Ev[] => read<Ev>(dir, name);
  await t.test('BATCH gives the same final results as STREAMING; BATCH emits only the final value per key', () => {
    const groups = byKey(WINDOW_EVENTS, (e) => e.key);
    const expected: Record<string, Ev[]> = {
      reduce: Object.entries(groups).map(([k, es]) => ({ key: k, ts: Math.max(...es.map((e) => e.ts)), v: sum(es.map((e) => e.v)) })),
      sum: Object.entries(groups).map(([k, es]) => ({ key: k, ts: es[0]!.ts, v: sum(es.map((e) => e.v)) })),
      maxBy: Object.values(groups).map((es) => es.reduce((a, b) => (b.v > a.v ? b : a))),
    };
    for (const [name, exp] of Object.entries(expected)) {
      sameMultiset(lastPerKey(ev(`STREAMING/${name}`), key), exp, `STREAMING ${name}: final values`);
      sameMultiset(ev(`BATCH/${name}`), exp, `BATCH ${name}: one final value per key`);
    }
    const windows = windowsOf(WINDOW_EVENTS, tumblingStarts(5000), 5000).map((w) => ({
      key: w.key,
      start: w.start,
      v: sum(w.events.map((e) => e.v)),
    }));
    const counts = Object.entries(groups).map(([k, es]) => ({ key: k, count: es.length }));
    for (const mode of ['STREAMING', 'BATCH']) {
      sameMultiset(read(dir, `${mode}/windows`), windows, `${mode} windows`);
      sameMultiset(read(dir, `${mode}/timers`), counts, `${mode} event-time timers at the end of input`);
    }
  });
  await t.test('out-of-order input: late records in STREAMING, none in BATCH (only the final watermark)', () => {
    const streaming = tumblingWithPunctuatedWatermark(LATE_EVENTS, 5000, 0);
    assert.ok(streaming.late.length > 0);
    sameMultiset(read(dir, 'STREAMING/out-of-order'), streaming.windows, 'STREAMING windows');
    sameMultiset(
      read(dir, 'STREAMING/out-of-order-late'),
      streaming.late.map((ts) => ({ ts })),
      'STREAMING late',
    );
    const batch = new Map<number, number>();
    for (const ts of LATE_EVENTS) batch.set(Math.floor(ts / 5000) * 5000, (batch.get(Math.floor(ts / 5000) * 5000) ?? 0) + 1);
    sameMultiset(
      read(dir, 'BATCH/out-of-order'),
      [...batch].map(([start, count]) => ({ start, count })),
      'BATCH windows',
    );
    assert.deepEqual(read(dir, 'BATCH/out-of-order-late'), []);
  });
  await t.test('execute() resolves with a JobExecutionResult', () => {
    const results = r.exports.results as Record<string, { jobId: string; jobName: string; netRuntime: number }>;
    for (const mode of ['STREAMING', 'BATCH']) {
      const res = results[mode]!;
      assert.match(res.jobId, /^[0-9a-f]{32}$/);
      assert.equal(res.jobName, `mode ${mode}`);
      assert.ok(res.netRuntime >= 0);
      assert.equal(r.results.find((j) => j.jobId === res.jobId)?.jobName, `mode ${mode}`);
    }
    assert.notEqual(results.STREAMING!.jobId, results.BATCH!.jobId);
  });
  await t.test('executeAsync() resolves with a JobClient', () => {
    const a = r.exports.asyncJob as {
      jobId: string;
      statusWhileRunning: string;
      statusAfter: string;
      resultJobId: string;
      resultJobName: string;
    };
    assert.match(a.jobId, /^[0-9a-f]{32}$/);
    assert.ok(RUNNING.includes(a.statusWhileRunning), `status right after submission: ${a.statusWhileRunning}`);
    assert.equal(a.statusAfter, 'FINISHED');
    assert.equal(a.resultJobId, a.jobId);
    assert.equal(a.resultJobName, 'async job');
    sameMultiset(
      read(dir, 'async'),
      range(30).map((i) => i * 2),
      'the async job ran to its end',
    );
  });
  await t.test('JobClient.cancel() cancels a running job', () => {
    const c = r.exports.cancelled as { statusBeforeCancel: string; statusAfter: string; cancelError: string | null };
    assert.ok(RUNNING.includes(c.statusBeforeCancel), c.statusBeforeCancel);
    assert.equal(c.statusAfter, 'CANCELED');
    assert.match(c.cancelError ?? '', /cancel/i, 'getJobExecutionResult() rejects for a cancelled job');
    assert.equal(r.results.find((j) => j.jobName === 'endless job')?.status, 'CANCELED');
  });
  await t.test('executeAndCollect(), with and without a limit', () => {
    sameMultiset(
      r.exports.collectedAll as number[],
      range(25).map((i) => (i + 1) ** 2),
      'all',
    );
    const limited = r.exports.collectedLimited as string[];
    assert.equal(limited.length, 2);
    assert.equal(new Set(limited).size, 2);
    for (const x of limited) assert.ok(['x', 'y', 'z', 'w'].includes(x));
  });
}

// ---------------------------------------------------------------- the tests

const areas: [string, (t: TestContext, p: number) => Promise<void>][] = [
  ['transformations, side outputs, keyed aggregations, union, rich functions', checkTransforms],
  ['keyed state', checkState],
  ['timers and watermark strategies', checkTime],
  ['windows', checkWindows],
  ['connected streams', checkConnect],
  ['partitioning', checkPartitioning],
  ['runtime modes and job clients', checkModes],
];

for (const p of PARALLELISMS) {
  for (const [name, check] of areas) test(`${name} (parallelism ${p})`, (t) => check(t, p));
}
