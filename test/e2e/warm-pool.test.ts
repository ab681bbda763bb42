/**
 * The TaskManager's warm pool of slot workers (taskmanager.slot.warm-pool.size), on a real
 * JobManager and TaskManager (runJobManager, runTaskManager) talking over loopback RPC:
 *
 * - a TaskManager starts one worker per slot ahead of any job; a job's slots take them (no worker
 *   started on deployment), and the pool refills after the job ends;
 * - a warm worker serves one job only: the next job's code runs in workers that ran no other job;
 * - size 0 starts every worker on deployment; a bad size is refused naming the key.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { runProgram } from '../../dist/client/run-program.js';
import { runJobManager, type JobManagerProcess } from '../../dist/cluster/standalone/jobmanager-main.js';
import { runTaskManager, type TaskManagerProcess } from '../../dist/cluster/standalone/taskmanager-main.js';
import type { Logger } from '../../dist/runtime/rpc/transport.js';
import { threadDump } from '../../dist/util/process-info.js';
import { waitFor } from '../helpers/wait.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROGRAM = path.join(root, 'test', 'programs', 'warm-pool-isolation.ts');
const SECRET = 'warm-pool-test-secret-0123456789abcdef';
const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let jm: JobManagerProcess;
const tms: TaskManagerProcess[] = [];

async function startTaskManager(extra: Record<string, string | number> = {}): Promise<TaskManagerProcess> {
  const tm = await runTaskManager(
    Configuration.fromEntries({ 'security.cluster.secret': SECRET, 'taskmanager.numberOfTaskSlots': 2, ...extra }),
    jm.rpcAddress,
    { handleSignals: false, log: quiet },
  );
  tms.push(tm);
  await tm.registered();
  return tm;
}

/** Runs the isolation program; returns the run counts its records carried. */
async function runJob(): Promise<number[]> {
  const run = await runProgram({ program: PROGRAM, args: ['200'], config: Configuration.fromEntries({}), cluster: jm.client });
  const r = run.results[0]!;
  assert.equal(r.status, 'FINISHED', JSON.stringify(r.error));
  return Object.values(r.collected).flatMap((rows) => rows as number[]);
}

before(async () => {
  jm = await runJobManager(
    Configuration.fromEntries({
      'jobmanager.rpc.address': '127.0.0.1',
      'jobmanager.rpc.port': 0,
      'rest.port': 0,
      'security.cluster.secret': SECRET,
    }),
    { handleSignals: false, log: quiet },
  );
});

after(async () => {
  for (const tm of tms) await tm.close();
  await jm?.close();
});

test('slots take pre-started workers, each serves one job, and the pool refills after the job', async () => {
  const tm = await startTaskManager({ 'taskmanager.slot.warm-pool.size': 2 });
  const pool = tm.taskManager.warmPool;
  assert.equal(pool.size, 2);
  await waitFor('the pool to start its workers', 10_000, () => pool.available === 2);
  assert.deepEqual(pool.stats, { started: 2, hits: 0, misses: 0 });

  const first = await runJob();
  assert.equal(first.length, 200);
  assert.deepEqual(new Set(first), new Set([1]), 'the first job ran in workers that had run no job');
  assert.equal(pool.stats.hits, 2, 'both slots took a pre-started worker');
  assert.equal(pool.stats.misses, 0);

  // The job's workers end with it (released in the background after FINISHED); the pool refills.
  await waitFor('the job workers to end and the pool to refill', 15_000, () => tm.taskManager.activeWorkers === 0 && pool.available === 2);
  assert.equal(pool.stats.started, 4);
  await waitFor('no thread of the finished job to be left', 5_000, () => !threadDump().some((t) => t.threadName.startsWith('Slot ')));

  const second = await runJob();
  assert.deepEqual(new Set(second), new Set([1]), 'the second job did not run in a worker of the first');
  assert.equal(pool.stats.hits, 4);
  await waitFor('the second job workers to end', 15_000, () => tm.taskManager.activeWorkers === 0 && pool.available === 2);
  await tm.close();
});

test('taskmanager.slot.warm-pool.size 0 starts every slot worker on deployment; the default is 1', async () => {
  assert.equal(Configuration.fromEntries({}).get('taskmanager.slot.warm-pool.size'), 1);
  const tm = await startTaskManager({ 'taskmanager.slot.warm-pool.size': 0 });
  const pool = tm.taskManager.warmPool;
  assert.equal(pool.size, 0);
  const values = await runJob();
  assert.deepEqual(new Set(values), new Set([1]));
  assert.deepEqual(pool.stats, { started: 0, hits: 0, misses: 0 });
  assert.equal(pool.available, 0);
  await tm.close();
});

test('a negative or non-integer pool size is refused, naming the option', () => {
  for (const bad of [-1, 'two']) {
    assert.throws(
      () => Configuration.fromEntries({ 'taskmanager.slot.warm-pool.size': bad }),
      (e: Error & { code?: string }) => e.code === 'WEIR_CONFIG_BAD_VALUE' && /taskmanager\.slot\.warm-pool\.size/.test(e.message),
    );
  }
});
