/**
 * Split brain on ZooKeeper, real processes: the leading JobManager is frozen (SIGSTOP) past its
 * session timeout; the standby takes over and recovers the job; the old leader, resumed (SIGCONT),
 * finds its leadership revoked and exits without writing a checkpoint pointer or telling a task to
 * commit. Then the new leader is killed with kill -9 and the old one, started again as a standby,
 * recovers the job a second time. The committed output holds every record exactly once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertCommittedExactlyOnce, zooKeeperHaCluster } from '../helpers/ha-cluster.js';
import { waitFor } from '../helpers/wait.js';

const zkCluster = zooKeeperHaCluster();

test('a leader frozen past its ZooKeeper session is fenced when it resumes; kill -9 of the next leader; exactly-once output', async (t) => {
  const COUNT = 9000;
  const KEYS = 5;
  const { cluster } = zkCluster;
  const first = await cluster.startTwoByTwo();
  const out = join(cluster.dir, 'out');
  const run = cluster.weir('run', [
    'run',
    '-t',
    'remote',
    'test/programs/checkpointed-keyed.ts',
    '--',
    out,
    join(cluster.dir, 'marker'),
    '-1',
    String(COUNT),
    '900',
    String(KEYS),
    '300',
  ]);
  const ha = await cluster.ha();
  const jobId = await waitFor('the job in the execution-plan store', 30_000, async () => (await ha.executionPlans.jobIds())[0]);
  await waitFor('a completed checkpoint', 30_000, async () => (await ha.checkpointStore(jobId).latest())?.checkpointId).catch((e: Error) =>
    assert.fail(`${e.message}\n${cluster.logs()}`),
  );

  // Freeze the leader past its session: the standby takes over.
  first.proc.child.kill('SIGSTOP');
  const frozenAt = Date.now();
  const second = await cluster.leader(20_000, first.pid).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  t.diagnostic(`SIGSTOP → new leader in ${Date.now() - frozenAt} ms`);
  const pointerBefore = (await ha.checkpointStore(jobId).latest())?.checkpointId ?? 0;
  first.proc.child.kill('SIGCONT');
  await waitFor('the resumed old leader to exit', 20_000, () => first.proc.exited).catch((e: Error) =>
    assert.fail(`${e.message}\n${first.proc.output.slice(-3000)}`),
  );
  assert.equal(await first.proc.exit, 70, 'a deposed leader exits');
  assert.match(first.proc.output, /lost leadership/);
  assert.doesNotMatch(first.proc.output.slice(first.proc.output.lastIndexOf('lost leadership')), /checkpoint \d+ of job \S+ completed/);
  await waitFor(
    'checkpoints to go on under the new leader',
    20_000,
    async () => ((await ha.checkpointStore(jobId).latest())?.checkpointId ?? 0) > pointerBefore,
  );

  // The old leader comes back as a standby; the new leader is killed: recovered again.
  const again = cluster.restartJobManager(first.proc);
  second.proc.child.kill('SIGKILL');
  const third = await cluster.leader(20_000, second.pid).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  assert.equal(third.proc, again);

  await waitFor('weir run to end', 90_000, () => run.exited).catch(() => undefined);
  assert.equal(run.exited ? await run.exit : 'still running', 0, `${run.output.slice(-2000)}\n${cluster.logs()}`);
  assert.match(run.output, /FINISHED/);
  assertCommittedExactlyOnce(out, COUNT, KEYS);
});
