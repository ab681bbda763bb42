/** Restart strategies with Flink's keys decide whether and when a failed job runs again. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRestartStrategy } from '../../src/runtime/jobmanager/restart-strategy.js';

const cfg =
  (entries: Record<string, unknown>) =>
  (key: string): unknown =>
    entries[key];

test('none (and the default without checkpointing) never restarts', () => {
  assert.equal(createRestartStrategy(cfg({ 'restart-strategy.type': 'none' }), false).onFailure(0), undefined);
  assert.equal(createRestartStrategy(cfg({}), false).onFailure(0), undefined);
});

test('fixed-delay restarts `attempts` times after `delay`', () => {
  const s = createRestartStrategy(
    cfg({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': 2, 'restart-strategy.fixed-delay.delay': 250 }),
    false,
  );
  assert.deepEqual([s.onFailure(0), s.onFailure(1), s.onFailure(2)], [250, 250, undefined]);
});

test('failure-rate gives up when more than max failures fall in one interval', () => {
  const s = createRestartStrategy(
    cfg({
      'restart-strategy.type': 'failure-rate',
      'restart-strategy.failure-rate.max-failures-per-interval': 2,
      'restart-strategy.failure-rate.failure-rate-interval': 1000,
      'restart-strategy.failure-rate.delay': 10,
    }),
    false,
  );
  assert.equal(s.onFailure(0), 10);
  assert.equal(s.onFailure(100), 10);
  assert.equal(s.onFailure(200), undefined, 'third failure within 1 s');
  const t = createRestartStrategy(
    cfg({
      'restart-strategy.type': 'failure-rate',
      'restart-strategy.failure-rate.max-failures-per-interval': 1,
      'restart-strategy.failure-rate.failure-rate-interval': 1000,
    }),
    false,
  );
  assert.notEqual(t.onFailure(0), undefined);
  assert.notEqual(t.onFailure(5000), undefined, 'the earlier failure left the interval');
});

test('exponential-delay (the default with checkpointing) grows the backoff up to the maximum', () => {
  const s = createRestartStrategy(
    cfg({
      'restart-strategy.exponential-delay.initial-backoff': 100,
      'restart-strategy.exponential-delay.backoff-multiplier': 2,
      'restart-strategy.exponential-delay.max-backoff': 500,
      'restart-strategy.exponential-delay.jitter-factor': 0,
    }),
    true,
  );
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((i) => s.onFailure(i)),
    [100, 200, 400, 500, 500],
  );
});
