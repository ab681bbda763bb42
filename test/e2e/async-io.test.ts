/**
 * AsyncDataStream end to end on the embedded cluster, at parallelism 1 and 2, against answers
 * computed here: ordered and unordered results, the capacity bound (and that it is reached),
 * plain async functions, timeout() while the queue is full (the mailbox keeps running), fixed and
 * exponential retries with exception and result predicates, the failures a job reports, and a
 * stop-with-savepoint taken with requests in flight, resumed at another parallelism with every
 * result committed exactly once.
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
import { loadCheckpoint, readSubtaskState, unpackState } from '../../dist/runtime/checkpoint/storage.js';
import { waitFor } from '../helpers/wait.js';
import type { Out } from '../programs/async-io.js';

const PROGRAM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs/async-io.ts');
const tempDirs: string[] = [];
let cluster: LocalMiniCluster;

before(() => {
  cluster = new LocalMiniCluster({ slotsPerTaskManager: 4 });
});
after(async () => {
  await cluster?.close();
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `weir-async-${name}-`));
  tempDirs.push(d);
  return d;
}

async function run<T>(which: string, parallelism: number, ...args: string[]): Promise<T[]> {
  const r = await runProgram({ program: PROGRAM, args: [which, String(parallelism), ...args], parallelism, cluster });
  const res = r.results[0]!;
  assert.equal(res.status, 'FINISHED', JSON.stringify(res.error));
  return r.exports['result'] as T[];
}

async function failure(which: string): Promise<string> {
  const e = await runProgram({ program: PROGRAM, args: [which, '1'], parallelism: 1, cluster }).then(
    (r) => JSON.stringify(r.results[0]?.error ?? 'no error'),
    (x: Error) => x.message,
  );
  return e;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

for (const p of [1, 2]) {
  test(`orderedWait and unorderedWait at parallelism ${p}: every result once, at most capacity in flight, capacity reached`, async () => {
    const capacity = 5;
    const expected = range(1, 400).map((v) => v * 10);
    for (const mode of ['ordered', 'unordered']) {
      const rows = await run<Out>(mode, p, String(capacity));
      assert.deepEqual(
        rows.map((r) => r.r).sort((a, b) => a - b),
        expected,
        `${mode}: one result per record`,
      );
      const maxInFlight = Math.max(...rows.map((r) => r.inFlight));
      assert.ok(maxInFlight <= capacity, `${mode}: at most ${capacity} requests in flight, saw ${maxInFlight}`);
      assert.equal(maxInFlight, capacity, `${mode}: requests overlap up to the capacity`);
      if (p === 1 && mode === 'ordered')
        assert.deepEqual(
          rows.map((r) => r.r),
          expected,
          'ordered: input order',
        );
      if (p === 1 && mode === 'unordered')
        assert.notDeepEqual(
          rows.map((r) => r.r),
          expected,
          'unordered: completion order',
        );
      if (p === 2) {
        // Ordered: each subtask emits its own records in input order (one source subtask, rebalanced, gives
        // each of them its records in increasing order).
        for (const s of [0, 1]) {
          const mine = rows.filter((r) => r.subtask === s).map((r) => r.v);
          assert.ok(mine.length > 0, `subtask ${s} got records`);
          if (mode === 'ordered')
            assert.deepEqual(
              mine,
              [...mine].sort((a, b) => a - b),
              `subtask ${s} in order`,
            );
        }
      }
    }
  });

  test(`plain async functions, timeout() and retries at parallelism ${p}`, async () => {
    const plain = await run<string>('plain', p);
    assert.deepEqual(
      [...plain].sort(),
      range(1, 100)
        .map((v) => `v${v}`)
        .sort(),
    );

    const timed = await run<Out>('timeout', p);
    const byV = new Map(timed.map((r) => [r.v, r.r]));
    assert.equal(timed.length, 60);
    for (const v of range(1, 60)) assert.equal(byV.get(v), v % 5 === 0 ? -1 : v * 10, `record ${v}`);

    const fixed = await run<Out>('retry-fixed', p);
    assert.deepEqual(
      fixed.map((r) => r.r).sort((a, b) => a - b),
      range(1, 100).map((v) => v * 10),
    );
    assert.ok(
      fixed.every((r) => r.attempt === 3),
      'two failed attempts were retried',
    );

    const exp = await run<Out>('retry-exponential', p);
    assert.deepEqual(
      exp.map((r) => r.r).sort((a, b) => a - b),
      range(1, 100).map((v) => v * 10),
    );
    assert.ok(
      exp.every((r) => r.attempt === 4),
      'three empty results were retried',
    );
  });
}

test('a request that fails after its retries, or times out without timeout(), fails the job with its error', async () => {
  assert.match(await failure('retry-exhausted'), /service unavailable for 1/);
  assert.match(await failure('default-timeout'), /TimeoutException: Async function call has timed out/);
});

test('stop-with-savepoint with requests in flight, resumed at parallelism 3: every result committed exactly once', async () => {
  const dir = tempDir('savepoint');
  const out = path.join(dir, 'out');
  const count = 3000;
  const config = Configuration.fromEntries({ 'execution.checkpointing.dir': path.join(dir, 'checkpoints') });
  let jobId = '';
  const first = runProgram({
    program: PROGRAM,
    args: ['savepoint', '2', out, String(count)],
    parallelism: 2,
    cluster,
    config,
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  await waitFor('the first job to start', 30_000, () => jobId !== '');
  const jm = cluster.jobManager.dispatcher.job(jobId);
  await waitFor('two checkpoints', 30_000, () => jm.checkpointStats().counts.completed >= 2);
  const savepoint = await cluster.stopWithSavepoint(jobId, path.join(dir, 'savepoints'), false);
  const r1 = await first;
  assert.equal(r1.results[0]!.status, 'FINISHED', JSON.stringify(r1.results[0]!.error));

  // The savepoint holds the records whose requests were in flight.
  const cp = await loadCheckpoint(savepoint);
  const enrich = Object.entries(cp.metadata.operators).find(([, m]) => m.uid === 'async')!;
  let inFlight = 0;
  for (const f of enrich[1].files) {
    if (f === null) continue;
    const s = await readSubtaskState(path.join(cp.dir, f));
    const l = s.operators[enrich[0]]?.lists?.['async-in-flight'];
    if (l) inFlight += unpackState<unknown[]>(l.data as Uint8Array).length;
  }
  assert.ok(inFlight > 0, 'requests were in flight at the savepoint');

  const r2 = await runProgram({
    program: PROGRAM,
    args: ['savepoint', '3', out, String(count)],
    parallelism: 3,
    cluster,
    config: Configuration.fromEntries({
      'execution.checkpointing.dir': path.join(dir, 'checkpoints'),
      'execution.savepoint.path': savepoint,
    }),
  });
  assert.equal(r2.results[0]!.status, 'FINISHED', JSON.stringify(r2.results[0]!.error));
  const rows: { v: number; r: number }[] = [];
  for (const f of fs.readdirSync(out)) {
    assert.match(f, /^part-\d+-\d+-\d+\.jsonl$/, 'only committed part files');
    for (const line of fs.readFileSync(path.join(out, f), 'utf8').split('\n'))
      if (line) rows.push(JSON.parse(line) as { v: number; r: number });
  }
  assert.equal(rows.length, count, `one result per record (${rows.length} for ${count})`);
  assert.deepEqual(
    rows.map((x) => x.v).sort((a, b) => a - b),
    range(0, count - 1),
  );
  for (const x of rows) assert.equal(x.r, x.v * 10);
});
