/**
 * Runs a program on a local mini-cluster until it has two completed checkpoints, stops it with a
 * savepoint, and runs it again from that savepoint at another parallelism (and maybe backend):
 * the shape of every "state survives a rescaling savepoint" test.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { runProgram } from '../../dist/client/run-program.js';
import type { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { Configuration } from '../../dist/config/index.js';
import { waitFor } from './wait.js';

export interface SavepointResumeOptions {
  cluster: LocalMiniCluster;
  program: string;
  /** Checkpoints go to `<dir>/checkpoints`, savepoints to `<dir>/savepoints`. */
  dir: string;
  first: { args: string[]; parallelism: number };
  second: { args: string[]; parallelism: number; config?: Record<string, string> };
}

/** The second run's result; asserts the first ended FINISHED after its stop-with-savepoint. */
export async function runSavepointAndResume(o: SavepointResumeOptions): Promise<Awaited<ReturnType<typeof runProgram>>> {
  const checkpoints = path.join(o.dir, 'checkpoints');
  let jobId = '';
  const first = runProgram({
    program: o.program,
    args: o.first.args,
    parallelism: o.first.parallelism,
    cluster: o.cluster,
    config: Configuration.fromEntries({ 'execution.checkpointing.dir': checkpoints }),
    listener: { onSubmitted: (j) => (jobId = j.jobId) },
  });
  await waitFor('the first job to start', 30_000, () => jobId !== '');
  const jm = o.cluster.jobManager.dispatcher.job(jobId);
  await waitFor('two checkpoints', 30_000, () => jm.checkpointStats().counts.completed >= 2);
  const savepoint = await o.cluster.stopWithSavepoint(jobId, path.join(o.dir, 'savepoints'), false);
  assert.equal((await first).results[0]!.status, 'FINISHED');
  return runProgram({
    program: o.program,
    args: o.second.args,
    parallelism: o.second.parallelism,
    cluster: o.cluster,
    config: Configuration.fromEntries({
      'execution.checkpointing.dir': checkpoints,
      'execution.savepoint.path': savepoint,
      ...o.second.config,
    }),
  });
}
