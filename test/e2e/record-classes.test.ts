/**
 * Records keep their class: Order instances registered with env.registerType cross a keyBy and a
 * rebalance and come back from keyed state (the lsm backend stores values serialized) as Orders
 * with their methods, at parallelism 1 and 2; an unregistered class fails the job with
 * WEIR_UNREGISTERED_CLASS naming it.
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
import type { Checked, CheckedTrip } from '../programs/record-classes.js';
import { runSavepointAndResume } from '../helpers/savepoint-resume.js';

const PROGRAM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs/record-classes.ts');
let cluster: LocalMiniCluster;
before(() => {
  cluster = new LocalMiniCluster({ slotsPerTaskManager: 4 });
});
after(async () => {
  await cluster?.close();
});

function expected(count = 300): Checked[] {
  const last = new Map<number, number>();
  const out: Checked[] = [];
  for (let i = 1; i <= count; i++) {
    const total = ((i % 5) + 1) * ((i % 7) + 1);
    out.push({ id: i, total, prevTotal: last.get(i % 11) ?? null, classes: true });
    last.set(i % 11, total);
  }
  return out;
}

for (const p of [1, 2])
  for (const backend of ['hashmap', 'lsm'])
    test(`class instances keep their class across keyBy, state and rebalance (parallelism ${p}, ${backend})`, async () => {
      const r = await runProgram({
        program: PROGRAM,
        args: ['registered', String(p)],
        parallelism: p,
        cluster,
        config: Configuration.fromEntries({ 'state.backend.type': backend }),
      });
      assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
      const rows = [...(r.exports['result'] as Checked[])].sort((a, b) => a.id - b.id);
      assert.deepEqual(rows, expected());
    });

test('an unregistered class fails the job with WEIR_UNREGISTERED_CLASS naming it', async () => {
  const e = await runProgram({ program: PROGRAM, args: ['unregistered', '2'], parallelism: 2, cluster }).then(
    (r) => JSON.stringify(r.results[0]?.error ?? 'finished'),
    (x: Error & { code?: string }) => `${x.code} ${x.message}`,
  );
  assert.match(e, /WEIR_UNREGISTERED_CLASS/);
  assert.match(e, /class 'Order', which is not registered: call env\.registerType\(Order\)/);
});

for (const p of [1, 2]) {
  test(`registered classes nested in plain records keep their class, in fields and arrays (parallelism ${p})`, async () => {
    const r = await runProgram({ program: PROGRAM, args: ['nested-registered', String(p)], parallelism: p, cluster });
    assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
    const rows = [...(r.exports['trips'] as CheckedTrip[])].sort((a, b) => a.id - b.id);
    const want = Array.from({ length: 200 }, (_, k) => {
      const i = k + 1;
      return { id: i, length: 2 * i + (1 + i) + (i + 2), classes: true };
    });
    assert.deepEqual(rows, want);
  });

  for (const where of ['field', 'array'])
    test(`an unregistered class nested in a plain record's ${where} fails with WEIR_UNREGISTERED_CLASS (parallelism ${p})`, async () => {
      const e = await runProgram({ program: PROGRAM, args: [`nested-${where}`, String(p)], parallelism: p, cluster }).then(
        (r) => JSON.stringify(r.results[0]?.error ?? 'finished'),
        (x: Error & { code?: string }) => `${x.code} ${x.message}`,
      );
      assert.match(e, /WEIR_UNREGISTERED_CLASS/);
      assert.match(e, /class 'Point', which is not registered: call env\.registerType\(Point\)/);
    });
}

test('class instances in keyed state survive a savepoint resumed at parallelism 3 (hashmap backend)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-classes-savepoint-'));
  try {
    const out = path.join(dir, 'out');
    const count = 3000;
    const r2 = await runSavepointAndResume({
      cluster,
      program: PROGRAM,
      dir,
      first: { args: ['savepoint', '2', out, String(count)], parallelism: 2 },
      second: { args: ['savepoint', '3', out, String(count)], parallelism: 3 },
    });
    assert.equal(r2.results[0]!.status, 'FINISHED', JSON.stringify(r2.results[0]!.error));
    const rows: Checked[] = [];
    for (const f of fs.readdirSync(out)) {
      for (const line of fs.readFileSync(path.join(out, f), 'utf8').split('\n')) if (line) rows.push(JSON.parse(line) as Checked);
    }
    assert.deepEqual(
      rows.sort((a, b) => a.id - b.id),
      expected(count),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
