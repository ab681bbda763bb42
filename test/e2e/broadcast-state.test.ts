/**
 * Broadcast state end to end on the embedded cluster, at parallelism 1 and 2, against answers
 * computed here: every subtask receives every broadcast record and keeps the same state; the data
 * side sees it read-only; applyToKeyedState visits the keys of a keyed state (hashmap and lsm);
 * a stop-with-savepoint resumed at another parallelism gives every new subtask the broadcast state.
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

const PROGRAM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs/broadcast-state.ts');
const tempDirs: string[] = [];
let cluster: LocalMiniCluster;

before(() => {
  cluster = new LocalMiniCluster({ slotsPerTaskManager: 6 });
});
after(async () => {
  await cluster?.close();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

async function run<T>(which: string, parallelism: number, config?: Record<string, string>): Promise<T[]> {
  const r = await runProgram({
    program: PROGRAM,
    args: [which, String(parallelism)],
    parallelism,
    cluster,
    ...(config ? { config: Configuration.fromEntries(config) } : {}),
  });
  assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  return r.exports['result'] as T[];
}

for (const p of [1, 2]) {
  test(`BroadcastProcessFunction at parallelism ${p}: every subtask gets every rule, the data side reads only`, async () => {
    type Row = { kind: 'data'; v: number; readOnly: boolean } | { kind: 'rule'; subtask: number; size: number; has: boolean };
    const rows = await run<Row>('nonkeyed', p);
    const data = rows.filter((r): r is Extract<Row, { kind: 'data' }> => r.kind === 'data');
    assert.deepEqual(
      data.map((r) => r.v).sort((a, b) => a - b),
      range(1, 200),
    );
    assert.ok(
      data.every((r) => r.readOnly),
      'writing broadcast state from processElement fails with a read-only error',
    );
    const rules = rows.filter((r): r is Extract<Row, { kind: 'rule' }> => r.kind === 'rule');
    for (let s = 0; s < p; s++) {
      assert.deepEqual(
        rules.filter((r) => r.subtask === s).map((r) => r.size),
        [1, 2, 3, 4],
        `subtask ${s} saw the four rules in order`,
      );
    }
    assert.equal(rules.length, 4 * p);
    assert.ok(rules.every((r) => r.has));
  });

  for (const backend of ['hashmap', 'lsm'])
    test(`KeyedBroadcastProcessFunction with applyToKeyedState at parallelism ${p} (${backend})`, async () => {
      const rows = await run<{ v: number; r: number }>('keyed', p, { 'state.backend.type': backend });
      assert.equal(rows.length, 500);
      assert.deepEqual(
        rows.map((x) => x.v).sort((a, b) => a - b),
        range(1, 500),
      );
      for (const x of rows) assert.equal(x.r, x.v * 3);
    });
}

test('broadcast state in a savepoint: resumed at parallelism 3, every subtask has the rule; output exactly once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-broadcast-savepoint-'));
  tempDirs.push(dir);
  const out = path.join(dir, 'out');
  const count = 3000;
  // The second run broadcasts no multiplier: its records are multiplied by the restored one.
  const r2 = await runSavepointAndResume({
    cluster,
    program: PROGRAM,
    dir,
    first: { args: ['savepoint', '2', out, String(count), '3'], parallelism: 2 },
    second: { args: ['savepoint', '3', out, String(count), 'none'], parallelism: 3 },
  });
  assert.equal(r2.results[0]!.status, 'FINISHED', JSON.stringify(r2.results[0]!.error));
  const rows: { v: number; r: number; subtask: number }[] = [];
  for (const f of fs.readdirSync(out)) {
    assert.match(f, /^part-\d+-\d+-\d+\.jsonl$/);
    for (const line of fs.readFileSync(path.join(out, f), 'utf8').split('\n'))
      if (line) rows.push(JSON.parse(line) as { v: number; r: number; subtask: number });
  }
  assert.deepEqual(
    rows.map((x) => x.v).sort((a, b) => a - b),
    range(0, count - 1),
    'each record exactly once',
  );
  for (const x of rows) assert.equal(x.r, x.v * 3);
  // Subtask 2 exists only in the resumed job: its results used the restored multiplier.
  assert.ok(
    rows.some((x) => x.subtask === 2),
    'the third subtask of the resumed job wrote results',
  );
});
