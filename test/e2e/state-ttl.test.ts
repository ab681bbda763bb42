/**
 * State TTL end to end on the embedded cluster, at parallelism 1 and 2 on both backends, against a
 * simulation computed here; and across a stop-with-savepoint (with cleanupFullSnapshot) resumed at
 * parallelism 3, committed exactly once with the same expirations as an uninterrupted run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { Configuration } from '../../dist/config/index.js';
import { runSavepointAndResume } from '../helpers/savepoint-resume.js';
import type { Out } from '../programs/state-ttl.js';
import { KEYS, TTL_MS, timeOf } from '../programs/ttl-data.js';

const PROGRAM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs/state-ttl.ts');
const tempDirs: string[] = [];
let cluster: LocalMiniCluster;
before(() => {
  cluster = new LocalMiniCluster({ slotsPerTaskManager: 6 });
});
after(async () => {
  await cluster?.close();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** What each record sees, by plain simulation of OnCreateAndWrite / NeverReturnExpired. */
function expected(count: number): Out[] {
  const last = new Map<number, { i: number; t: number }>();
  const lists = new Map<number, { i: number; t: number }[]>();
  const out: Out[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % KEYS;
    const t = timeOf(i);
    const l = last.get(k);
    const prev = l !== undefined && l.t + TTL_MS > t ? l.i : null;
    const live = (lists.get(k) ?? []).filter((x) => x.t + TTL_MS > t);
    out.push({ k, i, prev, listSize: live.length });
    last.set(k, { i, t });
    lists.set(k, [...live, { i, t }]);
  }
  return out;
}

const sortByI = (rows: Out[]): Out[] => [...rows].sort((a, b) => a.i - b.i);

for (const p of [1, 2])
  for (const backend of ['hashmap', 'lsm'])
    test(`TTL on value and list state at parallelism ${p} (${backend})`, async () => {
      const r = await runProgram({
        program: PROGRAM,
        args: ['run', String(p), '700'],
        parallelism: p,
        cluster,
        config: Configuration.fromEntries({ 'state.backend.type': backend }),
      });
      assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
      const exp = expected(700);
      assert.ok(
        exp.some((x) => x.prev === null && x.i >= KEYS),
        'some values expire',
      );
      assert.deepEqual(sortByI(r.exports['result'] as Out[]), exp);
    });

test('TTL state across a savepoint resumed at parallelism 3 (cleanupFullSnapshot): exactly once, same expirations', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-ttl-savepoint-'));
  tempDirs.push(dir);
  const out = path.join(dir, 'out');
  const count = 3000;
  const r2 = await runSavepointAndResume({
    cluster,
    program: PROGRAM,
    dir,
    first: { args: ['savepoint', '2', out, String(count)], parallelism: 2 },
    second: { args: ['savepoint', '3', out, String(count)], parallelism: 3, config: { 'state.backend.type': 'lsm' } },
  });
  assert.equal(r2.results[0]!.status, 'FINISHED', JSON.stringify(r2.results[0]!.error));
  const rows: Out[] = [];
  for (const f of fs.readdirSync(out)) {
    assert.match(f, /^part-\d+-\d+-\d+\.jsonl$/);
    for (const line of fs.readFileSync(path.join(out, f), 'utf8').split('\n')) if (line) rows.push(JSON.parse(line) as Out);
  }
  assert.deepEqual(sortByI(rows), expected(count));
});
