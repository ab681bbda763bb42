/**
 * `weir operator` against a real API server (test control plane and pod runner, see
 * docs/kubernetes.md), run as the real command: a WeirDeployment applied with kubectl comes up
 * (STABLE, job RUNNING); a parallelism change upgrades the job through a savepoint; suspend deletes
 * the JobManager and keeps the savepoint in status, resume starts from it; the output has every
 * record exactly once across all of it; kubectl delete removes every object and the finalizer. A
 * WeirDeployment with an unreadable bundle fails with a clear status.error while the other one is
 * served. The operator runs as a service account with the ClusterRole of docs/kubernetes-operator.md.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { alive, cleanup, notePid, tempDir, weirAsync } from './deploy-helpers.js';
import type { PodRunner } from '../helpers/kubernetes/pod-runner.js';
import { SESSION_RULES, startTestBed, weirServiceAccount, type KubernetesTestBed } from '../helpers/kubernetes/test-bed.js';
import type { KubernetesControlPlane } from '../helpers/services/kubernetes.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const COUNT = 900;
const RATE = 60;
let k8s: KubernetesControlPlane;
let runner: PodRunner;
let bed: KubernetesTestBed;
let operator: ReturnType<typeof weirAsync>;
/** Output of operators killed earlier in the file. */
let earlierOperators = '';

async function startOperator(kubeconfig: string): Promise<void> {
  operator = weirAsync([
    'operator',
    '-D',
    `kubernetes.config.file=${kubeconfig}`,
    '-D',
    'kubernetes.operator.reconcile.interval=500 ms',
    '-D',
    'kubernetes.operator.retry.initial.interval=200 ms',
    '-D',
    'kubernetes.operator.retry.max.interval=2 s',
  ]);
  await waitFor('the operator to start', 30_000, () => operator.output().includes('Weir operator started'));
}
const dir = tempDir('weir-k8s-operator-');
const CRD = resolve('deploy/helm/weir-operator/crds/weirdeployments.weir.dev.yaml');

/** The operator's service account with the ClusterRole of docs/kubernetes-operator.md (the clusters run as `weir`). */
const OPERATOR_RBAC = `
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: weir-operator }
---
${readFileSync(resolve('docs/kubernetes-operator.md'), 'utf8').match(/```yaml\n(apiVersion: rbac[^`]*kind: ClusterRole\n[^`]*)```/)![1]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: weir-operator }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: weir-operator }
subjects: [{ kind: ServiceAccount, name: weir-operator, namespace: default }]
`;

/** A kubeconfig that authenticates as the operator's service account, so that the RBAC of docs/kubernetes-operator.md is what it gets. */
async function operatorKubeconfig(): Promise<string> {
  const token = (await k8s.kubectl('create', 'token', 'weir-operator', '--duration=1h')).trim();
  const kc = new KubeConfig();
  const cluster = k8s.kubeConfig.getCurrentCluster()!;
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'weir-operator', token }],
    contexts: [{ name: 'operator', cluster: cluster.name, user: 'weir-operator' }],
    currentContext: 'operator',
  });
  const path = join(dir, 'operator-kubeconfig');
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}

interface Status {
  lifecycleState?: string;
  error?: string;
  jobManagerDeploymentStatus?: string;
  jobStatus?: {
    jobId?: string;
    state?: string;
    upgradeSavepointPath?: string;
    savepointInfo?: { lastSavepoint?: { location: string; triggerType: string } };
  };
}

before(async () => {
  bed = await startTestBed({ manifests: weirServiceAccount(SESSION_RULES) + OPERATOR_RBAC, dir });
  ({ k8s, runner } = bed);
  await k8s.kubectl('apply', '-f', CRD);
  await k8s.kubectl('wait', '--for=condition=Established', 'crd/weirdeployments.weir.dev', '--timeout=30s');
  await startOperator(await operatorKubeconfig());
});

after(async () => {
  operator?.child.kill('SIGTERM');
  for (const p of (await bed?.stop()) ?? []) notePid(p);
  cleanup();
});

/** The end of the operator's output and of every container log, for failure messages. */
function logs(): string {
  const pods = bed.podLogs(1500);
  return `--- operator\n${(earlierOperators + operator.output()).slice(-4000)}\n${pods}`;
}

async function status(name: string): Promise<Status> {
  const out = await k8s.kubectl('get', 'weirdeployment', name, '-o', 'jsonpath={.status}').catch(() => '');
  return out ? (JSON.parse(out) as Status) : {};
}

async function waitStatus(name: string, what: string, ms: number, pred: (s: Status) => boolean): Promise<Status> {
  let last: Status = {};
  await waitFor(`${name}: ${what}`, ms, async () => pred((last = await status(name)))).catch((e: Error) => {
    throw new Error(`${e.message}; last status ${JSON.stringify(last)}\n${logs()}`);
  });
  return last;
}

async function patchJob(name: string, job: Record<string, unknown>): Promise<void> {
  await k8s.kubectl('patch', 'weirdeployment', name, '--type=merge', '-p', JSON.stringify({ spec: { job } }));
}

/** Every number the job committed to its output, counted. */
function committed(out: string): Map<number, number> {
  const seen = new Map<number, number>();
  for (const f of readdirSync(out).filter((f) => f.endsWith('.jsonl')))
    for (const l of readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean)) {
      const i = (JSON.parse(l) as { i: number }).i;
      seen.set(i, (seen.get(i) ?? 0) + 1);
    }
  return seen;
}

/** A WeirDeployment of the test: its own free ports, checkpoints every 300 ms, no restarts. */
const manifest = async (name: string, bundleURI: string, args: string[], upgradeMode = 'savepoint', port?: number): Promise<string> => `
apiVersion: weir.dev/v1beta1
kind: WeirDeployment
metadata: { name: ${name} }
spec:
  serviceAccount: weir
  jobManager: { resource: { cpu: 0.5, memory: 512Mi } }
  taskManager: { resource: { cpu: 0.5, memory: 1Gi } }
  weirConfiguration:
    rest.port: "${port ?? (await freePort())}"
    jobmanager.rpc.port: "${await freePort()}"
    restart-strategy.type: none
    taskmanager.numberOfTaskSlots: "2"
    resourcemanager.taskmanager-timeout: "2 s"
    execution.checkpointing.interval: "300 ms"
    execution.checkpointing.dir: "${join(dir, 'checkpoints')}"
    execution.checkpointing.savepoint-dir: "${join(dir, 'savepoints')}"
  job:
    bundleURI: ${bundleURI}
    args: ${JSON.stringify(args)}
    parallelism: 1
    upgradeMode: ${upgradeMode}
`;

const bundle = pathToFileURL(resolve('test/programs/operator-job.ts')).href;
/** The live processes the pod runner started for a cluster's pods (their arguments name its id). */
function clusterProcesses(id: string): number[] {
  return runner.pids.filter((p) => {
    if (!alive(p) || !existsSync(`/proc/${p}/cmdline`)) return false;
    return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(`kubernetes.cluster-id=${id}`);
  });
}

const running = (s: Status): boolean => s.lifecycleState === 'STABLE' && s.jobStatus?.state === 'RUNNING';

// The two run side by side (their own resources, ports and output), which keeps the file short.
describe('weir operator', { concurrency: 2 }, () => {
  test('a WeirDeployment is deployed, upgraded with a savepoint, suspended, resumed and deleted with exactly-once output', async (t) => {
    const out = join(dir, 'out');
    const restPort = await freePort();
    // Two that cannot work (a bundle that is not there, a job that fails), next to the one that does:
    // the operator reports them and serves the other.
    writeFileSync(join(dir, 'broken.yaml'), await manifest('broken', 'file:///nonexistent/job.ts', []));
    await k8s.kubectl('apply', '-f', join(dir, 'broken.yaml'));
    writeFileSync(join(dir, 'failing.yaml'), await manifest('failing', pathToFileURL(resolve('test/programs/throws.ts')).href, []));
    await k8s.kubectl('apply', '-f', join(dir, 'failing.yaml'));
    writeFileSync(join(dir, 'job.yaml'), await manifest('sums', bundle, [String(COUNT), String(RATE), out], 'savepoint', restPort));
    const t0 = Date.now();
    await k8s.kubectl('apply', '-f', join(dir, 'job.yaml'));

    const broken = await waitStatus('broken', 'FAILED', 30_000, (s) => s.lifecycleState === 'FAILED');
    assert.match(broken.error ?? '', /cannot read job\.bundleURI 'file:\/\/\/nonexistent\/job\.ts'/);
    assert.equal((await k8s.kubectl('get', 'deployment', '-l', 'app=broken', '-o', 'name')).trim(), '', 'nothing deployed for it');
    const failing = await waitStatus('failing', 'FAILED', 60_000, (s) => s.lifecycleState === 'FAILED');
    assert.equal(failing.jobStatus?.state, 'FAILED');
    assert.match(failing.error ?? '', /the job [0-9a-f]{32} failed: .*bad record 700/);

    const first = await waitStatus('sums', 'STABLE and RUNNING', 60_000, running);
    t.diagnostic(`kubectl apply → STABLE/RUNNING in ${Date.now() - t0} ms`);
    const objects = await k8s.kubectl('get', 'deployment,service', '-l', 'app=sums', '-o', 'name');
    assert.match(objects, /^deployment\.apps\/sums$/m);
    assert.match(objects, /^service\/sums-rest$/m);
    const owner = await k8s.kubectl(
      'get',
      'deployment',
      'sums',
      '-o',
      'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}',
    );
    assert.equal(owner, 'WeirDeployment/sums');
    assert.equal(
      await k8s.kubectl('get', 'weirdeployment', 'sums', '-o', 'jsonpath={.metadata.finalizers[0]}'),
      'weirdeployments.weir.dev/finalizer',
    );

    // Some output committed before the upgrade, so the savepoint carries source and sink state.
    await waitFor('output before the upgrade', 30_000, () => committed(out).size > 100);
    await patchJob('sums', { parallelism: 2 });
    const upgraded = await waitStatus(
      'sums',
      'upgraded and RUNNING',
      60_000,
      (s) => running(s) && s.jobStatus?.jobId !== first.jobStatus?.jobId,
    );
    const upgradeSavepoint = upgraded.jobStatus?.savepointInfo?.lastSavepoint;
    assert.equal(upgradeSavepoint?.triggerType, 'UPGRADE');
    assert.equal(upgraded.jobStatus?.upgradeSavepointPath, upgradeSavepoint?.location, 'the new job started from the upgrade savepoint');

    await patchJob('sums', { state: 'suspended' });
    const suspended = await waitStatus('sums', 'SUSPENDED', 60_000, (s) => s.lifecycleState === 'SUSPENDED');
    const suspendSavepoint = suspended.jobStatus?.savepointInfo?.lastSavepoint;
    assert.equal(suspendSavepoint?.triggerType, 'SUSPEND');
    assert.equal(suspended.jobManagerDeploymentStatus, 'MISSING');
    assert.equal(
      (await k8s.kubectl('get', 'deployment,service,pods', '-l', 'app=sums', '-o', 'name')).trim(),
      '',
      'the JobManager is gone',
    );
    const atSuspend = committed(out).size;
    assert.ok(atSuspend < COUNT, `the job was suspended before its end (${atSuspend} of ${COUNT})`);

    await patchJob('sums', { state: 'running' });
    const resumed = await waitStatus('sums', 'resumed and RUNNING', 60_000, running);
    assert.equal(resumed.jobStatus?.upgradeSavepointPath, suspendSavepoint?.location, 'resumed from the suspend savepoint');
    await waitStatus('sums', 'the job FINISHED', 60_000, (s) => s.jobStatus?.state === 'FINISHED');
    const seen = committed(out);
    const wrong = [...Array(COUNT).keys()].filter((i) => seen.get(i) !== 1);
    assert.deepEqual(wrong.slice(0, 10), [], `every record exactly once (${wrong.length} lost or repeated)`);
    assert.equal(seen.size, COUNT);

    await k8s.kubectl('delete', 'weirdeployment', 'sums', 'broken', 'failing', '--timeout=60s');
    // Only this test's resources: the last-state test beside it has its own.
    const left = (await k8s.kubectl('get', 'weirdeployment', '-o', 'name')).trim().split('\n');
    assert.deepEqual(
      left.filter((n) => /\/(sums|broken|failing)$/.test(n)),
      [],
      'finalizers removed, resources gone',
    );
    await waitFor(
      'every object of the deployment to be gone',
      30_000,
      async () => (await k8s.kubectl('get', 'deployment,replicaset,service,secret,pods', '-l', 'app=sums', '-o', 'name')).trim() === '',
    );
    await waitFor('every process of the cluster to exit', 10_000, () => clusterProcesses('sums').length === 0);
    assert.match(operator.output(), /WeirDeployment default\/sums: job stopped, cluster deleted, finalizer removed/);
  });

  test('last-state upgrades start from the latest checkpoint; a new savepointTriggerNonce takes a savepoint', async () => {
    const out = join(dir, 'out-last-state');
    writeFileSync(join(dir, 'last-state.yaml'), await manifest('last', bundle, [String(COUNT), String(RATE), out], 'last-state'));
    await k8s.kubectl('apply', '-f', join(dir, 'last-state.yaml'));
    const first = await waitStatus('last', 'STABLE and RUNNING', 60_000, running);
    // The operator dies (kill -9) wherever it is in its work on both resources; the next one carries
    // on from their status, and neither loses nor repeats a record.
    const kubeconfig = operator.child.spawnargs.find((a) => a.startsWith('kubernetes.config.file='))!.split('=')[1]!;
    operator.child.kill('SIGKILL');
    earlierOperators += (await operator.done).out + '\n--- (killed with SIGKILL; a new operator)\n';
    await startOperator(kubeconfig);

    await patchJob('last', { savepointTriggerNonce: 1 });
    const manual = await waitStatus(
      'last',
      'a manual savepoint',
      30_000,
      (s) => s.jobStatus?.savepointInfo?.lastSavepoint?.triggerType === 'MANUAL',
    );
    assert.equal(manual.jobStatus?.jobId, first.jobStatus?.jobId, 'the job kept running');

    await waitFor('output before the upgrade', 30_000, () => committed(out).size > 100);
    // Two more commits after the manual savepoint (the first may be the savepoint's own): a checkpoint
    // newer than the savepoint exists, so last-state must start from a checkpoint.
    let size = committed(out).size;
    for (let i = 1; i <= 2; i++) {
      const at = size;
      size = await waitFor(`commit ${i} after the manual savepoint`, 30_000, () =>
        committed(out).size > at ? committed(out).size : undefined,
      );
    }
    await patchJob('last', { parallelism: 2 });
    const upgraded = await waitStatus(
      'last',
      'upgraded and RUNNING',
      60_000,
      (s) => running(s) && s.jobStatus?.jobId !== first.jobStatus?.jobId,
    );
    assert.match(upgraded.jobStatus?.upgradeSavepointPath ?? '', /checkpoints/, 'started from a retained checkpoint');
    assert.equal(upgraded.jobStatus?.savepointInfo?.lastSavepoint?.triggerType, 'MANUAL', 'no savepoint was taken for the upgrade');
    await waitStatus('last', 'the job FINISHED', 60_000, (s) => s.jobStatus?.state === 'FINISHED');
    const seen = committed(out);
    const wrong = [...Array(COUNT).keys()].filter((i) => seen.get(i) !== 1);
    assert.deepEqual(wrong.slice(0, 10), [], `every record exactly once (${wrong.length} lost or repeated)`);
    await k8s.kubectl('delete', 'weirdeployment', 'last', '--timeout=60s');
  });
});
