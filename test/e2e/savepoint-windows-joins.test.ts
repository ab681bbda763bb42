/**
 * Window operators with triggers and evictors (sliding count windows, DeltaTrigger + TimeEvictor,
 * CountTrigger on time windows) and joins (interval join, windowed join) across a stop-with-savepoint
 * at parallelism 2 (heap backend) and a restore at parallelism 3 (lsm backend): the committed FileSink output of both runs holds
 * exactly the results computed here from the input, each once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { Configuration } from '../../dist/config/index.js';
import { RestClient } from '../../dist/rest/client.js';
import { startRestServer, type RestServer } from '../../dist/rest/server.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'savepoint-windows-joins.ts');
const COUNT = 8000;
const KEYS = 5;

interface SRec {
  k: number;
  i: number;
  w: number;
  ts: number;
}
const rec = (i: number): SRec => ({ k: i % KEYS, i, w: (i * 37) % 23, ts: i * 10 });

const tempDirs: string[] = [];
let cluster: LocalMiniCluster;
let server: RestServer;
let rest: RestClient;

before(async () => {
  cluster = new LocalMiniCluster({ slotsPerTaskManager: 4 });
  server = await startRestServer({
    jobManager: cluster.jobManager,
    config: Configuration.fromEntries({ 'rest.port': 0 }),
    blobDir: tempDir('blobs'),
  });
  rest = new RestClient({ url: server.url });
});
after(async () => {
  rest?.close();
  await server?.close();
  await cluster?.close();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `weir-sp-wj-${name}-`));
  tempDirs.push(d);
  return d;
}

function committed(dir: string): unknown[] {
  if (!fs.existsSync(dir)) return [];
  const rows: unknown[] = [];
  for (const f of fs.readdirSync(dir)) {
    if (!/^part-\d+-\d+-\d+\.jsonl$/.test(f)) continue;
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) if (line !== '') rows.push(JSON.parse(line));
  }
  return rows;
}
const multiset = (rows: readonly unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

// ---------------------------------------------------------------- independent answers

const all = Array.from({ length: COUNT }, (_, i) => rec(i));
/** The records within 40 indexes (400 ms) of `l`: every join partner is among them. */
const near = (l: SRec): SRec[] => all.slice(Math.max(0, l.i - 40), l.i + 41);
const perKey = Array.from({ length: KEYS }, (_, k) => all.filter((r) => r.k === k));

const expected: Record<string, unknown[]> = {
  sliding: perKey.flatMap((rs, k) =>
    rs.flatMap((_, n) => ((n + 1) % 2 === 0 ? [{ k, is: rs.slice(Math.max(0, n - 4), n + 1).map((r) => r.i) }] : [])),
  ),
  delta: perKey.flatMap((rs) => {
    const out: SRec[] = [];
    let kept: SRec[] = [];
    let last: SRec | undefined;
    for (const r of rs) {
      kept.push(r);
      if (last === undefined) last = r;
      else if (r.i - last.i > 60) {
        last = r;
        const newest = Math.max(...kept.map((x) => x.ts));
        kept = kept.filter((x) => x.ts > newest - 400);
        let best = kept[0]!;
        for (const x of kept) if (x.w > best.w) best = x;
        out.push(best);
      }
    }
    return out;
  }),
  'count-trigger': perKey.flatMap((rs) => {
    const out: SRec[] = [];
    const windows = new Map<number, SRec[]>();
    for (const r of rs) {
      const w = Math.floor(r.ts / 1000);
      const els = windows.get(w) ?? [];
      els.push(r);
      windows.set(w, els);
      if (els.length % 7 === 0) out.push({ ...els[0]!, w: els.reduce((s, x) => s + x.w, 0) });
    }
    return out;
  }),
  interval: all
    .filter((l) => l.i % 3 !== 0)
    .flatMap((l) =>
      near(l)
        .filter((r) => r.i % 3 === 0 && r.k === l.k && r.ts - l.ts >= -60 && r.ts - l.ts <= 40)
        .map((r) => [l.i, r.i]),
    ),
  join: all
    .filter((l) => l.i % 3 !== 0)
    .flatMap((l) =>
      near(l)
        .filter((r) => r.i % 3 === 0 && r.k === l.k && Math.floor(r.ts / 200) === Math.floor(l.ts / 200))
        .map((r) => [l.i, r.i]),
    ),
};

test('triggers, evictors and join buffers survive a savepoint and a restore at another parallelism, exactly once', async () => {
  const dir = tempDir('run');
  const out = path.join(dir, 'out');
  const config = (extra: Record<string, string> = {}): Configuration =>
    Configuration.fromEntries({ 'execution.checkpointing.dir': path.join(dir, 'checkpoints'), ...extra });
  const args = (p: number): string[] => [out, String(COUNT), '1250', '100', String(p)];

  let jobId = '';
  const run1 = runProgram({
    program: PROGRAM,
    args: args(2),
    cluster,
    config: config(),
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  run1.catch(() => undefined);
  await waitFor('the job to be submitted', 30_000, () => jobId !== '');
  const jm = cluster.jobManager.dispatcher.job(jobId);
  await waitFor('a first checkpoint', 30_000, () => jm.checkpointStats().counts.completed >= 1);
  const trigger = await rest.stopWithSavepoint(jobId, { targetDirectory: path.join(dir, 'savepoints') });
  const savepoint = await rest.awaitSavepoint(jobId, trigger, 30_000);
  const r1 = await run1;
  assert.equal(r1.results[0]!.status, 'FINISHED');
  const before = Object.keys(expected).map((name) => committed(path.join(out, name)).length);
  assert.ok(
    before.some((n) => n > 0),
    'the first run committed results',
  );
  assert.ok(committed(path.join(out, 'sliding')).length < expected.sliding!.length, 'the first run stopped before the end of its input');

  let second = '';
  const r2 = await runProgram({
    program: PROGRAM,
    args: args(3),
    cluster,
    // the restored job runs on the lsm backend: the canonical savepoint holds windows, triggers and buffers for either
    config: config({
      'execution.savepoint.path': savepoint,
      'state.backend.type': 'lsm',
      'state.backend.lsm.localdir': path.join(dir, 'lsm'),
    }),
    listener: { onSubmitted: (j) => (second = j.jobId) },
  });
  assert.equal(r2.results[0]!.status, 'FINISHED', JSON.stringify(r2.results[0]!.error));
  assert.equal(cluster.jobManager.dispatcher.job(second).checkpointStats().latest.restored?.external_path, savepoint);
  for (const [name, rows] of Object.entries(expected)) {
    assert.ok(rows.length > 20, `${name}: the data give results`);
    assert.deepEqual(multiset(committed(path.join(out, name))), multiset(rows), `${name}: every result exactly once`);
  }
});
