/**
 * Standby JobManagers on etcd, real processes: two `weir jobmanager` with the same HA
 * configuration (one leads, the other waits and redirects its REST requests to the leader), two
 * `weir taskmanager` that find the leader through leader retrieval, and an attached `weir run` of
 * a checkpointed keyed job writing through the two-phase-commit FileSink. The leader is killed
 * with kill -9: the standby takes over, recovers the job from the execution-plan store and its
 * latest completed checkpoint, the TaskManagers register with it, the attached client follows it,
 * and the committed output holds every record exactly once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEtcd, type EtcdServer } from '../helpers/services/etcd.js';
import { assertCommittedExactlyOnce, HaCluster } from '../helpers/ha-cluster.js';
import { waitFor } from '../helpers/wait.js';

let etcd: EtcdServer;
let cluster: HaCluster;

before(async () => {
  etcd = await startEtcd();
  cluster = new HaCluster({ 'high-availability.type': 'etcd', 'high-availability.etcd.endpoints': etcd.endpoint });
});
after(async () => {
  await cluster?.stop();
  await etcd?.stop();
});

test('kill -9 of the leading JobManager: the standby recovers the job from its latest checkpoint; exactly-once output; the client follows', async (t) => {
  t.diagnostic(`cluster dir ${cluster.dir}`);
  const COUNT = 9000;
  const KEYS = 5;
  await cluster.startJobManager();
  await cluster.startJobManager();
  const first = await cluster.leader().catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  const standby = cluster.jobManagers.find((p) => p !== first.proc)!;
  cluster.startTaskManager();
  cluster.startTaskManager();

  // The standby's REST API redirects to the leader's.
  const standbyUrl = await waitFor('the standby to publish nothing and answer', 30_000, async () => {
    const m = /REST (http:\/\/[\d.:]+)/.exec(standby.output);
    return m?.[1];
  }).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  const redirect = await fetch(`${standbyUrl}/overview`, { redirect: 'manual' });
  assert.equal(redirect.status, 307);
  assert.equal(redirect.headers.get('location'), `${first.restUrl}/overview`);
  const followed = (await (await fetch(`${standbyUrl}/overview`)).json()) as { taskmanagers: number };
  assert.equal(typeof followed.taskmanagers, 'number', 'a redirected request is answered by the leader');

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
    '1200',
    String(KEYS),
    '300',
  ]);
  const ha = await cluster.ha();
  const jobId = await waitFor('the job to be in the execution-plan store', 30_000, async () => (await ha.executionPlans.jobIds())[0]);
  await waitFor(
    'a completed checkpoint in the HA store',
    30_000,
    async () => (await ha.checkpointStore(jobId).latest())?.checkpointId,
  ).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));

  const killedAt = Date.now();
  first.proc.child.kill('SIGKILL');
  const second = await cluster.leader(20_000, first.pid).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  assert.equal(second.proc, standby);
  await waitFor('the job to run again on the new leader', 20_000, async () => {
    const r = await fetch(`${second.restUrl}/jobs/${jobId}`).catch(() => undefined);
    return r?.ok && ((await r.json()) as { state: string }).state === 'RUNNING';
  });
  t.diagnostic(`kill -9 → job RUNNING on the new leader in ${Date.now() - killedAt} ms`);
  assert.match(standby.output, /recovered job checkpointed-keyed .* from checkpoint \d+/);

  await waitFor('weir run to end', 60_000, () => run.exited).catch(() => undefined);
  const code = run.exited ? await run.exit : 'still running';
  assert.equal(code, 0, `weir run followed the job to its end\n${run.output}\n${cluster.logs()}`);
  assert.match(run.output, /FINISHED/);
  assertCommittedExactlyOnce(out, COUNT, KEYS);
  // The job result store has it clean; the plan and checkpoint pointers are gone.
  await waitFor('the result to be clean', 10_000, async () => (await ha.jobResults.get(jobId))?.state === 'clean');
  assert.deepEqual(await ha.executionPlans.jobIds(), []);
  assert.equal(await ha.checkpointStore(jobId).latest(), undefined);
});
