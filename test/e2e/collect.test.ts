/**
 * executeAndCollect() as in Flink, run 20 times at parallelism 1 and 2 (a miss in any run fails):
 * one ordered collect subtask, a limit that ends the job, every call shape. Separate from
 * api.test.ts so each file stays within the test runner's per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';

const programs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs');
const PARALLELISMS = [1, 2];

for (const p of PARALLELISMS) {
  test(`executeAndCollect() as in Flink: one ordered collect subtask, a limit ends the job, every call shape (parallelism ${p}, 20 runs)`, async () => {
    const letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (let i = 0; i < 20; i++) {
      const r = await runProgram({ program: path.join(programs, 'collect.ts'), parallelism: p });
      const x = r.exports;
      const what = `run ${i + 1}`;
      assert.deepEqual(x.ordered, letters, `${what}: a parallelism-1 stream comes back in order`);
      assert.deepEqual(
        x.orderedMapped,
        letters.map((l) => l.toUpperCase()),
        `${what}: executeAndCollect(name)`,
      );
      const limitOnly = x.limitOnly as number[];
      assert.equal(limitOnly.length, 5, `${what}: executeAndCollect(limit) on an unbounded source returns`);
      assert.equal(new Set(limitOnly).size, 5);
      const namedLimit = x.namedLimit as number[];
      assert.equal(namedLimit.length, 3, `${what}: executeAndCollect(name, limit)`);
      for (const n of namedLimit) assert.equal(n % 2, 0);
      assert.deepEqual(x.boundedLimit, [1, 2, 3, 4], `${what}: a limit above the input's size`);
      for (const j of r.results) assert.equal(j.status, 'FINISHED', `${what}: job '${j.jobName}'`);
      assert.equal(r.results.find((j) => j.jobName === 'named limit')?.vertices.at(-1)?.parallelism, 1, 'one collect subtask');
    }
  });
}
