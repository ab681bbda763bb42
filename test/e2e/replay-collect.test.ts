/**
 * Output and replay defects, each run 20 times at parallelism 1 and 2 (a miss in any run fails):
 * executeAndCollect() as in Flink, replays of main() that see what the client saw of earlier
 * executions, and values of a non-deterministic main() caught as such. Separate from api.test.ts
 * so each file stays within the test runner's per-file timeout.
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

for (const p of PARALLELISMS) {
  test(`slots replaying main() see what the client saw of earlier executions (parallelism ${p}, 20 runs)`, async () => {
    for (let i = 0; i < 20; i++) {
      const r = await runProgram({ program: path.join(programs, 'replay-observed.ts'), parallelism: p });
      const x = r.exports;
      const what = `run ${i + 1}`;
      assert.deepEqual(x.fromEarlierResult, [6, 7, 8, 9, 10], `${what}: a job built from an earlier executeAndCollect() result`);
      assert.match(x.clientObserved as string, /RUNNING WEIR_JOB_CANCELED$/, what);
      assert.deepEqual(x.fromObservedStatus, [x.clientObserved], `${what}: a job built from an earlier JobClient's answers`);
    }
  });

  test(`a pipeline value computed from Math.random() in main() fails as non-deterministic (parallelism ${p}, 20 runs)`, async () => {
    for (let i = 0; i < 20; i++) {
      for (const where of ['data', 'closure']) {
        await assert.rejects(
          runProgram({ program: path.join(programs, 'random-value.ts'), parallelism: p, args: [where] }),
          (e: { code?: string; message?: string }) => {
            assert.equal(e.code, 'WEIR_NONDETERMINISTIC_PROGRAM', `run ${i + 1} (${where}): ${e.message}`);
            assert.match(e.message ?? '', /built a different pipeline/);
            return true;
          },
        );
      }
    }
  });
}
