/**
 * A standalone session cluster started with `weir cluster start` (one JobManager and two
 * TaskManager processes): three jobs submitted concurrently with `weir run -d`, listed with
 * `weir list`, one cancelled with `weir cancel`, the other two finishing with correct results.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const WEIR = join(process.cwd(), 'bin', 'weir.mjs');
const dir = mkdtempSync(join(tmpdir(), 'weir-session-'));
const pidDir = join(dir, 'pid');

function weir(...args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [WEIR, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function weirAsync(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [WEIR, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    c.on('exit', (code) => resolve({ code: code ?? -1, out }));
  });
}

function finalSums(out: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const f of readdirSync(out).filter((f) => f.endsWith('.jsonl'))) {
    for (const l of readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(l) as { k: number; v: number };
      m.set(r.k, Math.max(m.get(r.k) ?? 0, r.v));
    }
  }
  return m;
}

function expectedSums(count: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < count; i++) m.set(i % 5, (m.get(i % 5) ?? 0) + i);
  return m;
}

after(() => {
  weir('cluster', 'stop', '--pid-dir', pidDir);
});

test('a session cluster runs three jobs at once; one is cancelled, the others finish correctly', async () => {
  const confDir = join(dir, 'conf');
  mkdirSync(confDir);
  const restPort = await freePort();
  writeFileSync(
    join(confDir, 'config.yaml'),
    `jobmanager.rpc.port: ${await freePort()}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 2\n`,
  );
  const started = weir(
    'cluster',
    'start',
    '--taskmanagers',
    '2',
    '--conf-dir',
    confDir,
    '--log-dir',
    join(dir, 'log'),
    '--pid-dir',
    pidDir,
  );
  assert.equal(started.code, 0, started.out);
  assert.match(started.out, /2 TaskManager\(s\).*4 slots/);
  const m = `127.0.0.1:${restPort}`;

  const outA = join(dir, 'a');
  const outB = join(dir, 'b');
  const outC = join(dir, 'c');
  const submitted = await Promise.all([
    weirAsync('run', '-d', '-m', m, '-p', '2', 'test/programs/session-job.ts', '--', '4000', '4000', outA),
    weirAsync('run', '-d', '-m', m, 'test/programs/session-job.ts', '--', '3000', '3000', outB),
    weirAsync('run', '-d', '-m', m, 'test/programs/session-job.ts', '--', 'inf', '500', outC),
  ]);
  const ids = submitted.map((s) => {
    assert.equal(s.code, 0, s.out);
    return /JobID ([0-9a-f]{32})/.exec(s.out)![1]!;
  });
  assert.equal(new Set(ids).size, 3);

  const listed = weir('list', '-m', m);
  assert.equal(listed.code, 0, listed.out);
  assert.ok(listed.out.includes(ids[2]!), `the unbounded job is listed as running:\n${listed.out}`);

  const cancelled = weir('cancel', '-m', m, ids[2]!);
  assert.equal(cancelled.code, 0, cancelled.out);

  await waitFor('jobs to reach FINISHED, FINISHED, CANCELED', 60_000, () => {
    const all = weir('list', '--all', '-m', m).out;
    const lineOf = (id: string): string => all.split('\n').find((l) => l.includes(id)) ?? '';
    if (/FINISHED/.test(lineOf(ids[0]!)) && /FINISHED/.test(lineOf(ids[1]!)) && /CANCELED/.test(lineOf(ids[2]!))) return true;
    // Reported if the deadline passes.
    throw new Error(`jobs did not reach FINISHED, FINISHED, CANCELED:\n${all}`);
  });
  assert.deepEqual(finalSums(outA), expectedSums(4000));
  assert.deepEqual(finalSums(outB), expectedSums(3000));
});
