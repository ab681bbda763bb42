/**
 * The test control plane of the Kubernetes provider: a real kube-apiserver (with etcd) built from
 * Kubernetes' Go modules, and the pod runner that stands in for the scheduler and the kubelet. kubectl sees the runner's node; a pod created through the API runs as a real local
 * process with the pod's environment, reaches Running with IP 127.0.0.1, and its process is
 * stopped gracefully when the pod is deleted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { PodRunner } from '../helpers/kubernetes/pod-runner.js';
import { startKubernetes, type KubernetesControlPlane } from '../helpers/services/kubernetes.js';
import { waitFor } from '../helpers/wait.js';

let k8s: KubernetesControlPlane;
let runner: PodRunner;
let core: CoreV1Api;
const runnerDir = mkdtempSync(join(tmpdir(), 'weir-pod-runner-'));
const NODE = 'weir-node-1';

before(async () => {
  k8s = await startKubernetes();
  core = k8s.kubeConfig.makeApiClient(CoreV1Api);
  // kube-controller-manager (not started here) would create the namespace's default account.
  await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'default' } } });
  runner = new PodRunner({ kubeConfig: k8s.kubeConfig, nodeName: NODE, dir: runnerDir });
  await runner.start();
});

after(async () => {
  await runner?.close();
  await k8s?.stop();
  rmSync(runnerDir, { recursive: true, force: true });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function podOrUndefined(name: string): Promise<V1Pod | undefined> {
  try {
    return await core.readNamespacedPod({ name, namespace: 'default' });
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}

test('kubectl (built from the Go modules) lists the node the pod runner registered', async () => {
  const out = await k8s.kubectl(
    'get',
    'nodes',
    '-o',
    'custom-columns=NAME:.metadata.name,READY:.status.conditions[0].status',
    '--no-headers',
  );
  assert.match(out, new RegExp(`^${NODE}\\s+True$`, 'm'));
  const version = JSON.parse(await k8s.kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string } };
  assert.equal(version.serverVersion.gitVersion, 'v1.37.2');
});

test('a pod created through the API runs as a local process, reaches Running, and is stopped when deleted', async () => {
  // The script records its environment, then runs until SIGTERM, which it acknowledges.
  const script = [
    `console.log('POD_NAME=' + process.env.POD_NAME + ' POD_IP=' + process.env.POD_IP + ' GREETING=' + process.env.GREETING);`,
    `process.on('SIGTERM', () => { console.log('terminating'); setTimeout(() => process.exit(0), 100); });`,
    `setInterval(() => {}, 1000);`,
  ].join('\n');
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'sleeper' },
      spec: {
        terminationGracePeriodSeconds: 10,
        containers: [
          {
            name: 'main',
            image: 'ignored.example/weir:latest',
            command: ['node', '-e', script],
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'GREETING', value: 'hello $(POD_NAME)' },
            ],
          },
        ],
      },
    },
  });
  const running = await waitFor('the pod to be Running', 20_000, async () => {
    const p = await podOrUndefined('sleeper');
    return p?.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
  });
  assert.equal(running.spec?.nodeName, NODE, 'bound to the runner node through the binding subresource');
  assert.equal(running.status?.podIP, '127.0.0.1');
  assert.deepEqual(
    running.status?.conditions?.filter((c) => c.type === 'Ready').map((c) => c.status),
    ['True'],
  );
  const pid = runner.pid('default', 'sleeper');
  assert.ok(pid !== undefined && alive(pid), 'the container process runs');
  const log = runner.logFile(running, 'main');
  await waitFor('the process to print its environment', 10_000, () => existsSync(log) && readFileSync(log, 'utf8').includes('POD_NAME='));
  assert.match(readFileSync(log, 'utf8'), /POD_NAME=sleeper POD_IP=127\.0\.0\.1 GREETING=hello sleeper/);
  assert.match(
    await k8s.kubectl('get', 'pods', '-o', 'wide', '--no-headers'),
    /^sleeper\s+1\/1\s+Running\s+0\s+\S+\s+127\.0\.0\.1\s+weir-node-1/m,
  );

  // Graceful deletion: the runner sends SIGTERM, the process exits, the runner removes the pod.
  await k8s.kubectl('delete', 'pod', 'sleeper', '--timeout=30s');
  assert.equal(await podOrUndefined('sleeper'), undefined);
  await waitFor('the process to be gone', 5_000, () => !alive(pid));
  assert.match(readFileSync(log, 'utf8'), /terminating/);
});

test('a pod whose command is weir runs the local weir and ends Succeeded (restartPolicy Never)', async () => {
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'weir-version' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'weir', image: 'weir:latest', command: ['/opt/weir/bin/weir'], args: ['--version'] }],
      },
    },
  });
  const done = await waitFor('the pod to succeed', 30_000, async () => {
    const p = await podOrUndefined('weir-version');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  assert.equal(done.status?.phase, 'Succeeded', readFileSync(runner.logFile(done, 'weir'), 'utf8'));
  assert.equal(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  assert.match(readFileSync(runner.logFile(done, 'weir'), 'utf8'), /^0\.1\.0$/m);
  await k8s.kubectl('delete', 'pod', 'weir-version', '--timeout=30s');
});
