/** The test helpers every test synchronises with: waitFor and freePort. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort, freePortRun } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

test('waitFor resolves with the first answer that is not undefined, null or false; sync or async', async () => {
  let n = 0;
  assert.equal(await waitFor('n to reach 3', 1_000, () => (++n >= 3 ? n : undefined)), 3);
  let m = 0;
  assert.equal(await waitFor('an async probe', 1_000, async () => ++m >= 2), true);
  assert.equal(await waitFor('zero counts as an answer', 1_000, () => 0), 0);
});

test('waitFor names what it waited for and the last value or error when the deadline passes', async () => {
  let n = 0;
  await assert.rejects(
    waitFor('the impossible', 50, () => (n++, false)),
    (e: Error) => /timed out after 50 ms waiting for the impossible \(last value: false\)/.test(e.message),
  );
  assert.ok(n >= 2, `probed more than once (${n})`);
  await assert.rejects(
    waitFor('a server', 50, () => {
      throw new Error('ECONNREFUSED');
    }),
    (e: Error) => /waiting for a server \(last error: ECONNREFUSED\)/.test(e.message),
  );
});

test('waitFor rethrows a failed assertion at once', async () => {
  const t0 = Date.now();
  await assert.rejects(
    waitFor('a verdict', 10_000, () => assert.fail('the job FAILED')),
    (e: Error) => e instanceof assert.AssertionError && e.message === 'the job FAILED',
  );
  assert.ok(Date.now() - t0 < 5_000);
});

test('freePort gives a port on 127.0.0.1 that a server can listen on', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  const s = createServer();
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  await new Promise<void>((r) => s.close(() => r()));
});

test('freePortRun gives n consecutive ports below the ephemeral range that servers can listen on', async () => {
  const base = await freePortRun(3);
  assert.ok(base >= 20_000 && base + 2 < 32_000, String(base));
  const servers = [0, 1, 2].map(() => createServer());
  await Promise.all(servers.map((s, i) => new Promise<void>((r) => s.listen(base + i, '127.0.0.1', r))));
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});
