/**
 * Dedicated clusters with high availability on etcd, real processes: `weir run -t
 * process-application` of an application with three execute() calls and `weir run -t
 * process-per-job` of a checkpointed job. Each cluster keeps its HA data under its own cluster id
 * (high-availability.cluster-id defaults to the dedicated cluster's id), starts its work once its
 * JobManager leads, and records every job in the job result store under the deterministic ids.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Configuration } from '../../src/config/index.js';
import { createHaServices } from '../../src/ha/index.js';
import { applicationJobId } from '../../src/runtime/jobmanager/dispatcher.js';
import { assertCommittedExactlyOnce, ROOT } from '../helpers/ha-cluster.js';
import { startEtcd, type EtcdServer } from '../helpers/services/etcd.js';

let etcd: EtcdServer;
const dir = mkdtempSync(join(tmpdir(), 'weir-ha-dedicated-'));

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function weirRun(clusterId: string, args: string[]): { status: number | null; out: string } {
  const conf: Record<string, string> = {
    'high-availability.type': 'etcd',
    'high-availability.etcd.endpoints': etcd.endpoint,
    'high-availability.storageDir': join(dir, 'storage'),
    'execution.checkpointing.dir': join(dir, 'checkpoints'),
    'process.working-dir': join(dir, 'work'),
    'process.cluster-id': clusterId,
  };
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'weir.mjs'), 'run', ...Object.entries(conf).flatMap(([k, v]) => ['-D', `${k}=${v}`]), ...args],
    { cwd: ROOT, encoding: 'utf8', timeout: 90_000 },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function results(clusterId: string, jobIds: string[]): Promise<(string | undefined)[]> {
  const ha = await createHaServices(
    new Configuration()
      .setDynamic('high-availability.type=etcd')
      .setDynamic(`high-availability.etcd.endpoints=${etcd.endpoint}`)
      .setDynamic(`high-availability.storageDir=${join(dir, 'storage')}`)
      .setDynamic(`high-availability.cluster-id=${clusterId}`),
  );
  try {
    return await Promise.all(jobIds.map(async (id) => (await ha.jobResults.get(id))?.status));
  } finally {
    await ha.close();
  }
}

test('an Application cluster with HA runs its three execute() calls under deterministic ids in its own HA data', async () => {
  const out = join(dir, 'app-out');
  const r = weirRun('ha-app-1', ['-t', 'process-application', 'test/programs/ha-application.ts', '--', out, '400', '2000', '3']);
  assert.equal(r.status, 0, r.out);
  const ids = [0, 1, 2].map((i) => applicationJobId('ha-app-1', i));
  assert.deepEqual(await results('ha-app-1', ids), ['FINISHED', 'FINISHED', 'FINISHED']);
  for (let i = 0; i < 3; i++) assertCommittedExactlyOnce(join(out, `job-${i}`), 400, 3);
});

test('a per-job cluster with HA runs its job in its own HA data', async () => {
  const out = join(dir, 'per-job-out');
  const r = weirRun('ha-per-job-1', [
    '-t',
    'process-per-job',
    'test/programs/checkpointed-keyed.ts',
    '--',
    out,
    join(dir, 'marker'),
    '-1',
    '600',
    '2000',
    '3',
    '200',
  ]);
  assert.equal(r.status, 0, r.out);
  const jobId = /([0-9a-f]{32})/.exec(r.out)?.[1];
  assert.ok(jobId, r.out);
  assert.deepEqual(await results('ha-per-job-1', [jobId]), ['FINISHED']);
  assertCommittedExactlyOnce(out, 600, 3);
});
