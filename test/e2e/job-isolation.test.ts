/**
 * A job's code lives only in that job's worker threads: when the job ends, its workers (slots and
 * source coordinator) are gone, so a long-running cluster never accumulates finished jobs' modules.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';
import { waitFor } from '../helpers/wait.js';

test("a finished job's worker threads end with it", async () => {
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 2 });
  try {
    const run = await runProgram({ program: 'test/programs/cluster-keyed.ts', args: ['2000', '4'], cluster });
    assert.deepEqual(
      run.results.map((r) => r.status),
      ['FINISHED'],
    );
    await waitFor('workers were terminated', 10_000, () => cluster.taskManagers.every((tm) => tm.activeWorkers === 0));
    const second = await runProgram({ program: 'test/programs/cluster-keyed.ts', args: ['100', '2'], cluster });
    assert.equal(second.results[0]!.status, 'FINISHED', 'the same cluster runs the next job');
  } finally {
    await cluster.close();
  }
});
