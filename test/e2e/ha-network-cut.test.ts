/**
 * Fencing on a network cut, real processes in three network namespaces (we are root; every address
 * lives only inside these namespaces):
 *
 *   L: the first JobManager ─── veth ─── E: etcd ─── veth ─── C: the second JobManager, two
 *   └──────────────────────────── veth ─────────────────────────┘   TaskManagers, `weir run`
 *
 * The first JobManager leads a checkpointed keyed job writing through the two-phase-commit FileSink.
 * Its link to etcd is cut (the L–E veth goes down) while it still reaches the TaskManagers: it
 * cannot renew its lease, the second JobManager takes over and recovers the job, the TaskManagers
 * follow it, and the cut-off leader, whose lease is gone, stops without completing a checkpoint or
 * telling a task to commit. The link is healed and the first JobManager started again: it stands
 * by. The attached `weir run` follows the job to FINISHED; the committed output holds every
 * record exactly once. Skipped, with the reason printed, only when the machine refuses `ip netns`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertCommittedExactlyOnce } from '../helpers/ha-cluster.js';
import { waitFor } from '../helpers/wait.js';

const root = process.cwd();
const WEIR = join(root, 'bin', 'weir.mjs');
const suffix = String(process.pid % 100000);
const NS = { L: `whaL${suffix}`, E: `whaE${suffix}`, C: `whaC${suffix}` };
/** Each link a /24 of its own: [namespace, device, address] at both ends. */
const LINKS = [
  [
    [NS.L, `hle${suffix}`, '10.232.1.1'],
    [NS.E, `hel${suffix}`, '10.232.1.2'],
  ],
  [
    [NS.C, `hce${suffix}`, '10.232.2.1'],
    [NS.E, `hec${suffix}`, '10.232.2.2'],
  ],
  [
    [NS.L, `hlc${suffix}`, '10.232.3.1'],
    [NS.C, `hcl${suffix}`, '10.232.3.2'],
  ],
] as const;

function sh(cmd: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

function setupNamespaces(): string | undefined {
  const steps: string[][] = Object.values(NS).map((n) => ['ip', 'netns', 'add', n]);
  for (const n of Object.values(NS)) steps.push(['ip', 'netns', 'exec', n, 'ip', 'link', 'set', 'lo', 'up']);
  for (const [[nsA, devA, addrA], [nsB, devB, addrB]] of LINKS) {
    steps.push(['ip', 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB]);
    steps.push(['ip', 'link', 'set', devA, 'netns', nsA], ['ip', 'link', 'set', devB, 'netns', nsB]);
    steps.push(['ip', 'netns', 'exec', nsA, 'ip', 'addr', 'add', `${addrA}/24`, 'dev', devA]);
    steps.push(['ip', 'netns', 'exec', nsB, 'ip', 'addr', 'add', `${addrB}/24`, 'dev', devB]);
    steps.push(
      ['ip', 'netns', 'exec', nsA, 'ip', 'link', 'set', devA, 'up'],
      ['ip', 'netns', 'exec', nsB, 'ip', 'link', 'set', devB, 'up'],
    );
  }
  for (const s of steps) {
    const r = sh(s);
    if (!r.ok) return `'${s.join(' ')}' failed: ${r.out.trim()}`;
  }
  return undefined;
}

interface NsProc {
  name: string;
  child: ChildProcess;
  output: string;
  exited: boolean;
  exit: Promise<number | null>;
}
const procs: NsProc[] = [];
const dir = mkdtempSync(join(tmpdir(), 'weir-ha-netns-'));

function startIn(ns: string, name: string, cmd: string[]): NsProc {
  const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: NsProc = {
    name,
    child,
    output: '',
    exited: false,
    exit: new Promise((r) => child.once('exit', (code) => ((p.exited = true), r(code)))),
  };
  child.stdout!.on('data', (b: Buffer) => (p.output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (p.output += b.toString()));
  procs.push(p);
  return p;
}

const logs = (): string =>
  procs.map((p) => `--- ${p.name}${p.exited ? ' (exited)' : ''}\n${p.output.split('\n').slice(-20).join('\n')}`).join('\n');

after(async () => {
  for (const p of procs)
    if (!p.exited) {
      p.child.kill('SIGKILL');
      await p.exit;
    }
  for (const n of Object.values(NS)) sh(['ip', 'netns', 'del', n]);
  rmSync(dir, { recursive: true, force: true });
});

test('a leader cut off from etcd is fenced: the standby takes over, no double commit, exactly once', async (t) => {
  const problem = setupNamespaces();
  if (problem) {
    t.diagnostic(`skipped: this machine refuses network namespaces (${problem})`);
    t.skip(`ip netns unavailable: ${problem}`);
    return;
  }
  const COUNT = 6000;
  const KEYS = 5;
  startIn(NS.E, 'etcd', [
    '/usr/bin/etcd',
    '--name',
    'weir-netns',
    '--data-dir',
    join(dir, 'etcd'),
    '--listen-client-urls',
    'http://10.232.1.2:2379,http://10.232.2.2:2379',
    '--advertise-client-urls',
    'http://10.232.2.2:2379',
    '--listen-peer-urls',
    'http://127.0.0.1:2380',
    '--initial-advertise-peer-urls',
    'http://127.0.0.1:2380',
    '--initial-cluster',
    'weir-netns=http://127.0.0.1:2380',
    '--log-level',
    'warn',
  ]);
  const common = (endpoint: string): string[] =>
    Object.entries({
      'high-availability.type': 'etcd',
      'high-availability.etcd.endpoints': endpoint,
      'high-availability.storageDir': join(dir, 'storage'),
      'high-availability.cluster-id': 'netns',
      'execution.checkpointing.dir': join(dir, 'checkpoints'),
      'security.cluster.secret': 'ha-netns-test-secret',
      'security.rest.token': 'ha-netns-test-token',
      'taskmanager.numberOfTaskSlots': '2',
      'heartbeat.interval': '500',
      'heartbeat.timeout': '3000',
    }).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  const inL = common('http://10.232.1.2:2379');
  const inC = common('http://10.232.2.2:2379');
  const jm = (ns: string, name: string, d: string[], addr: string): NsProc =>
    startIn(ns, name, [
      process.execPath,
      WEIR,
      'jobmanager',
      ...d,
      ...['-D', `jobmanager.rpc.address=${addr}`, '-D', 'jobmanager.rpc.port=6123'],
      ...['-D', `rest.bind-address=${addr}`, '-D', `rest.address=${addr}`, '-D', 'rest.port=8081'],
    ]);
  const granted = (p: NsProc): boolean => /was granted leadership/.test(p.output);

  const first = jm(NS.L, 'jobmanager-L', inL, '10.232.3.1');
  await waitFor('the JobManager in L to lead', 30_000, () => granted(first)).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
  const second = jm(NS.C, 'jobmanager-C', inC, '10.232.3.2');
  for (let i = 1; i <= 2; i++) startIn(NS.C, `taskmanager-${i}`, [process.execPath, WEIR, 'taskmanager', ...inC]);
  const out = join(dir, 'out');
  const run = startIn(NS.C, 'weir run', [
    process.execPath,
    WEIR,
    'run',
    ...inC,
    '-t',
    'remote',
    'test/programs/checkpointed-keyed.ts',
    '--',
    out,
    join(dir, 'marker'),
    '-1',
    String(COUNT),
    '800',
    String(KEYS),
    '300',
  ]);
  await waitFor('a completed checkpoint on the leader in L', 40_000, () => /checkpoint \d+ of job \S+ completed/.test(first.output)).catch(
    (e: Error) => assert.fail(`${e.message}\n${logs()}`),
  );

  // Cut L from etcd; L still reaches the TaskManagers in C.
  const cutAt = Date.now();
  assert.ok(sh(['ip', 'netns', 'exec', NS.E, 'ip', 'link', 'set', LINKS[0][1][1], 'down']).ok);
  await waitFor('the JobManager in C to take over', 30_000, () => granted(second)).catch((e: Error) =>
    assert.fail(`${e.message}\n${logs()}`),
  );
  t.diagnostic(`cut → new leader in ${Date.now() - cutAt} ms`);
  await waitFor('the cut-off leader to stop', 30_000, () => first.exited).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
  assert.equal(await first.exit, 70, 'a deposed leader exits');
  const lost = first.output.lastIndexOf('lost leadership');
  assert.ok(lost >= 0, first.output.slice(-2000));
  assert.doesNotMatch(first.output.slice(lost), /checkpoint \d+ of job \S+ completed/, 'no checkpoint completes after leadership is lost');
  await waitFor('the job recovered in C', 30_000, () => /recovered job checkpointed-keyed/.test(second.output)).catch((e: Error) =>
    assert.fail(`${e.message}\n${logs()}`),
  );

  // Heal: the first JobManager, started again in L, stands by.
  assert.ok(sh(['ip', 'netns', 'exec', NS.E, 'ip', 'link', 'set', LINKS[0][1][1], 'up']).ok);
  const again = jm(NS.L, 'jobmanager-L (again)', inL, '10.232.3.1');
  await waitFor('the restarted JobManager to stand by', 30_000, () => /standby until elected/.test(again.output)).catch((e: Error) =>
    assert.fail(`${e.message}\n${logs()}`),
  );

  await waitFor('weir run to end', 60_000, () => run.exited).catch(() => undefined);
  assert.equal(run.exited ? await run.exit : 'still running', 0, `${run.output.slice(-2000)}\n${logs()}`);
  assert.match(run.output, /FINISHED/);
  assert.equal(granted(again), false, 'the restarted JobManager did not lead');
  assertCommittedExactlyOnce(out, COUNT, KEYS);
});
