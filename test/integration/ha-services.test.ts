/**
 * The HA services against real etcd and ZooKeeper servers: leader election (one leader, takeover
 * when the leader resigns or its lease / session ends), leader retrieval, fencing of a deposed
 * leader (its writes fail at the server), compare-and-swap on the checkpoint id counter, the
 * completed-checkpoint pointers, the execution-plan store and the job result store (dirty → clean).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import zookeeper from 'node-zookeeper-client';
import { Configuration } from '../../src/config/index.js';
import { createHaServices, type HighAvailabilityServices, type LeaderSession } from '../../src/ha/index.js';
import { startEtcd, type EtcdServer } from '../helpers/services/etcd.js';
import { startZooKeeper, type ZooKeeperServer } from '../helpers/services/zookeeper.js';
import { waitFor } from '../helpers/wait.js';

interface Contender {
  ha: HighAvailabilityServices;
  session?: LeaderSession;
  revoked: string[];
}

async function contender(config: Configuration, name: string): Promise<Contender> {
  const ha = await createHaServices(config);
  const c: Contender = { ha, revoked: [] };
  await ha.electLeader(() => ({ rpcAddress: `${name}:6123`, restUrl: `http://${name}:8081`, pid: process.pid }), {
    grantLeadership: (s) => (c.session = s),
    revokeLeadership: (r) => c.revoked.push(r),
  });
  return c;
}

/** Deletes the leader's hold behind its back (as a lease or session expiring would), returns when done. */
type Depose = (ha: HighAvailabilityServices) => Promise<void>;

function suite(
  kind: 'etcd' | 'zookeeper',
  setup: () => Promise<{ config: (id: string) => Configuration; depose: Depose; stop: () => Promise<void> }>,
): void {
  describe(`HA services on ${kind}`, () => {
    let env: Awaited<ReturnType<typeof setup>>;
    const storage = mkdtempSync(join(tmpdir(), `weir-ha-${kind}-`));
    before(async () => {
      env = await setup();
    });
    after(async () => {
      await env?.stop();
      rmSync(storage, { recursive: true, force: true });
    });
    const cfg = (id: string): Configuration => env.config(id).set('high-availability.storageDir', storage);

    test('one contender leads; leader retrieval sees it; the standby takes over when the leader resigns or its hold ends', async () => {
      const config = cfg('election');
      const a = await contender(config, 'a');
      await waitFor('a to lead', 10_000, () => a.session);
      const b = await contender(config, 'b');
      const seen: (string | undefined)[] = [];
      const watcher = await createHaServices(config);
      const stop = await watcher.retrieveLeader((l) => seen.push(l?.rpcAddress));
      await waitFor('retrieval to report a', 5000, () => seen.includes('a:6123'));
      assert.equal(b.session, undefined, 'the standby does not lead while a does');
      // The leader's lease / session ends without a resignation (as when it is killed or frozen).
      await env.depose(a.ha);
      await waitFor('b to lead', 15_000, () => b.session);
      assert.notEqual(b.session!.sessionId, a.session!.sessionId, 'a new leadership has a new session id');
      await waitFor('retrieval to report b', 5000, () => seen.at(-1) === 'b:6123');
      // a still believes it leads (it has not noticed): its fenced writes fail at the server.
      const plans = a.ha.executionPlans;
      await assert.rejects(plans.put('0'.repeat(32), Buffer.from('{}'), a.session!), /WEIR_HA_FENCED|no longer the leader/);
      assert.deepEqual(await b.ha.executionPlans.jobIds(), [], 'the deposed leader wrote nothing');
      await assert.rejects(a.ha.checkpointIdCounter('j').getAndIncrement(a.session!), /no longer the leader/);
      await b.ha.executionPlans.put('1'.repeat(32), Buffer.from('{"plan":1}'), b.session!);
      assert.deepEqual(await watcher.executionPlans.jobIds(), ['1'.repeat(32)]);
      assert.equal((await watcher.executionPlans.get('1'.repeat(32)))?.toString(), '{"plan":1}');
      stop();
      for (const h of [a.ha, b.ha, watcher]) await h.close();
    });

    test('the checkpoint id counter is compare-and-swap: concurrent increments never hand out an id twice', async () => {
      const config = cfg('counter');
      const a = await contender(config, 'a');
      const s = await waitFor('a to lead', 10_000, () => a.session);
      const counters = [a.ha.checkpointIdCounter('job1'), a.ha.checkpointIdCounter('job1'), a.ha.checkpointIdCounter('job1')];
      const ids = await Promise.all(Array.from({ length: 15 }, (_, i) => counters[i % 3]!.getAndIncrement(s)));
      assert.deepEqual(
        [...ids].sort((x, y) => x - y),
        Array.from({ length: 15 }, (_, i) => i + 1),
      );
      assert.equal(await counters[0]!.get(), 16);
      await a.ha.close();
    });

    test('completed checkpoints keep the newest num-retained pointers; the job result store goes dirty then clean, once', async () => {
      const config = cfg('stores');
      const a = await contender(config, 'a');
      const s = await waitFor('a to lead', 10_000, () => a.session);
      const cps = a.ha.checkpointStore('job1');
      assert.deepEqual(await cps.add({ checkpointId: 1, path: '/cp/chk-1', timestamp: 1 }, 2, s), []);
      assert.deepEqual(await cps.add({ checkpointId: 2, path: '/cp/chk-2', timestamp: 2 }, 2, s), []);
      const evicted = await cps.add({ checkpointId: 10, path: '/cp/chk-10', timestamp: 3 }, 2, s);
      assert.deepEqual(
        evicted.map((p) => p.checkpointId),
        [1],
      );
      assert.deepEqual(
        (await cps.all()).map((p) => p.checkpointId),
        [2, 10],
        'ordered by id, not by name',
      );
      assert.equal((await cps.latest())?.path, '/cp/chk-10');
      await assert.rejects(cps.add({ checkpointId: 10, path: '/x', timestamp: 4 }, 2, s), /refused/, 'a checkpoint id is added once');

      const jrs = a.ha.jobResults;
      const entry = { jobId: 'job1', status: 'FINISHED' as const, jobName: 'j', startTime: 1, endTime: 2 };
      await jrs.createDirty(entry, s);
      assert.equal((await jrs.get('job1'))?.state, 'dirty');
      await jrs.markClean('job1', s);
      assert.equal((await jrs.get('job1'))?.state, 'clean');
      assert.deepEqual(
        (await jrs.entries()).map((e) => [e.jobId, e.state]),
        [['job1', 'clean']],
      );
      await a.ha.cleanupJob('job1', s);
      assert.deepEqual(await cps.all(), []);
      await a.ha.close();
    });
  });
}

suite('etcd', async () => {
  const server: EtcdServer = await startEtcd();
  const client = new Etcd3({ hosts: server.endpoint });
  return {
    config: (id) =>
      new Configuration()
        .set('high-availability.type', 'etcd')
        .set('high-availability.etcd.endpoints', server.endpoint)
        .set('high-availability.cluster-id', id),
    // The leader key vanishes as when its lease expires.
    depose: async (ha) => {
      await client.delete().key(`/weir/${ha.clusterId}/leader`).exec();
    },
    stop: async () => {
      client.close();
      await server.stop();
    },
  };
});

suite('zookeeper', async () => {
  const server: ZooKeeperServer = await startZooKeeper();
  const client = zookeeper.createClient(server.quorum);
  await new Promise<void>((r) => {
    client.once('connected', () => r());
    client.connect();
  });
  const call = <T>(f: (cb: (e: unknown, r: T) => void) => void): Promise<T> =>
    new Promise((res, rej) => f((e, r) => (e ? rej(e) : res(r))));
  return {
    config: (id) =>
      new Configuration()
        .set('high-availability.type', 'zookeeper')
        .set('high-availability.zookeeper.quorum', server.quorum)
        .set('high-availability.cluster-id', id),
    // The leader's latch and leader nodes vanish as when its session expires.
    depose: async (ha) => {
      const base = `/weir/${ha.clusterId}`;
      const latches = await call<string[]>((cb) => client.getChildren(`${base}/leader-latch`, cb));
      const first = latches.sort()[0]!;
      await call<void>((cb) => client.remove(`${base}/leader`, -1, (e) => cb(e, undefined)));
      await call<void>((cb) => client.remove(`${base}/leader-latch/${first}`, -1, (e) => cb(e, undefined)));
    },
    stop: async () => {
      client.close();
      await server.stop();
    },
  };
});
