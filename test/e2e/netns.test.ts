/**
 * A cluster across two network namespaces joined by a veth pair: the JobManager and one
 * TaskManager in one namespace, a second TaskManager in the other, so the records of a keyed
 * exchange really cross a network interface. Skipped, with the reason printed, only when the
 * machine refuses `ip netns`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { waitFor } from '../helpers/wait.js';

const root = process.cwd();
const WEIR = join(root, 'bin', 'weir.mjs');
const suffix = String(process.pid % 100000);
const NS_A = `weirA${suffix}`;
const NS_B = `weirB${suffix}`;
const VETH_A = `wva${suffix}`;
const VETH_B = `wvb${suffix}`;
const ADDR_A = '10.231.0.1';
const ADDR_B = '10.231.0.2';

function sh(cmd: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

function setupNamespaces(): string | undefined {
  const steps = [
    ['ip', 'netns', 'add', NS_A],
    ['ip', 'netns', 'add', NS_B],
    ['ip', 'link', 'add', VETH_A, 'type', 'veth', 'peer', 'name', VETH_B],
    ['ip', 'link', 'set', VETH_A, 'netns', NS_A],
    ['ip', 'link', 'set', VETH_B, 'netns', NS_B],
    ['ip', 'netns', 'exec', NS_A, 'ip', 'addr', 'add', `${ADDR_A}/24`, 'dev', VETH_A],
    ['ip', 'netns', 'exec', NS_B, 'ip', 'addr', 'add', `${ADDR_B}/24`, 'dev', VETH_B],
    ['ip', 'netns', 'exec', NS_A, 'ip', 'link', 'set', VETH_A, 'up'],
    ['ip', 'netns', 'exec', NS_B, 'ip', 'link', 'set', VETH_B, 'up'],
    ['ip', 'netns', 'exec', NS_A, 'ip', 'link', 'set', 'lo', 'up'],
    ['ip', 'netns', 'exec', NS_B, 'ip', 'link', 'set', 'lo', 'up'],
  ];
  for (const s of steps) {
    const r = sh(s);
    if (!r.ok) return `'${s.join(' ')}' failed: ${r.out.trim()}`;
  }
  return undefined;
}

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  sh(['ip', 'netns', 'del', NS_A]);
  sh(['ip', 'netns', 'del', NS_B]);
});

function startIn(ns: string, args: string[], log: string[]): ChildProcess {
  const c = spawn('ip', ['netns', 'exec', ns, process.execPath, WEIR, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (b: Buffer): void => void log.push(...b.toString('utf8').split('\n').filter(Boolean));
  c.stdout!.on('data', onData);
  c.stderr!.on('data', onData);
  children.push(c);
  return c;
}

function rxBytes(ns: string, dev: string): number {
  const r = sh(['ip', 'netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/statistics/rx_bytes`]);
  return Number(r.out.trim());
}

test('records of a keyed exchange cross a veth link between two network namespaces', async (t) => {
  const problem = setupNamespaces();
  if (problem) {
    t.diagnostic(`skipped: this machine refuses network namespaces (${problem})`);
    t.skip(`ip netns unavailable: ${problem}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'weir-netns-'));
  const conf = (name: string, lines: string[]): string => {
    const d = join(dir, name);
    mkdirSync(d);
    writeFileSync(join(d, 'config.yaml'), lines.join('\n') + '\n');
    return d;
  };
  const common = [
    'security.cluster.secret: netns-test-secret',
    'jobmanager.rpc.port: 26123',
    'rest.port: 28081',
    'taskmanager.numberOfTaskSlots: 1',
    'heartbeat.timeout: 5 s',
  ];
  const confA = conf('a', [...common, `jobmanager.rpc.address: ${ADDR_A}`, `taskmanager.host: ${ADDR_A}`]);
  const confB = conf('b', [...common, `jobmanager.rpc.address: ${ADDR_A}`, `taskmanager.host: ${ADDR_B}`]);
  const jmLog: string[] = [];
  const tmLogA: string[] = [];
  const tmLogB: string[] = [];
  startIn(NS_A, ['jobmanager', '--conf-dir', confA], jmLog);
  await waitFor('the JobManager', 20_000, () => jmLog.some((l) => /REST API|listening|started/i.test(l)));
  startIn(NS_A, ['taskmanager', '--conf-dir', confA], tmLogA);
  startIn(NS_B, ['taskmanager', '--conf-dir', confB], tmLogB);
  await waitFor('two registered TaskManagers', 20_000, () => jmLog.filter((l) => /registered/i.test(l)).length >= 2);

  const before = rxBytes(NS_B, VETH_B) + rxBytes(NS_A, VETH_A);
  const out = join(dir, 'out');
  const count = 200_000;
  const keys = 16;
  const run = spawnSync(
    'ip',
    [
      'netns',
      'exec',
      NS_A,
      process.execPath,
      WEIR,
      'run',
      '-m',
      '127.0.0.1:28081',
      'test/programs/netns-keyed.ts',
      '--',
      String(count),
      String(keys),
      out,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}\nJM:\n${jmLog.join('\n')}\nTM B:\n${tmLogB.join('\n')}`);
  const crossed = rxBytes(NS_B, VETH_B) + rxBytes(NS_A, VETH_A) - before;

  const expected = new Map<number, number>();
  for (let i = 1; i <= count; i++) expected.set(i % keys, (expected.get(i % keys) ?? 0) + i);
  const got = new Map<number, number>();
  for (const f of readdirSync(out).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as { k: number; v: number };
      assert.ok(!got.has(r.k), `key ${r.k} written once`);
      got.set(r.k, r.v);
    }
  }
  assert.deepEqual(new Map([...got].sort((a, b) => a[0] - b[0])), new Map([...expected].sort((a, b) => a[0] - b[0])));
  // About half of 200k records of ~90 bytes travel from one TaskManager to the other.
  t.diagnostic(`${(crossed / 2 ** 20).toFixed(1)} MiB crossed the veth pair`);
  assert.ok(crossed > 4 * 2 ** 20, `records crossed the veth link (${crossed} bytes)`);
});
