/**
 * A Kubernetes session cluster against a real API server (test control plane and pod runner, see
 * docs/kubernetes.md), with the real `weir` command: `weir kubernetes-session` creates the
 * JobManager Deployment and REST Service; two jobs run with `weir run -t kubernetes-session`, their
 * TaskManager pods created by the JobManager (as its service account, through RBAC) and deleted when
 * idle; `weir kubernetes-session stop` removes the Deployment and, through owner references, every
 * object and process of the cluster.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { alive, cleanup, expectedSums, finalSums, notePid, tempDir, weirAsync } from './deploy-helpers.js';
import type { PodRunner } from '../helpers/kubernetes/pod-runner.js';
import { SESSION_RULES, startTestBed, weirServiceAccount, type KubernetesTestBed } from '../helpers/kubernetes/test-bed.js';
import type { KubernetesControlPlane } from '../helpers/services/kubernetes.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const CLUSTER = 'weir-session-1';
const COUNT = 1500;
let k8s: KubernetesControlPlane;
let runner: PodRunner;
let bed: KubernetesTestBed;
let core: CoreV1Api;
const dir = tempDir('weir-k8s-session-');

before(async () => {
  bed = await startTestBed({ manifests: weirServiceAccount(SESSION_RULES), dir });
  ({ k8s, runner } = bed);
  core = k8s.kubeConfig.makeApiClient(CoreV1Api);
});

after(async () => {
  for (const p of (await bed?.stop()) ?? []) notePid(p);
  cleanup();
});

const kubeFlags = (): string[] => ['-D', `kubernetes.config.file=${k8s.kubeconfigPath}`, '-D', `kubernetes.cluster-id=${CLUSTER}`];

async function weir(...args: string[]): Promise<{ code: number; out: string }> {
  return weirAsync(args).done;
}

const podLogs = (): string => bed.podLogs();

async function taskManagerPods(): Promise<string[]> {
  const pods = await core.listNamespacedPod({ namespace: 'default', labelSelector: `app=${CLUSTER},component=taskmanager` });
  return pods.items.map((p) => p.metadata!.name!);
}

test('a session cluster on Kubernetes runs two jobs on TaskManager pods created and deleted on demand, and is removed by stop', async (t) => {
  const restPort = await freePort();
  const t0 = Date.now();
  const started = await weir(
    'kubernetes-session',
    ...kubeFlags(),
    '-D',
    'kubernetes.service-account=weir',
    '-D',
    `rest.port=${restPort}`,
    '-D',
    `jobmanager.rpc.port=${await freePort()}`,
    '-D',
    'taskmanager.numberOfTaskSlots=2',
    '-D',
    'resourcemanager.taskmanager-timeout=2 s',
  );
  t.diagnostic(`weir kubernetes-session took ${Date.now() - t0} ms`);
  assert.equal(started.code, 0, `${started.out}\n${podLogs()}`);
  assert.match(started.out, new RegExp(`REST API at http://127\\.0\\.0\\.1:${restPort}`));
  const objects = await k8s.kubectl('get', 'deployment,service,pods', '-l', `app=${CLUSTER}`, '-o', 'name');
  assert.match(objects, new RegExp(`^deployment\\.apps/${CLUSTER}$`, 'm'));
  assert.match(objects, new RegExp(`^service/${CLUSTER}-rest$`, 'm'));
  assert.match(objects, new RegExp(`^pod/${CLUSTER}-[a-z0-9]+-[a-z0-9]+$`, 'm'), 'the JobManager pod of the Deployment');
  assert.deepEqual(await taskManagerPods(), [], 'no TaskManager pod before a job needs slots');

  for (const n of [1, 2]) {
    const out = join(dir, `out-${n}`);
    const r = await weir(
      'run',
      '-t',
      'kubernetes-session',
      ...kubeFlags(),
      '-p',
      '2',
      'test/programs/session-job.ts',
      '--',
      String(COUNT),
      '100000',
      out,
    );
    assert.equal(r.code, 0, `${r.out}\n${podLogs()}`);
    assert.deepEqual(finalSums(out), expectedSums(COUNT, 5), `job ${n} wrote every key's full sum`);
  }
  const tms = runner.started.filter((p) => p.startsWith(`default/${CLUSTER}-taskmanager-`));
  assert.ok(tms.length >= 1, `the JobManager created TaskManager pods: ${runner.started.join(', ')}`);
  assert.ok(
    tms.every((p) => /-taskmanager-1-\d+$/.test(p)),
    tms.join(', '),
  );
  await waitFor('the idle TaskManager pods to be deleted', 30_000, async () => (await taskManagerPods()).length === 0);

  const stopped = await weir('kubernetes-session', 'stop', ...kubeFlags());
  assert.equal(stopped.code, 0, stopped.out);
  assert.equal((await k8s.kubectl('get', 'deployment,replicaset,service,secret,pods', '-l', `app=${CLUSTER}`, '-o', 'name')).trim(), '');
  await waitFor('every process of the cluster to exit', 10_000, () => runner.pids.every((p) => !alive(p)));
});

test('-t kubernetes-session without a running cluster names the cluster id', async () => {
  const r = await weir(
    'run',
    '-t',
    'kubernetes-session',
    '-D',
    `kubernetes.config.file=${k8s.kubeconfigPath}`,
    '-D',
    'kubernetes.cluster-id=nope',
    'test/programs/session-job.ts',
  );
  assert.notEqual(r.code, 0);
  assert.match(r.out, /no ready session cluster 'nope' in namespace default/);
});
