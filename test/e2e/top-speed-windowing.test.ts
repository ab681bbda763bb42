/**
 * Flink's TopSpeedWindowing (GlobalWindows + DeltaTrigger + TimeEvictor + maxBy) as
 * examples/top-speed-windowing.ts: run at parallelism 1 and 2 in the embedded cluster and once
 * through the real `weir run`; its output must equal a plain simulation of the same rules per car.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import { CAR_EVENTS, EVICTION_SEC, TRIGGER_METERS, type CarEvent } from '../../examples/data/cars.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'examples', 'top-speed-windowing.ts');

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-top-speed-'));
  tempDirs.push(d);
  return d;
}

function readJsonLines(dir: string): CarEvent[] {
  const out: CarEvent[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    assert.match(f, /^part-.*\.jsonl$/, `only committed part files in ${dir}`);
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) if (line) out.push(JSON.parse(line) as CarEvent);
  }
  return out;
}

/** The rules of the example, per car: keep every reading; when the car drove more than TRIGGER_METERS since the reading last fired on, drop readings older than EVICTION_SEC before the newest and emit the fastest left (the first on ties). */
function expectedTopSpeeds(events: readonly CarEvent[]): CarEvent[] {
  const cars = new Map<number, { kept: CarEvent[]; last: CarEvent | undefined }>();
  const out: CarEvent[] = [];
  for (const e of events) {
    let car = cars.get(e[0]);
    if (car === undefined) cars.set(e[0], (car = { kept: [], last: undefined }));
    car.kept.push(e);
    if (car.last === undefined) {
      car.last = e;
      continue;
    }
    if (e[2] - car.last[2] <= TRIGGER_METERS) continue;
    car.last = e;
    const newest = Math.max(...car.kept.map((x) => x[3]));
    car.kept = car.kept.filter((x) => x[3] > newest - EVICTION_SEC * 1000);
    let best = car.kept[0]!;
    for (const x of car.kept) if (x[1] > best[1]) best = x;
    out.push(best);
  }
  return out;
}

/** Per car, in order (a car lives on one subtask, which writes its results in order). */
function byCar(rows: readonly CarEvent[]): Map<number, CarEvent[]> {
  const m = new Map<number, CarEvent[]>();
  for (const r of rows) {
    const l = m.get(r[0]) ?? [];
    l.push(r);
    m.set(r[0], l);
  }
  return m;
}

const expected = expectedTopSpeeds(CAR_EVENTS);

test('the car data exercise the example: several fires per car, evicted readings change the top speed', () => {
  assert.ok(expected.length > 100, `${expected.length} results`);
  const tops = new Set(expected.map((e) => e[1]));
  assert.ok(tops.size > 3, 'the top speed over the last 10 s changes as readings are evicted');
});

for (const p of [1, 2]) {
  test(`TopSpeedWindowing at parallelism ${p}: top speeds per car equal the simulation`, async () => {
    const out = tempDir();
    const r = await runProgram({ program: PROGRAM, args: [out], parallelism: p });
    for (const j of r.results) assert.equal(j.status, 'FINISHED');
    assert.deepEqual(byCar(readJsonLines(out)), byCar(expected));
  });
}

test('TopSpeedWindowing through the real weir run command (-p 2)', async () => {
  const out = tempDir();
  const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bin', 'weir.mjs'), 'run', PROGRAM, '-p', '2', '--', out],
      { timeout: 120_000, env: { ...process.env, WEIR_CONF_DIR: path.join(os.tmpdir(), 'weir-no-conf') } },
      (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr }),
    );
  });
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(byCar(readJsonLines(out)), byCar(expected));
});
