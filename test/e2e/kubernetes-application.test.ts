/**
 * Kubernetes Application clusters against a real API server (test control plane and pod runner,
 * see docs/kubernetes.md), with the real `weir` command: `weir run -t kubernetes-application`
 * ships the bundle in a ConfigMap, main() runs in the JobManager pod, whose ResourceManager creates
 * the TaskManager pods; when the application has ended the cluster deletes itself (Deployment,
 * pods, Service, ConfigMap, Secret). Pod templates' fields reach the JobManager and TaskManager
 * pods; bad templates, oversized or missing programs and the per-job target are refused clearly.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { alive, cleanup, expectedSums, finalSums, notePid, tempDir, weirAsync } from './deploy-helpers.js';
import type { PodRunner } from '../helpers/kubernetes/pod-runner.js';
import { APPLICATION_RULES, HA_RULES, startTestBed, weirServiceAccount, type KubernetesTestBed } from '../helpers/kubernetes/test-bed.js';
import type { KubernetesControlPlane } from '../helpers/services/kubernetes.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const COUNT = 1200;
let k8s: KubernetesControlPlane;
let runner: PodRunner;
let bed: KubernetesTestBed;
let core: CoreV1Api;
let apps: AppsV1Api;
const dir = tempDir('weir-k8s-application-');

const DEFAULT_TEMPLATE = `
apiVersion: v1
kind: Pod
metadata:
  labels: { team: streaming, app: not-the-cluster }
  annotations: { example.com/owner: data-platform }
spec:
  nodeSelector: { example.com/pool: streaming }
  tolerations: [{ key: dedicated, operator: Equal, value: weir, effect: NoSchedule }]
  containers:
    - name: weir-main-container
      env: [{ name: TEMPLATE_ENV, value: default }]
`;

const TASKMANAGER_TEMPLATE = `
apiVersion: v1
kind: Pod
metadata:
  labels: { template: taskmanager }
spec:
  containers:
    - name: weir-main-container
      env: [{ name: TEMPLATE_ENV, value: taskmanager }]
      image: ignored-weir-sets-the-image
`;

before(async () => {
  writeFileSync(join(dir, 'default.yaml'), DEFAULT_TEMPLATE);
  writeFileSync(join(dir, 'taskmanager.yaml'), TASKMANAGER_TEMPLATE);
  bed = await startTestBed({ manifests: weirServiceAccount([...APPLICATION_RULES, ...HA_RULES]), dir });
  ({ k8s, runner } = bed);
  core = k8s.kubeConfig.makeApiClient(CoreV1Api);
  apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
});

after(async () => {
  for (const p of (await bed?.stop()) ?? []) notePid(p);
  cleanup();
});

async function weir(...args: string[]): Promise<{ code: number; out: string }> {
  return weirAsync(args).done;
}

const podLogs = (): string => bed.podLogs();

async function clusterFlags(cluster: string): Promise<string[]> {
  return [
    '-D',
    `kubernetes.config.file=${k8s.kubeconfigPath}`,
    '-D',
    `kubernetes.cluster-id=${cluster}`,
    '-D',
    'kubernetes.service-account=weir',
    '-D',
    `rest.port=${await freePort()}`,
    '-D',
    `jobmanager.rpc.port=${await freePort()}`,
    '-D',
    'taskmanager.numberOfTaskSlots=2',
  ];
}

/** Every object of the cluster, through the API (all kinds the cluster makes) and through kubectl. */
async function leftovers(cluster: string): Promise<string[]> {
  const labelSelector = `app=${cluster}`;
  const ns = { namespace: 'default', labelSelector };
  const names = (kind: string, items: { metadata?: { name?: string } }[]): string[] => items.map((i) => `${kind}/${i.metadata!.name}`);
  const deployment = await apps.readNamespacedDeployment({ name: cluster, namespace: 'default' }).then(
    () => [`deployment/${cluster}`],
    () => [],
  );
  return [
    ...deployment,
    ...names('replicaset', (await apps.listNamespacedReplicaSet(ns)).items),
    ...names('pod', (await core.listNamespacedPod(ns)).items),
    ...names('service', (await core.listNamespacedService(ns)).items),
    ...names('configmap', (await core.listNamespacedConfigMap(ns)).items),
    ...names('secret', (await core.listNamespacedSecret(ns)).items),
  ];
}

/** Records every pod of the cluster seen while `f` runs (the pods are gone afterwards). */
async function watchingPods<T>(cluster: string, f: () => Promise<T>): Promise<{ result: T; pods: Map<string, V1Pod> }> {
  const pods = new Map<string, V1Pod>();
  let done = false;
  const poll = (async () => {
    for (let i = 0; i < 2000 && !done; i++) {
      const list = await core
        .listNamespacedPod({ namespace: 'default', labelSelector: `type=weir-native-kubernetes` })
        .catch(() => undefined);
      for (const p of list?.items ?? []) if (p.metadata!.name!.startsWith(cluster)) pods.set(p.metadata!.name!, p);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return { result: await f(), pods };
  } finally {
    done = true;
    await poll;
  }
}

test('an application runs to completion on TaskManager pods made by its JobManager, with the pod templates, and the cluster removes itself', async (t) => {
  const cluster = 'weir-app-1';
  const out = join(dir, 'out-1');
  const t0 = Date.now();
  const { result: r, pods } = await watchingPods(cluster, async () =>
    weir(
      'run',
      '-t',
      'kubernetes-application',
      ...(await clusterFlags(cluster)),
      '-D',
      `kubernetes.pod-template-file.default=${join(dir, 'default.yaml')}`,
      '-D',
      `kubernetes.pod-template-file.taskmanager=${join(dir, 'taskmanager.yaml')}`,
      '-p',
      '2',
      'test/programs/session-job.ts',
      '--',
      String(COUNT),
      '100000',
      out,
    ),
  );
  t.diagnostic(`weir run -t kubernetes-application took ${Date.now() - t0} ms`);
  assert.equal(r.code, 0, `${r.out}\n${podLogs()}`);
  assert.match(r.out, new RegExp(`Started the Kubernetes application cluster ${cluster} in namespace default in \\d+ ms`));
  assert.match(r.out, /Job 'session-job-1200' \([0-9a-f]{32}\) FINISHED/);
  assert.match(r.out, new RegExp(`Application ${cluster} FINISHED: 1 job\\(s\\); the cluster ${cluster} has removed itself`));
  assert.deepEqual(finalSums(out), expectedSums(COUNT, 5), "the application's job wrote every key's full sum");

  const tms = runner.started.filter((p) => p.startsWith(`default/${cluster}-taskmanager-`));
  assert.ok(tms.length >= 1, `the JobManager created TaskManager pods: ${runner.started.join(', ')}`);
  const jobManagers = [...pods.values()].filter((p) => p.metadata!.labels!.component === 'jobmanager');
  const taskManagers = [...pods.values()].filter((p) => p.metadata!.labels!.component === 'taskmanager');
  assert.ok(jobManagers.length >= 1 && taskManagers.length >= 1, [...pods.keys()].join(', '));
  for (const p of jobManagers) {
    assert.equal(p.metadata!.labels!.team, 'streaming', "the default template's label");
    assert.equal(p.metadata!.labels!.app, cluster, "Weir's own label wins over the template's");
    assert.equal(p.metadata!.annotations!['example.com/owner'], 'data-platform');
    assert.deepEqual(p.spec!.nodeSelector, { 'example.com/pool': 'streaming' });
    assert.equal(p.spec!.tolerations!.find((x) => x.key === 'dedicated')?.value, 'weir');
    const main = p.spec!.containers.find((c) => c.name === 'weir-main-container')!;
    assert.equal(main.env!.find((e) => e.name === 'TEMPLATE_ENV')?.value, 'default');
    assert.ok(
      main.env!.some((e) => e.name === 'POD_IP'),
      "Weir's environment is kept",
    );
  }
  for (const p of taskManagers) {
    assert.equal(p.metadata!.labels!.template, 'taskmanager', "the TaskManager template's label");
    assert.equal(p.metadata!.labels!.team, undefined, 'kubernetes.pod-template-file.taskmanager replaces the default for TaskManagers');
    const main = p.spec!.containers.find((c) => c.name === 'weir-main-container')!;
    assert.equal(main.env!.find((e) => e.name === 'TEMPLATE_ENV')?.value, 'taskmanager');
    assert.notEqual(main.image, 'ignored-weir-sets-the-image', "Weir's image wins");
    assert.equal(p.spec!.restartPolicy, 'Never');
  }

  assert.deepEqual(await leftovers(cluster), [], 'nothing of the cluster is left (API)');
  assert.equal(
    (await k8s.kubectl('get', 'deployment,replicaset,pods,service,configmap,secret', '-l', `app=${cluster}`, '-o', 'name')).trim(),
    '',
    'nothing of the cluster is left (kubectl)',
  );
  await waitFor('every process of the cluster to exit', 10_000, () => runner.pids.every((p) => !alive(p)));
});

test('detached, with Kubernetes HA: weir run returns with the cluster id and REST address once the cluster is up; the cluster ends by itself, its HA ConfigMaps and Lease too', async () => {
  const cluster = 'weir-app-2';
  const out = join(dir, 'out-2');
  const leases = k8s.kubeConfig.makeApiClient(CoordinationV1Api);
  const haLeft = async (): Promise<string[]> =>
    [
      ...(await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'configmap-type=high-availability' })).items,
      ...(await leases.listNamespacedLease({ namespace: 'default', labelSelector: `app=${cluster}` })).items,
    ].map((o) => o.metadata!.name!);
  const r = await weir(
    'run',
    '-d',
    '-t',
    'kubernetes-application',
    ...(await clusterFlags(cluster)),
    '-D',
    'high-availability.type=kubernetes',
    '-D',
    `high-availability.storageDir=${join(dir, 'ha-2')}`,
    'test/programs/session-job.ts',
    '--',
    // 400 records at 100 a second: the application runs while the client waits for its REST API.
    '400',
    '100',
    out,
  );
  assert.equal(r.code, 0, `${r.out}\n${podLogs()}`);
  assert.match(
    r.out,
    new RegExp(
      `Started the Kubernetes application cluster ${cluster} in namespace default in \\d+ ms — REST API at http://127\\.0\\.0\\.1:\\d+`,
    ),
  );
  assert.ok((await haLeft()).length > 0, 'while it runs, the cluster keeps its HA data in ConfigMaps and a Lease');
  await waitFor('the application cluster to remove itself', 60_000, async () => (await leftovers(cluster)).length === 0);
  await waitFor('its HA ConfigMaps and Lease to be deleted', 10_000, async () => (await haLeft()).length === 0);
  assert.deepEqual(finalSums(out), expectedSums(400, 5));
});

test('bad input is refused with a clear error and leaves no object behind', async () => {
  const flags = ['-D', `kubernetes.config.file=${k8s.kubeconfigPath}`, '-D', 'kubernetes.cluster-id=weir-bad'];
  const run = (...args: string[]): Promise<{ code: number; out: string }> => weir('run', '-t', 'kubernetes-application', ...flags, ...args);
  writeFileSync(join(dir, 'deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\n');
  const big = join(dir, 'big-program.ts');
  // Random text does not compress away: the bundle is larger than a ConfigMap may be.
  const filler = Array.from({ length: 1_200_000 / 32 }, (_, i) => (i * 2654435761).toString(36).padStart(32, 'x')).join('');
  writeFileSync(big, `const data = ${JSON.stringify(filler)};\nconsole.log(data.length);\n`);

  // Missing and non-YAML template files: test/unit/kubernetes-pod-template.test.ts.
  const cases: [string[], RegExp][] = [
    [
      ['-D', `kubernetes.pod-template-file.taskmanager=${join(dir, 'deployment.yaml')}`, 'test/programs/session-job.ts'],
      /the pod template .*deployment\.yaml \(kubernetes\.pod-template-file\.taskmanager\) is not a Pod: it has apiVersion apps\/v1 and kind Deployment/,
    ],
    [[big], /the bundle of big-program\.ts is \d+ bytes: .*at most 1048576 bytes, 1 MiB/],
    [[join(dir, 'no-such-program.ts')], /no-such-program\.ts/],
  ];
  for (const [args, expected] of cases) {
    const r = await run(...args);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, expected);
  }
  const perJob = await weir('run', '-t', 'kubernetes-per-job', ...flags, 'test/programs/session-job.ts');
  assert.notEqual(perJob.code, 0);
  assert.match(perJob.out, /-t kubernetes-per-job is not supported .* use -t kubernetes-application/);
  assert.deepEqual(await leftovers('weir-bad'), []);
});
