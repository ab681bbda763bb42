/**
 * `weir cluster start --jobmanagers 2` with high availability on etcd: two JobManagers (one leads,
 * one stands by) and a TaskManager; `weir list` finds the leader by leader retrieval (no -m), also
 * after the leader is killed with kill -9; `weir cluster stop` stops them all. Without HA,
 * --jobmanagers 2 is refused with a clear error.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Configuration } from '../../src/config/index.js';
import { createHaServices } from '../../src/ha/index.js';
import { freePortRun } from '../helpers/ports.js';
import { startEtcd, type EtcdServer } from '../helpers/services/etcd.js';
import { waitFor } from '../helpers/wait.js';

const WEIR = join(process.cwd(), 'bin', 'weir.mjs');
const weir = (...args: string[]): { code: number; out: string } => {
  const r = spawnSync(process.execPath, [WEIR, ...args], { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
};

let etcd: EtcdServer;
const dir = mkdtempSync(join(tmpdir(), 'weir-ha-start-'));
const pidDir = join(dir, 'pids');

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  weir('cluster', 'stop', '--pid-dir', pidDir);
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('weir cluster start --jobmanagers 2: one leads, one stands by; clients find the leader, also after kill -9 of it', async () => {
  const conf = join(dir, 'conf');
  mkdirSync(conf);
  // The standby listens on the ports after the leader's: all four must be free.
  const base = await freePortRun(4);
  const rpcPort = base;
  const restPort = base + 2;
  const keys = {
    'high-availability.type': 'etcd',
    'high-availability.etcd.endpoints': etcd.endpoint,
    'high-availability.storageDir': join(dir, 'ha'),
    'jobmanager.rpc.port': rpcPort,
    'rest.port': restPort,
  };
  writeFileSync(
    join(conf, 'config.yaml'),
    Object.entries(keys)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n') + '\n',
  );

  const refused = weir(
    'cluster',
    'start',
    '--jobmanagers',
    '2',
    '--conf-dir',
    conf,
    '--pid-dir',
    pidDir,
    '--log-dir',
    join(dir, 'log'),
    '-D',
    'high-availability.type=none',
  );
  assert.notEqual(refused.code, 0);
  assert.match(refused.out, /--jobmanagers 2 needs high availability.*WEIR_CLI_USAGE/s);

  const started = weir('cluster', 'start', '--jobmanagers', '2', '--conf-dir', conf, '--pid-dir', pidDir, '--log-dir', join(dir, 'log'));
  assert.equal(started.code, 0, started.out);
  const pids = /JobManagers \(pids (\d+), (\d+);/.exec(started.out);
  assert.ok(pids, started.out);
  const listed = weir('list', '--conf-dir', conf);
  assert.equal(listed.code, 0, listed.out);

  let c = new Configuration();
  for (const [k, v] of Object.entries(keys)) c = c.set(k, String(v));
  const ha = await createHaServices(c);
  try {
    const leader = await ha.waitForLeader(10_000);
    assert.ok([Number(pids[1]), Number(pids[2])].includes(leader.pid));
    process.kill(leader.pid, 'SIGKILL');
    const next = await waitFor('the standby to lead', 20_000, async () => {
      const l = await ha.waitForLeader(2000).catch(() => undefined);
      return l && l.pid !== leader.pid ? l : undefined;
    });
    assert.equal(next.restUrl, `http://127.0.0.1:${leader.restUrl.endsWith(String(restPort)) ? restPort + 1 : restPort}`);
    const again = await waitFor('weir list to answer through the new leader', 20_000, () => {
      const r = weir('list', '--conf-dir', conf);
      return r.code === 0 && r;
    });
    assert.match(again.out, /No running jobs|running/i);
  } finally {
    await ha.close();
  }
  const stopped = weir('cluster', 'stop', '--pid-dir', pidDir);
  assert.equal(stopped.code, 0, stopped.out);
});
