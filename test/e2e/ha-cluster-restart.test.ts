/**
 * Restart of the whole cluster on ZooKeeper, real processes: two `weir jobmanager` (one leads), two
 * `weir taskmanager`, a detached checkpointed keyed job writing through the two-phase-commit
 * FileSink. Once a checkpoint completed, every JobManager is killed with kill -9 at once; the
 * TaskManagers keep running without a JobManager. One JobManager is started again with the same HA
 * configuration: it leads, recovers the job from its latest completed checkpoint, the TaskManagers
 * register with it, and the job ends FINISHED with every record committed exactly once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertCommittedExactlyOnce, zooKeeperHaCluster } from '../helpers/ha-cluster.js';
import { waitFor } from '../helpers/wait.js';

const zkCluster = zooKeeperHaCluster();

test('kill -9 of every JobManager, one started again: the job recovers from its latest checkpoint, exactly once', async (t) => {
  const COUNT = 6000;
  const KEYS = 5;
  const { cluster } = zkCluster;
  const first = await cluster.startTwoByTwo();
  const out = join(cluster.dir, 'out');
  const submit = cluster.weir('run', [
    'run',
    '-t',
    'remote',
    '-d',
    'test/programs/checkpointed-keyed.ts',
    '--',
    out,
    join(cluster.dir, 'marker'),
    '-1',
    String(COUNT),
    '1000',
    String(KEYS),
    '300',
  ]);
  assert.equal(await submit.exit, 0, submit.output);
  const ha = await cluster.ha();
  const jobId = await waitFor('the job in the execution-plan store', 30_000, async () => (await ha.executionPlans.jobIds())[0]);
  const before = await waitFor(
    'a completed checkpoint',
    30_000,
    async () => (await ha.checkpointStore(jobId).latest())?.checkpointId,
  ).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));

  // The whole cluster's JobManagers go down at once.
  const [a, b] = cluster.jobManagers as [(typeof cluster.jobManagers)[0], (typeof cluster.jobManagers)[0]];
  a.child.kill('SIGKILL');
  b.child.kill('SIGKILL');
  await Promise.all([a.exit, b.exit]);
  const downAt = Date.now();
  assert.equal((await ha.jobResults.get(jobId)) ?? 'no result', 'no result', 'the job has not ended');

  const again = cluster.restartJobManager(first.proc);
  const leader = await cluster.leader(30_000).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  assert.equal(leader.proc, again);
  await waitFor('the job to run again', 30_000, async () => {
    const r = await fetch(`${leader.restUrl}/jobs/${jobId}`).catch(() => undefined);
    return r?.ok && ((await r.json()) as { state: string }).state === 'RUNNING';
  }).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  t.diagnostic(`all JobManagers killed → job RUNNING on the restarted one in ${Date.now() - downAt} ms`);
  const m = /recovered job checkpointed-keyed \(\w+\) from checkpoint (\d+)/.exec(again.output);
  assert.ok(m, `the job is recovered from a checkpoint\n${again.output.slice(-2000)}`);
  assert.ok(Number(m[1]) >= before, 'from the latest completed checkpoint');

  const result = await waitFor('the job to end', 60_000, () => ha.jobResults.get(jobId)).catch((e: Error) =>
    assert.fail(`${e.message}\n${cluster.logs()}`),
  );
  assert.equal(result.status, 'FINISHED');
  assertCommittedExactlyOnce(out, COUNT, KEYS);
});
