/**
 * The operator's parts that need no API server (src/providers/kubernetes/operator/): the spec's
 * checks and what counts as an upgrade, the cluster configuration a spec gives, pod templates,
 * bundle URIs, the work queue (one reconcile per key at a time, backoff on failure), upgrade modes,
 * and that the CRD's schema has the fields the operator reads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { deploymentConfiguration, memorySize, withPodTemplate } from '../../src/providers/kubernetes/operator/cluster.js';
import { TASKMANAGER_TEMPLATE_ANNOTATION } from '../../src/providers/kubernetes/pod-template.js';
import { readBundle, stopForUpgrade } from '../../src/providers/kubernetes/operator/job-control.js';
import type { RestClient } from '../../src/rest/client.js';
import {
  GROUP,
  JobSpecSchema,
  parseSpec,
  PLURAL,
  sameForUpgrade,
  VERSION,
  WeirDeploymentSpecSchema,
  type WeirDeployment,
  type WeirDeploymentSpec,
} from '../../src/providers/kubernetes/operator/resource.js';
import { WorkQueue } from '../../src/providers/kubernetes/operator/workqueue.js';
import { jobManagerDeployment } from '../../src/providers/kubernetes/specs.js';
import { clusterSpec } from '../../src/providers/kubernetes/session.js';

const dep = (spec: WeirDeploymentSpec): WeirDeployment => ({ metadata: { name: 'sums', namespace: 'jobs', uid: 'u1' }, spec });
const base: WeirDeploymentSpec = { job: { bundleURI: 'file:///jobs/sums.ts', parallelism: 1, upgradeMode: 'savepoint' } };

test('a spec with wrong fields is refused naming them', () => {
  const r = parseSpec({ job: { bundleURI: 'file:///x.ts', parallelism: 0, upgradeMode: 'rolling' } });
  assert.ok('error' in r);
  assert.match(r.error, /^invalid WeirDeployment spec: /);
  assert.match(r.error, /spec\/job\/parallelism/);
  assert.match(r.error, /spec\/job\/upgradeMode/);
  assert.ok('error' in parseSpec({}), 'job is required');
  assert.ok('spec' in parseSpec(base));
});

test('a change of args, parallelism, bundle or configuration is an upgrade; state and the savepoint nonce are not', () => {
  const withJob = (job: Partial<WeirDeploymentSpec['job']>): WeirDeploymentSpec => ({ ...base, job: { ...base.job, ...job } });
  assert.ok(!sameForUpgrade(base, withJob({ parallelism: 2 })));
  assert.ok(!sameForUpgrade(base, withJob({ args: ['x'] })));
  assert.ok(!sameForUpgrade(base, withJob({ bundleURI: 'file:///jobs/other.ts' })));
  assert.ok(!sameForUpgrade(base, { ...base, weirConfiguration: { 'parallelism.default': '3' } }));
  assert.ok(sameForUpgrade(base, withJob({ state: 'suspended', savepointTriggerNonce: 7, initialSavepointPath: '/sp' })));
});

test('the spec becomes the cluster configuration: kubernetes.* keys from its fields, Kubernetes memory quantities', () => {
  const full: WeirDeploymentSpec = {
    ...base,
    image: 'weir:1',
    serviceAccount: 'weir',
    jobManager: { resource: { cpu: 0.5, memory: '512Mi' } },
    taskManager: { resource: { cpu: 2, memory: '2Gi' } },
    weirConfiguration: { 'taskmanager.numberOfTaskSlots': '4' },
  };
  const c = deploymentConfiguration(dep(full), full);
  assert.equal(c.get('kubernetes.cluster-id'), 'sums');
  assert.equal(c.get('kubernetes.namespace'), 'jobs');
  assert.equal(c.get('kubernetes.container.image'), 'weir:1');
  assert.equal(c.get('kubernetes.service-account'), 'weir');
  assert.equal(c.get('kubernetes.jobmanager.memory'), 512 * 2 ** 20);
  assert.equal(c.get('kubernetes.taskmanager.memory'), 2 * 2 ** 30);
  assert.equal(c.get('kubernetes.taskmanager.cpu'), 2);
  assert.equal(c.get('taskmanager.numberOfTaskSlots'), 4);
  assert.equal(memorySize('1 gb'), '1 gb');
  const lastState = { ...base, job: { ...base.job, upgradeMode: 'last-state' as const } };
  assert.equal(
    deploymentConfiguration(dep(lastState), lastState).get('execution.checkpointing.externalized-checkpoint-retention'),
    'RETAIN_ON_CANCELLATION',
  );
  const bad = { ...base, weirConfiguration: { 'taskmanager.numberOfTaskSlots': 'many' } };
  assert.throws(
    () => deploymentConfiguration(dep(bad), bad),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'WEIR_OPERATOR');
      assert.match(e.message, /taskmanager\.numberOfTaskSlots/);
      return true;
    },
  );
});

test('a pod template is merged into the JobManager pod and carried for the TaskManagers; its selector labels stay', () => {
  const spec = clusterSpec(deploymentConfiguration(dep(base), base), 'sums', 'jobs');
  const d = withPodTemplate(jobManagerDeployment(spec, []), {
    metadata: { labels: { team: 'a', app: 'other' }, annotations: { note: 'x' } },
    spec: {
      nodeSelector: { disk: 'ssd' },
      containers: [
        { name: 'weir-main-container', env: [{ name: 'TZ', value: 'UTC' }] },
        { name: 'sidecar', image: 'busybox' },
      ],
    },
  });
  const t = d.spec!.template;
  assert.equal(t.metadata!.labels!.team, 'a');
  assert.equal(t.metadata!.labels!.app, 'sums', 'the selector label is kept');
  assert.equal(t.metadata!.annotations!.note, 'x');
  assert.deepEqual(t.spec!.nodeSelector, { disk: 'ssd' });
  assert.deepEqual(
    t.spec!.containers.map((c) => c.name),
    ['weir-main-container', 'sidecar'],
  );
  const main = t.spec!.containers[0]!;
  assert.equal(main.command![0], 'weir', 'the generated container keeps its fields');
  assert.ok(main.env!.some((e) => e.name === 'TZ') && main.env!.some((e) => e.name === 'POD_IP'));
  const forTaskManagers = JSON.parse(d.metadata!.annotations![TASKMANAGER_TEMPLATE_ANNOTATION]!) as { spec: { nodeSelector: unknown } };
  assert.deepEqual(forTaskManagers.spec.nodeSelector, { disk: 'ssd' }, 'TaskManager pods get the template too');
});

test('a bundle URI that is not file:// or s3://, or cannot be read, is a clear error', async () => {
  await assert.rejects(readBundle('/jobs/sums.ts', {}), /job\.bundleURI '\/jobs\/sums\.ts' is not a file:\/\/ or s3:\/\/ URI/);
  await assert.rejects(readBundle('http://example.org/x.ts', {}), /is not a file:\/\/ or s3:\/\/ URI/);
  await assert.rejects(readBundle('file:///nonexistent/x.ts', {}), /cannot read job\.bundleURI 'file:\/\/\/nonexistent\/x\.ts'/);
  const own = await readBundle(new URL('../programs/operator-job.ts', import.meta.url).href, {});
  assert.equal(own.name, 'operator-job.ts');
  assert.ok(own.bytes.length > 100);
});

test('the work queue runs a key once at a time, again when added meanwhile, and backs off on failures', async () => {
  const runs: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  const failures: number[] = [];
  let failing = 3;
  const q = new WorkQueue({
    concurrency: 4,
    initialBackoffMs: 20,
    maxBackoffMs: 50,
    handle: async (key) => {
      runs.push(key);
      if (key === 'ns/bad' && failing-- > 0) throw new Error('boom');
      if (key !== 'ns/a') return undefined;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await gate;
      inFlight--;
      return undefined;
    },
    onError: (_key, _e, retryMs) => failures.push(retryMs),
  });
  q.add('ns/a');
  q.add('ns/a'); // queued once
  await new Promise((r) => setTimeout(r, 10));
  q.add('ns/a'); // while running: once more after it
  q.add('ns/a');
  q.add('ns/bad');
  release();
  gate = new Promise<void>((r) => (release = r));
  await new Promise((r) => setTimeout(r, 10));
  release();
  const deadline = Date.now() + 2000;
  while (failures.length < 3 || runs.filter((k) => k === 'ns/bad').length < 4) {
    assert.ok(Date.now() < deadline, `runs ${runs.join(',')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(maxInFlight, 1);
  assert.equal(runs.filter((k) => k === 'ns/a').length, 2);
  assert.deepEqual(failures, [20, 40, 50], 'the delay doubles per failure, capped');
  await q.close();
});

test('each upgrade mode stops the job its way and names where the next run starts', async () => {
  const calls: string[] = [];
  let state = 'RUNNING';
  const rest = {
    jobStatus: async () => ({ status: state }),
    stopWithSavepoint: async () => (calls.push('stop-with-savepoint'), 't1'),
    awaitSavepoint: async () => ((state = 'FINISHED'), '/savepoints/savepoint-1'),
    cancelJob: async () => {
      calls.push('cancel');
      state = 'CANCELED';
    },
    request: async () => (calls.push('checkpoints'), { latest: { completed: { external_path: '/checkpoints/j/chk-7' } } }),
  } as unknown as RestClient;
  const run = async (mode: 'stateless' | 'savepoint' | 'last-state') => {
    calls.length = 0;
    state = 'RUNNING';
    return { rec: await stopForUpgrade(rest, 'j', mode, 1000, 'UPGRADE'), calls: [...calls] };
  };
  const sp = await run('savepoint');
  assert.deepEqual(sp.calls, ['stop-with-savepoint']);
  assert.equal(sp.rec?.location, '/savepoints/savepoint-1');
  assert.equal(sp.rec?.triggerType, 'UPGRADE');
  const last = await run('last-state');
  assert.deepEqual(last.calls, ['cancel', 'checkpoints'], 'the checkpoint is read after the job stopped');
  assert.equal(last.rec?.location, '/checkpoints/j/chk-7');
  assert.equal(last.rec?.triggerType, 'CHECKPOINT');
  assert.deepEqual(await run('stateless'), { rec: undefined, calls: ['cancel'] });
});

test('the CRD of the Helm chart has the fields of the spec the operator reads, and the lifecycle states', () => {
  const crd = parse(readFileSync('deploy/helm/weir-operator/crds/weirdeployments.weir.dev.yaml', 'utf8')) as {
    spec: {
      group: string;
      names: { plural: string; shortNames: string[] };
      versions: { name: string; schema: { openAPIV3Schema: CrdSchema } }[];
    };
  };
  assert.equal(crd.spec.group, GROUP);
  assert.equal(crd.spec.names.plural, PLURAL);
  assert.deepEqual(crd.spec.names.shortNames, ['weirdep']);
  const version = crd.spec.versions.find((v) => v.name === VERSION)!;
  const root = version.schema.openAPIV3Schema.properties!;
  const keys = (s: { properties?: Record<string, unknown> }): string[] => Object.keys(s.properties ?? {}).sort();
  assert.deepEqual(keys(root.spec!), keys(WeirDeploymentSpecSchema));
  assert.deepEqual(keys(root.spec!.properties!.job!), keys(JobSpecSchema));
  assert.deepEqual(root.status!.properties!.lifecycleState!.enum, [
    'CREATED',
    'DEPLOYED',
    'STABLE',
    'UPGRADING',
    'SUSPENDED',
    'FAILED',
    'DELETING',
  ]);
});

interface CrdSchema {
  properties?: Record<string, CrdSchema>;
  enum?: string[];
}
