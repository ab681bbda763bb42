/** task.setup.timeout: a source or sink that never finishes setting up fails with WEIR_SETUP_TIMEOUT. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WeirError } from '../../src/errors.js';
import { setupTimeoutMs, withSetupTimeout } from '../../src/runtime/operators/setup-timeout.js';

test('setupTimeoutMs reads task.setup.timeout (ms or a duration string) and defaults to 2 min', () => {
  assert.equal(setupTimeoutMs({}), 120_000);
  assert.equal(setupTimeoutMs({ 'task.setup.timeout': 500 }), 500);
  assert.equal(setupTimeoutMs({ 'task.setup.timeout': '3 s' }), 3_000);
  assert.equal(setupTimeoutMs({ 'task.setup.timeout': 'nonsense' }), 120_000);
});

test('withSetupTimeout passes a result through and fails a setup that never ends', async () => {
  assert.equal(await withSetupTimeout('FastSource', 1_000, async () => 7), 7);
  const started = Date.now();
  await assert.rejects(
    withSetupTimeout('NeverSource', 200, () => new Promise<never>(() => undefined)),
    (e: unknown) =>
      e instanceof WeirError &&
      e.code === 'WEIR_SETUP_TIMEOUT' &&
      /NeverSource did not finish setting up within 200 ms \(task\.setup\.timeout\)/.test(e.message),
  );
  assert.ok(Date.now() - started < 5_000);
  // A setup that throws fails with its own error, not a timeout.
  await assert.rejects(
    withSetupTimeout('BadSink', 1_000, () => {
      throw new Error('boom');
    }),
    /boom/,
  );
});
