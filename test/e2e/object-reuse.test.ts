/**
 * Object reuse on an in-thread exchange, end to end: at parallelism 1 a keyBy between two tasks in
 * one slot thread passes records by reference. Without object reuse (the default) every record the
 * consumer gets is a copy made when it was emitted, so a producer that changes an emitted object
 * does not change what was sent; with env.getConfig().enableObjectReuse() the consumer gets the
 * producer's object itself.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import type { Seen } from '../programs/object-reuse.js';

const PROGRAM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs/object-reuse.ts');
let cluster: LocalMiniCluster;
before(() => {
  cluster = new LocalMiniCluster({ slotsPerTaskManager: 1 });
});
after(async () => {
  await cluster?.close();
});

async function run(mode: 'copy' | 'reuse'): Promise<Seen[]> {
  const r = await runProgram({ program: PROGRAM, args: [mode], parallelism: 1, cluster });
  assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  return r.exports['seen'] as Seen[];
}

test('object reuse off (default): the consumer gets each record as it was emitted, never the producer object', async () => {
  const seen = await run('copy');
  assert.equal(seen.length, 40);
  const expected: Seen[] = [];
  const sums = [0, 0];
  const counts = [0, 0];
  for (let i = 1; i <= 40; i++) {
    const k = i % 2;
    sums[k]! += i;
    counts[k]!++;
    expected.push({ key: k, sum: sums[k]!, count: counts[k]!, sameObject: false });
  }
  const byKeyThenCount = (a: Seen, b: Seen): number => a.key - b.key || a.count - b.count;
  assert.deepEqual([...seen].sort(byKeyThenCount), expected.sort(byKeyThenCount));
});

test('object reuse on: the consumer gets the producer object itself', async () => {
  const seen = await run('reuse');
  assert.equal(seen.length, 40);
  const later = seen.filter((s) => s.count > 1 || s.sameObject);
  assert.ok(
    seen.filter((s) => s.sameObject).length >= 38,
    `every record after the first of its key is the same object: ${JSON.stringify(later.slice(0, 3))}`,
  );
});
