/**
 * Replays of main() in task slots, run 20 times at parallelism 1 and 2 (a miss in any run fails):
 * they see what the client saw of earlier executions, and plan values of a non-deterministic
 * main() are caught as such. Separate from api.test.ts to stay within the per-file timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';

const programs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../programs');
const PARALLELISMS = [1, 2];

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
