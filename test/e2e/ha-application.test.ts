/**
 * Application mode with high availability on etcd, real processes: two `weir jobmanager
 * --application` with the same HA configuration (one leads and runs main(), the other stands by)
 * and two TaskManagers. main() calls execute() three times, each a checkpointed keyed job writing
 * through the two-phase-commit FileSink. The leader is killed with kill -9 after the first job
 * finished and while the second runs: the standby takes over and re-runs main() with the same job
 * ids; the first job is not run again (its result is in the job result store), the second is
 * re-attached to and resumes from its latest checkpoint, the third runs. Every job's committed
 * output holds every record exactly once, and the application ends with the standby's exit 0.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { applicationJobId } from '../../src/runtime/jobmanager/dispatcher.js';
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

test('three execute() calls, leader killed during the second: the first never runs again, the second resumes, exactly once', async (t) => {
  const COUNT = 3000;
  const KEYS = 5;
  const out = join(cluster.dir, 'out');
  const app = ['--application', 'test/programs/ha-application.ts', '--', out, String(COUNT), '1000', String(KEYS)];
  await cluster.startJobManager(app);
  await cluster.startJobManager(app);
  const first = await cluster.leader(30_000).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  const standby = cluster.jobManagers.find((p) => p !== first.proc)!;
  cluster.startTaskManager();
  cluster.startTaskManager();
  const ids = [0, 1, 2].map((i) => applicationJobId(cluster.clusterId, i));
  const ha = await cluster.ha();

  await waitFor('the first job to finish', 60_000, async () => (await ha.jobResults.get(ids[0]!))?.status).catch((e: Error) =>
    assert.fail(`${e.message}\n${cluster.logs()}`),
  );
  await waitFor(
    'a completed checkpoint of the second job',
    30_000,
    async () => (await ha.checkpointStore(ids[1]!).latest())?.checkpointId,
  ).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  assert.equal(await ha.jobResults.get(ids[1]!), undefined, 'the second job still runs');
  const killedAt = Date.now();
  first.proc.child.kill('SIGKILL');
  const second = await cluster.leader(20_000, first.pid).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  assert.equal(second.proc, standby);
  t.diagnostic(`kill -9 → new leader in ${Date.now() - killedAt} ms`);

  await waitFor('the application to end on the new leader', 60_000, () => standby.exited).catch((e: Error) =>
    assert.fail(`${e.message}\n${cluster.logs()}`),
  );
  assert.equal(await standby.exit, 0, `the application FINISHED\n${standby.output.slice(-3000)}`);
  const log = standby.output;
  assert.match(log, new RegExp(`job ${ids[0]} \\('ha-application-0'\\) ended FINISHED under an earlier leader: not run again`));
  assert.match(log, new RegExp(`recovered job ha-application-1 \\(${ids[1]}\\) from checkpoint \\d+`));
  assert.match(log, new RegExp(`job ${ids[1]} \\('ha-application-1'\\) runs already \\(recovered\\): attached to it`));
  assert.doesNotMatch(log, new RegExp(`Submitted job \\S+ \\((${ids[0]}|${ids[1]})\\)`), 'no job is submitted twice');
  assert.match(log, new RegExp(`Submitted job ha-application-2 \\(${ids[2]}\\)`));
  for (const id of ids) assert.equal((await ha.jobResults.get(id))?.status, 'FINISHED', `job ${id}`);
  for (let i = 0; i < 3; i++) assertCommittedExactlyOnce(join(out, `job-${i}`), COUNT, KEYS);
  // main() ran twice: each run saw the execute() calls it made return with the same job ids.
  const returned = readFileSync(join(out, 'main.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { job: number; jobId: string });
  assert.deepEqual(
    returned.map((r) => [r.job, r.jobId]),
    [
      [0, ids[0]],
      [0, ids[0]],
      [1, ids[1]],
      [2, ids[2]],
    ],
  );
});
