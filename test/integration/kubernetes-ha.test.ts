/**
 * The Kubernetes coordination of high-availability.type kubernetes against a real API server (the
 * test control plane): versioned keys in ConfigMaps with compare-and-swap (a conflict is `false`),
 * children, leader election on a Lease between two contenders, a leader cut off from the API server
 * (through a TCP proxy the test cuts) giving leadership up at its renew deadline while the standby
 * takes the Lease after the lease duration, fenced writes refused after
 * deposition, the leader watch, the HighAvailabilityServices on top, and the clear error outside
 * Kubernetes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createServer, connect, type Socket } from 'node:net';
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadConfiguration } from '../../src/config/index.js';
import { createHaServices, type LeaderSession } from '../../src/ha/index.js';
import { KubernetesCoordination } from '../../src/ha/kubernetes-coordination.js';
import { startKubernetes, type KubernetesControlPlane } from '../helpers/services/kubernetes.js';
import { waitFor } from '../helpers/wait.js';

let k8s: KubernetesControlPlane;
const dir = mkdtempSync(join(tmpdir(), 'weir-k8s-ha-'));
const open: KubernetesCoordination[] = [];

before(async () => {
  k8s = await startKubernetes();
});

after(async () => {
  for (const c of open) await c.close().catch(() => undefined);
  await k8s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const TIMING = { leaseDuration: 3000, renewDeadline: 2000, retryPeriod: 200 };

/** A TCP proxy to the API server that the test can cut (connections dropped, new ones left hanging). */
async function cuttableProxy(): Promise<{ kubeConfig: KubeConfig; cut(): void; close(): void }> {
  const target = new URL(k8s.kubeConfig.getCurrentCluster()!.server);
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (cut) return; // accepted, never answered: a partitioned network
    const up = connect(Number(target.port), target.hostname);
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
    client.pipe(up).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(k8s.kubeConfig.exportConfig());
  kubeConfig.loadFromOptions({
    clusters: kubeConfig.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` })),
    users: kubeConfig.users,
    contexts: kubeConfig.contexts,
    currentContext: kubeConfig.currentContext,
  });
  return {
    kubeConfig,
    cut: () => {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

function coordination(clusterId: string, now?: () => number, kubeConfig = k8s.kubeConfig): KubernetesCoordination {
  const c = new KubernetesCoordination({
    kubeConfig,
    namespace: 'default',
    clusterId,
    root: `/weir/${clusterId}`,
    timing: TIMING,
    ...(now ? { now } : {}),
  });
  open.push(c);
  return c;
}

interface Contender {
  granted: LeaderSession[];
  revoked: string[];
}

function contender(): Contender & { events: { granted(s: LeaderSession): void; revoked(r: string): void } } {
  const c: Contender = { granted: [], revoked: [] };
  return { ...c, events: { granted: (s) => c.granted.push(s), revoked: (r) => c.revoked.push(r) } };
}

test('keys live in labelled ConfigMaps with compare-and-swap per key; children list keys and subdirectories', async () => {
  const c = coordination('weir-kv');
  const root = '/weir/weir-kv';
  assert.equal(await c.get(`${root}/job-results/j1`), undefined);
  assert.equal(await c.put(`${root}/job-results/j1`, Buffer.from('dirty'), { expect: null }), true);
  assert.equal(await c.put(`${root}/job-results/j1`, Buffer.from('again'), { expect: null }), false, 'create-only on an existing key');
  const v1 = (await c.get(`${root}/job-results/j1`))!;
  assert.equal(v1.value.toString(), 'dirty');
  // Another key of the same ConfigMap changes its resourceVersion but not j1's version.
  assert.equal(await c.put(`${root}/job-results/j2`, Buffer.from([0xff, 0x00, 0x01])), true);
  assert.deepEqual((await c.get(`${root}/job-results/j2`))!.value, Buffer.from([0xff, 0x00, 0x01]), 'binary values survive');
  assert.equal(await c.put(`${root}/job-results/j1`, Buffer.from('clean'), { expect: v1.version }), true);
  assert.equal(await c.put(`${root}/job-results/j1`, Buffer.from('stale'), { expect: v1.version }), false, 'stale version refused');
  assert.equal((await c.get(`${root}/job-results/j1`))!.value.toString(), 'clean');

  // Concurrent compare-and-swap increments from two clients: every increment counted once.
  const other = coordination('weir-kv');
  const incr = async (k: KubernetesCoordination): Promise<void> => {
    for (let done = 0; done < 3;) {
      const cur = await k.get(`${root}/counter/n`);
      const n = cur ? Number(cur.value.toString()) : 0;
      if (await k.put(`${root}/counter/n`, Buffer.from(String(n + 1)), { expect: cur ? cur.version : null })) done++;
    }
  };
  await Promise.all([incr(c), incr(other)]);
  assert.equal((await c.get(`${root}/counter/n`))!.value.toString(), '6');

  await c.put(`${root}/checkpoints/jobA/0001`, Buffer.from('a'));
  await c.put(`${root}/checkpoints/jobB/0001`, Buffer.from('b'));
  assert.deepEqual(await c.children(`${root}/checkpoints`), ['jobA', 'jobB']);
  assert.deepEqual(await c.children(`${root}/job-results`), ['j1', 'j2']);
  const cms = await k8s.kubectl('get', 'configmaps', '-l', 'app=weir-kv,configmap-type=high-availability', '-o', 'name');
  assert.match(cms, /^configmap\/weir-kv-ha-job-results$/m);
  assert.match(cms, /^configmap\/weir-kv-ha-checkpoints-joba$|^configmap\/weir-kv-ha-checkpoints-joba-[0-9a-f]+$/m);
  assert.equal(await c.remove(`${root}/checkpoints/jobA`), true);
  assert.deepEqual(await c.children(`${root}/checkpoints`), ['jobB']);
  await c.deleteAll();
  assert.equal((await k8s.kubectl('get', 'configmaps', '-l', 'app=weir-kv', '-o', 'name')).trim(), '');
});

test('two contenders: one leads on the Lease, the watch reports it; cut off, it gives up and the other takes over; the deposed leader is fenced', async () => {
  const proxy = await cuttableProxy();
  // A reaches the API server through the proxy.
  const a = coordination('weir-elect', undefined, proxy.kubeConfig);
  const aDirect = coordination('weir-elect');
  const b = coordination('weir-elect');
  const watcher = coordination('weir-elect');
  const seen: (string | undefined)[] = [];
  const stopWatch = await watcher.watchLeader('/weir/weir-elect/leader', (info) => seen.push(info?.toString()));
  const ca = contender();
  const cb = contender();
  const campaignA = await a.campaign('/weir/weir-elect/leader', (s) => Buffer.from(`A ${s}`), ca.events);
  await waitFor('A to lead', 10_000, () => ca.granted.length === 1);
  const campaignB = await b.campaign('/weir/weir-elect/leader', (s) => Buffer.from(`B ${s}`), cb.events);
  const sa = ca.granted[0]!;
  await waitFor('the watch to report A', 5_000, () => seen.at(-1) === `A ${sa.sessionId}`);
  const leases = k8s.kubeConfig.makeApiClient(CoordinationV1Api);
  const lease = await leases.readNamespacedLease({ name: 'weir-elect-ha-leader', namespace: 'default' });
  assert.ok(lease.spec?.holderIdentity && lease.spec.acquireTime && lease.spec.renewTime, JSON.stringify(lease.spec));
  assert.equal(lease.spec.leaseDurationSeconds, 3);
  // B stays standby while A renews (several retry periods).
  const time = (t: unknown): number => new Date(String(t)).getTime();
  const renewed = time(lease.spec.renewTime);
  await waitFor('A to renew', 5_000, async () => {
    const l = await leases.readNamespacedLease({ name: 'weir-elect-ha-leader', namespace: 'default' });
    return time(l.spec!.renewTime) > renewed;
  });
  assert.equal(cb.granted.length, 0, 'the standby does not lead while the Lease is renewed');

  // Fenced write by the leader.
  assert.equal(await a.put('/weir/weir-elect/execution-plans/j', Buffer.from('A'), { fence: sa }), true);
  // A is cut off from the API server: it gives leadership up at its renew deadline, before B may take the Lease.
  const cutAt = Date.now();
  proxy.cut();
  await waitFor('A to give leadership up', 5_000, () => ca.revoked.length === 1);
  const gaveUp = Date.now() - cutAt;
  assert.ok(gaveUp < TIMING.leaseDuration, `A gave up after ${gaveUp} ms (renew deadline ${TIMING.renewDeadline} ms)`);
  assert.match(ca.revoked[0]!, /renew deadline/);
  assert.equal(sa.valid, false);
  await waitFor('B to take the Lease', 10_000, () => cb.granted.length === 1);
  const sb = cb.granted[0]!;
  assert.ok(Date.now() - cutAt >= TIMING.leaseDuration - TIMING.retryPeriod, 'B waited for the lease duration');
  await waitFor('the watch to report B', 5_000, () => seen.at(-1) === `B ${sb.sessionId}`);
  const after1 = await leases.readNamespacedLease({ name: 'weir-elect-ha-leader', namespace: 'default' });
  assert.equal(after1.spec?.leaseTransitions, 1);

  // The deposed leader's writes fail, even with a session object that still believes it leads (a
  // leader that has not noticed yet): through a coordination that reaches the API server.
  const stale = Object.assign(Object.create(Object.getPrototypeOf(sa) as object) as LeaderSession, sa, { valid: true });
  assert.equal(
    await a.put('/weir/weir-elect/execution-plans/j', Buffer.from('A1'), { fence: sa }),
    false,
    'a revoked session writes nothing',
  );
  const a2 = aDirect;
  assert.equal(await a2.holds(stale), false);
  assert.equal(
    await a2.put('/weir/weir-elect/execution-plans/j', Buffer.from('A2'), { fence: stale }),
    false,
    'stamped ConfigMap refuses A',
  );
  assert.equal(await a2.put('/weir/weir-elect/execution-plans/k', Buffer.from('A3'), { fence: stale }), false);
  assert.equal(await a2.put('/weir/weir-elect/checkpoints/j/1', Buffer.from('A4'), { fence: stale }), false, 'nor can A create ConfigMaps');
  assert.equal(await a2.remove('/weir/weir-elect/execution-plans/j', { fence: stale }), false);
  assert.equal(await b.put('/weir/weir-elect/execution-plans/j', Buffer.from('B'), { fence: sb }), true);
  assert.equal((await b.get('/weir/weir-elect/execution-plans/j'))!.value.toString(), 'B');

  // B resigns: the Lease is released and a contender C, campaigning meanwhile, takes over without waiting.
  const cc = contender();
  const campaignC = await aDirect.campaign('/weir/weir-elect/leader', (s) => Buffer.from(`C ${s}`), cc.events);
  await new Promise((r) => setTimeout(r, TIMING.retryPeriod * 2));
  assert.equal(cc.granted.length, 0);
  const t0 = Date.now();
  await campaignB.resign();
  await waitFor('C to lead', 5_000, () => cc.granted.length === 1);
  assert.ok(Date.now() - t0 < TIMING.leaseDuration, 'a released Lease is taken at once');
  await campaignC.resign();
  await waitFor('the watch to report no leader', 5_000, () => seen.at(-1) === undefined);
  proxy.close();
  void campaignA.resign();
  stopWatch();
});

test('HighAvailabilityServices on kubernetes: stores and election through createHaServices; no kubeconfig is a clear error', async () => {
  const config = loadConfiguration({
    dynamic: [
      'high-availability.type=kubernetes',
      `high-availability.storageDir=${dir}`,
      `kubernetes.config.file=${k8s.kubeconfigPath}`,
      'kubernetes.cluster-id=weir-svc',
    ],
  });
  const ha = await createHaServices(config);
  let session: LeaderSession | undefined;
  await ha.electLeader(() => ({ rpcAddress: '127.0.0.1:1', restUrl: 'http://127.0.0.1:2', pid: 1 }), {
    grantLeadership: (s) => (session = s),
    revokeLeadership: () => undefined,
  });
  await waitFor('leadership', 10_000, () => session !== undefined);
  assert.equal((await ha.waitForLeader(5_000)).restUrl, 'http://127.0.0.1:2');
  await ha.executionPlans.put('job1', Buffer.from('{"plan":1}'), session!);
  assert.deepEqual(await ha.executionPlans.jobIds(), ['job1']);
  assert.equal(await ha.checkpointIdCounter('job1').getAndIncrement(session!), 1);
  assert.equal(await ha.checkpointIdCounter('job1').getAndIncrement(session!), 2);
  await ha.checkpointStore('job1').add({ checkpointId: 7, path: '/x/chk-7', timestamp: 1 }, 1, session!);
  assert.equal((await ha.checkpointStore('job1').latest())?.checkpointId, 7);
  await ha.jobResults.createDirty({ jobId: 'job1', status: 'FINISHED', jobName: 'j', startTime: 1, endTime: 2 }, session!);
  await ha.cleanupJob('job1', session!);
  await ha.jobResults.markClean('job1', session!);
  assert.deepEqual(await ha.executionPlans.jobIds(), []);
  assert.equal((await ha.jobResults.get('job1'))?.state, 'clean');
  const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
  const cms = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app=weir-svc,configmap-type=high-availability' });
  assert.ok(cms.items.length >= 2, cms.items.map((c) => c.metadata?.name).join(', '));
  await ha.close();

  const badTiming = loadConfiguration({
    dynamic: [
      'high-availability.type=kubernetes',
      `high-availability.storageDir=${dir}`,
      `kubernetes.config.file=${k8s.kubeconfigPath}`,
      'high-availability.kubernetes.leader-election.renew-deadline=10 s',
    ],
  });
  await assert.rejects(createHaServices(badTiming), /lease-duration \(6000 ms\) must exceed renew-deadline \(10000 ms\)/);

  const outside = loadConfiguration({
    dynamic: ['high-availability.type=kubernetes', `high-availability.storageDir=${dir}`, 'kubernetes.cluster-id=weir-none'],
  });
  const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
  process.env.HOME = dir;
  delete process.env.KUBECONFIG;
  try {
    await assert.rejects(createHaServices(outside), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'WEIR_HA');
      assert.match(e.message, /high-availability\.type kubernetes needs a Kubernetes API server.*kubernetes\.config\.file/);
      return true;
    });
  } finally {
    process.env.HOME = saved.HOME;
    if (saved.KUBECONFIG !== undefined) process.env.KUBECONFIG = saved.KUBECONFIG;
  }
});
