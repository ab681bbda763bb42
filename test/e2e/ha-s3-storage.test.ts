/**
 * High availability with high-availability.storageDir on S3 (real SeaweedFS) and real etcd: two
 * `weir jobmanager` processes, one `weir taskmanager`, checkpoints on S3 too. The JobManagers keep
 * their BlobServers in local temporary directories, so the only way the standby can get the job's
 * bundle is the copy in `<storageDir>/<cluster-id>/blobs/`. The leader is killed with kill -9; the
 * standby recovers the job (plan and bundle from S3, state from the latest checkpoint on S3) and
 * the committed output holds every record exactly once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { getFileSystem } from '../../src/fs/index.js';
import { assertCommittedExactlyOnce, HaCluster } from '../helpers/ha-cluster.js';
import { startEtcd, type EtcdServer } from '../helpers/services/etcd.js';
import { startSeaweedS3, type SeaweedS3 } from '../helpers/services/seaweedfs.js';
import { waitFor } from '../helpers/wait.js';

const BUCKET = 'weir-ha';
let etcd: EtcdServer;
let s3: SeaweedS3;
let cluster: HaCluster;

before(async () => {
  [etcd, s3] = await Promise.all([startEtcd(), startSeaweedS3()]);
  await s3.createBucket(BUCKET);
  cluster = new HaCluster({
    'high-availability.type': 'etcd',
    'high-availability.etcd.endpoints': etcd.endpoint,
    'high-availability.storageDir': `s3://${BUCKET}/ha`,
    'execution.checkpointing.dir': `s3://${BUCKET}/checkpoints`,
    ...s3.config,
  });
});
after(async () => {
  await cluster?.stop();
  await s3?.stop();
  await etcd?.stop();
});

test('storageDir on S3: kill -9 of the leader, the standby recovers plan and bundle from S3; exactly-once output', async (t) => {
  const COUNT = 6000;
  const KEYS = 5;
  await cluster.startJobManager();
  await cluster.startJobManager();
  const first = await cluster.leader().catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  const standby = cluster.jobManagers.find((p) => p !== first.proc)!;
  cluster.startTaskManager();

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
    '1000',
    String(KEYS),
    '300',
  ]);
  const ha = await cluster.ha();
  const jobId = await waitFor('the job to be in the execution-plan store', 30_000, async () => (await ha.executionPlans.jobIds())[0]);
  const latest = await waitFor('a completed checkpoint in the HA store', 30_000, () => ha.checkpointStore(jobId).latest()).catch(
    (e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`),
  );
  assert.match(latest.path, new RegExp(`^s3://${BUCKET}/checkpoints/${jobId}/chk-\\d+`));

  // The plan and the blobs it names are in the bucket (the bundle at least).
  const s3fs = getFileSystem(`s3://${BUCKET}`, s3.config);
  const clusterDir = `s3://${BUCKET}/ha/${cluster.clusterId}`;
  assert.ok(await s3fs.stat(`${clusterDir}/execution-plans/${jobId}.json`), 'the plan is in storageDir on S3');
  const blobs = (await s3fs.list(`${clusterDir}/blobs`)).map((f) => f.name);
  assert.ok(
    blobs.some((n) => /^[0-9a-f]{64}\.mjs$/.test(n)),
    `the bundle is in storageDir/blobs on S3: ${blobs.join(', ')}`,
  );

  const killedAt = Date.now();
  first.proc.child.kill('SIGKILL');
  const second = await cluster.leader(20_000, first.pid).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  assert.equal(second.proc, standby);
  await waitFor('the job to run again on the new leader', 20_000, async () => {
    const r = await fetch(`${second.restUrl}/jobs/${jobId}`).catch(() => undefined);
    return r?.ok && ((await r.json()) as { state: string }).state === 'RUNNING';
  }).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
  t.diagnostic(`kill -9 → job RUNNING on the new leader in ${Date.now() - killedAt} ms`);
  assert.match(standby.output, /recovered job checkpointed-keyed .* from checkpoint \d+/);
  // Its BlobServer is a fresh temporary directory: the bundle TaskManagers fetch from it came from S3.
  assert.match(standby.output, new RegExp(`downloaded 1 blob\\(s\\) of job ${jobId} from s3://${BUCKET}/ha/`));

  await waitFor('weir run to end', 40_000, () => run.exited).catch(() => undefined);
  const code = run.exited ? await run.exit : 'still running';
  assert.equal(code, 0, `weir run followed the job to its end\n${run.output}\n${cluster.logs()}`);
  assert.match(run.output, /FINISHED/);
  assertCommittedExactlyOnce(out, COUNT, KEYS);
  await waitFor('the result to be clean', 10_000, async () => (await ha.jobResults.get(jobId))?.state === 'clean');
  assert.deepEqual(await ha.executionPlans.jobIds(), []);
  assert.equal(await s3fs.stat(`${clusterDir}/execution-plans/${jobId}.json`), undefined, 'the plan is removed from S3');
});
