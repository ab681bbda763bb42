/**
 * Kubernetes high availability against a real API server (test control plane and pod runner), with
 * the real `weir` command: a session cluster with high-availability.type kubernetes and
 * kubernetes.jobmanager.replicas 2 (a leader and a standby, electing on a Lease; HA data in
 * ConfigMaps + storageDir), an attached `weir run -t kubernetes-session` of a checkpointed keyed job
 * writing through the two-phase-commit FileSink; the leading JobManager's pod is deleted with
 * kubectl: the standby takes over, takes the TaskManager pods over, recovers the job from its
 * latest checkpoint, the client follows it, and the committed output holds every record exactly
 * once. `weir kubernetes-session stop` then removes the HA ConfigMaps and Lease.
 *
 * Pods share 127.0.0.1 here, so the JobManagers bind free ports (rest.port and jobmanager.rpc.port
 * 0); clients and TaskManagers find the leader's addresses through leader retrieval.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadConfiguration } from '../../src/config/index.js';
import { createHaServices, type HighAvailabilityServices } from '../../src/ha/index.js';
import { alive, cleanup, notePid, tempDir, weirAsync } from './deploy-helpers.js';
import { assertCommittedExactlyOnce } from '../helpers/ha-cluster.js';
import type { PodRunner } from '../helpers/kubernetes/pod-runner.js';
import { HA_RULES, SESSION_RULES, startTestBed, weirServiceAccount, type KubernetesTestBed } from '../helpers/kubernetes/test-bed.js';
import type { KubernetesControlPlane } from '../helpers/services/kubernetes.js';
import { waitFor } from '../helpers/wait.js';

const CLUSTER = 'weir-ha-1';
let k8s: KubernetesControlPlane;
let runner: PodRunner;
let bed: KubernetesTestBed;
let core: CoreV1Api;
let ha: HighAvailabilityServices | undefined;
const dir = tempDir('weir-k8s-ha-');

before(async () => {
  bed = await startTestBed({ manifests: weirServiceAccount([...SESSION_RULES, ...HA_RULES]), dir });
  ({ k8s, runner } = bed);
  core = k8s.kubeConfig.makeApiClient(CoreV1Api);
  mkdirSync(join(dir, 'storage'));
});

after(async () => {
  await ha?.close();
  for (const p of (await bed?.stop()) ?? []) notePid(p);
  cleanup();
});

const kubeFlags = (): string[] => ['-D', `kubernetes.config.file=${k8s.kubeconfigPath}`, '-D', `kubernetes.cluster-id=${CLUSTER}`];

// The default leader-election timing (6 s / 4 s / 1 s): a deleted pod's JobManager releases the Lease, so the standby takes it at once.
const HA_CONF = { 'high-availability.type': 'kubernetes' };
const haFlags = (): string[] =>
  Object.entries({ ...HA_CONF, 'high-availability.storageDir': join(dir, 'storage') }).flatMap(([k, v]) => ['-D', `${k}=${v}`]);

const podLogs = (): string => bed.podLogs(3000);

/** The pod whose container log names the JobManager process `pid`. */
function podOfPid(pid: number): string | undefined {
  for (const d of readdirSync(bed.runnerDir)) {
    const log = join(bed.runnerDir, d, 'weir-main-container.log');
    if (existsSync(log) && readFileSync(log, 'utf8').includes(`JobManager started (pid ${pid})`)) return d.split('_')[1];
  }
  return undefined;
}

test('replicas 2 with Kubernetes HA: deleting the leading JobManager pod hands over to the standby; the job resumes from its checkpoint exactly once', async (t) => {
  const t0 = Date.now();
  const started = await weirAsync([
    'kubernetes-session',
    ...kubeFlags(),
    ...haFlags(),
    '-D',
    'kubernetes.service-account=weir',
    '-D',
    'kubernetes.jobmanager.replicas=2',
    '-D',
    'rest.port=0',
    '-D',
    'jobmanager.rpc.port=0',
    '-D',
    'taskmanager.numberOfTaskSlots=2',
    '-D',
    `execution.checkpointing.dir=${join(dir, 'checkpoints')}`,
    '-D',
    'heartbeat.interval=500',
    '-D',
    'heartbeat.timeout=3000',
  ]).done;
  t.diagnostic(`weir kubernetes-session (2 JobManagers) took ${Date.now() - t0} ms`);
  assert.equal(started.code, 0, `${started.out}\n${podLogs()}`);
  const jmPods = await core.listNamespacedPod({ namespace: 'default', labelSelector: `app=${CLUSTER},component=jobmanager` });
  assert.equal(jmPods.items.length, 2, 'two JobManager pods');

  const config = loadConfiguration({
    dynamic: [...kubeFlags(), ...haFlags()].filter((a) => a !== '-D'),
  });
  ha = await createHaServices(config);
  const first = await ha.waitForLeader(20_000);
  assert.match(started.out, new RegExp(`REST API at ${first.restUrl.replace(/[.]/g, '\\.')}`), 'the client was given the leader');

  // The standby answers REST requests with a redirect to the leader.
  const standbyUrl = await waitFor('the standby REST API', 20_000, () => {
    for (const m of podLogs().matchAll(/REST (http:\/\/127\.0\.0\.1:\d+)/g)) if (m[1] !== first.restUrl) return m[1];
    return undefined;
  });
  const redirect = await fetch(`${standbyUrl}/overview`, { redirect: 'manual' });
  assert.equal(redirect.status, 307);
  assert.equal(redirect.headers.get('location'), `${first.restUrl}/overview`);

  const COUNT = 6000;
  const KEYS = 5;
  const out = join(dir, 'out');
  const run = weirAsync([
    'run',
    '-t',
    'kubernetes-session',
    ...kubeFlags(),
    'test/programs/checkpointed-keyed.ts',
    '--',
    out,
    join(dir, 'marker'),
    '-1',
    String(COUNT),
    '600',
    String(KEYS),
    '500',
  ]);
  const jobId = await waitFor(
    'the job in the execution-plan store (a ConfigMap)',
    30_000,
    async () => (await ha!.executionPlans.jobIds())[0],
  ).catch((e: Error) => assert.fail(`${e.message}\n${run.output()}\n${podLogs()}`));
  const checkpoint = await waitFor(
    'a completed checkpoint in the HA store',
    30_000,
    async () => (await ha!.checkpointStore(jobId).latest())?.checkpointId,
  );
  const cms = await k8s.kubectl('get', 'configmaps', '-l', `app=${CLUSTER},configmap-type=high-availability`, '-o', 'name');
  assert.match(cms, new RegExp(`configmap/${CLUSTER}-ha-execution-plans`));
  assert.match(await k8s.kubectl('get', 'lease', `${CLUSTER}-ha-leader`, '-o', 'jsonpath={.spec.holderIdentity}'), /^weir-/);

  const leaderPod = podOfPid(first.pid);
  assert.ok(leaderPod, `the leader's pod (pid ${first.pid})`);
  const deletedAt = Date.now();
  await k8s.kubectl('delete', 'pod', leaderPod, '--wait=false');
  const second = await waitFor('the standby to lead', 30_000, async () => {
    const l = await ha!.waitForLeader(1000).catch(() => undefined);
    return l && l.pid !== first.pid ? l : undefined;
  }).catch((e: Error) => assert.fail(`${e.message}\n${podLogs()}`));
  await waitFor('the job to run again on the new leader', 30_000, async () => {
    const r = await fetch(`${second.restUrl}/jobs/${jobId}`).catch(() => undefined);
    return r?.ok && ((await r.json()) as { state: string }).state === 'RUNNING';
  }).catch((e: Error) => assert.fail(`${e.message}\n${podLogs()}`));
  t.diagnostic(`pod deleted → job RUNNING on the standby in ${Date.now() - deletedAt} ms (checkpoint ${checkpoint} was stored before)`);
  assert.match(podLogs(), /recovered job checkpointed-keyed .* from checkpoint \d+/);
  assert.match(podLogs(), /took over \d+ TaskManager pod\(s\) of the previous leader/);

  let ended: { code: number; out: string } | undefined;
  void run.done.then((x) => (ended = x));
  const r = await waitFor('weir run to end', 60_000, () => ended).catch(() => undefined);
  assert.equal(r?.code, 0, `weir run followed the job to its end\n${run.output()}\n${podLogs()}`);
  assert.match(r!.out, /FINISHED/);
  assertCommittedExactlyOnce(out, COUNT, KEYS);
  await waitFor('the result to be clean', 10_000, async () => (await ha!.jobResults.get(jobId))?.state === 'clean');

  const stopped = await weirAsync(['kubernetes-session', 'stop', ...kubeFlags()]).done;
  assert.equal(stopped.code, 0, stopped.out);
  assert.equal(
    (await k8s.kubectl('get', 'configmaps,leases', '-l', `app=${CLUSTER}`, '-o', 'name')).trim(),
    '',
    'HA data removed with the cluster',
  );
  await waitFor('every process of the cluster to exit', 15_000, () => runner.pids.every((p) => !alive(p)));
});

test('replicas 2 without high availability is refused, naming both keys', async () => {
  const r = await weirAsync([
    'kubernetes-session',
    '-D',
    `kubernetes.config.file=${k8s.kubeconfigPath}`,
    '-D',
    'kubernetes.cluster-id=weir-ha-2',
    '-D',
    'kubernetes.jobmanager.replicas=2',
  ]).done;
  assert.notEqual(r.code, 0);
  assert.match(r.out, /kubernetes\.jobmanager\.replicas 2 needs high availability \(high-availability\.type kubernetes/);
});
