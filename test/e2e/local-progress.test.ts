/**
 * `weir run` on the embedded local cluster draws the live progress block (records per vertex,
 * rates, busy and backpressured time) when stderr is a terminal, redrawn in place; piped, it
 * prints only the job's own lines. The terminal is a real pseudo-terminal made by util-linux's
 * `script`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const WEIR = join(process.cwd(), 'bin', 'weir.mjs');
// 4000 records at 1000/s: about four seconds of RUNNING, several half-second redraws.
const ARGS = ['run', 'test/programs/cluster-datagen.ts', 'progress', '1', '4000', '1000'];
const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

test('on a terminal, the local run redraws a progress block with every vertex in place', () => {
  const command = [process.execPath, WEIR, ...ARGS].map(quote).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, TERM: 'xterm' },
  });
  assert.equal(r.status, 0, `weir run failed:\n${r.stdout}\n${r.stderr}`);
  const out = r.stdout;
  assert.match(out, /\d\d:\d\d:\d\d RUNNING/, 'the block starts with the time and the status');
  assert.match(out, /Source: generator.*\d+ in \/ \d+ out/, 'the source vertex has its records in and out');
  assert.match(out, /busy \d+%, backpressured \d+%/, 'busy and backpressured shares are shown');
  assert.ok(out.includes('\x1b[J'), 'the block is redrawn in place (cursor up, erase)');
});

test('piped, the local run prints no progress block', () => {
  const r = spawnSync(process.execPath, [WEIR, ...ARGS.slice(0, 2), 'progress', '1', '200', '1000'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /\d\d:\d\d:\d\d RUNNING/);
  assert.doesNotMatch(r.stderr, /busy \d+%/);
});
