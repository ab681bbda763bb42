/**
 * The CheckpointCoordinator's collaborators on their own: the request decider (interval, min pause,
 * max concurrent, savepoints first, stop-with-savepoint suspending periodic checkpoints), the
 * failure manager (tolerable failed checkpoints), the completed-checkpoint store with the
 * shared-state registry (num-retained), and the manual clock the tests drive time with.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckpointFailureManager } from '../../src/runtime/checkpoint/checkpoint-failure-manager.js';
import { CheckpointRequestDecider } from '../../src/runtime/checkpoint/checkpoint-request-decider.js';
import { pendingStatsEntry } from '../../src/runtime/checkpoint/checkpoint-stats-tracker.js';
import { CompletedCheckpointStore, type CompletedCheckpoint } from '../../src/runtime/checkpoint/completed-checkpoint-store.js';
import { SharedStateRegistry } from '../../src/runtime/checkpoint/shared-state-registry.js';
import type { CheckpointMetadata } from '../../src/runtime/checkpoint/storage.js';
import { ManualClock } from '../../src/runtime/clock.js';

test('manual clock: timers fire in due order when time is advanced, cancelled ones never', () => {
  const clock = new ManualClock(0);
  const fired: string[] = [];
  clock.setTimer(20, () => fired.push('b'));
  const cancel = clock.setTimer(15, () => fired.push('cancelled'));
  clock.setTimer(10, () => {
    fired.push(`a@${clock.now()}`);
    clock.setTimer(5, () => fired.push(`c@${clock.now()}`));
  });
  cancel();
  clock.advance(9);
  assert.deepEqual(fired, []);
  clock.advance(11);
  assert.deepEqual(fired, ['a@10', 'c@15', 'b']);
  assert.equal(clock.now(), 20);
  assert.equal(clock.pendingTimers, 0);
});

test('request decider: interval, min pause, max concurrent; savepoints go first and ignore the min pause', () => {
  const clock = new ManualClock();
  const d = new CheckpointRequestDecider<{ stop: boolean; name: string }>({ interval: 1000, minPause: 500, maxConcurrent: 1 }, clock);
  assert.equal(d.start(), 1000, 'the first checkpoint is due one interval after the start');
  assert.deepEqual(d.check(0), { ok: true });
  assert.equal(d.take(clock.now()), undefined, 'a periodic checkpoint');
  assert.equal(d.afterTrigger(1), 1000, 'the next one an interval later');
  assert.deepEqual(d.check(1), { ok: false }, 'max-concurrent-checkpoints 1');

  clock.advance(100);
  d.onCompleted(clock.now());
  assert.deepEqual(d.check(0), { ok: false, retryIn: 500 }, 'min pause after the completion');
  assert.equal(d.rearm(0, true), undefined, 'not due yet: the timer set stays');
  assert.equal(d.rearm(0, false), 900, 'no timer set: one for when the interval is up');

  assert.equal(d.enqueue({ stop: false, name: 'sp' }, 0), 0, 'a savepoint is triggered at once');
  assert.deepEqual(d.check(0), { ok: true }, 'a savepoint ignores the min pause');
  assert.equal(d.take(clock.now())?.name, 'sp');
  assert.equal(d.enqueue({ stop: false, name: 'sp2' }, 1), undefined, 'queued behind the one pending');
  assert.equal(d.rearm(0, true), 0, 'due at once when the pending one ends');
  assert.deepEqual(
    d.drain().map((r) => r.name),
    ['sp2'],
  );
});

test('request decider: a stop-with-savepoint suspends periodic checkpoints until it fails; end of data is urgent', () => {
  const clock = new ManualClock(0);
  const d = new CheckpointRequestDecider<{ stop: boolean }>({ interval: 1000, minPause: 0, maxConcurrent: 2 }, clock);
  d.start();
  d.enqueue({ stop: true }, 0);
  assert.ok(d.take(clock.now())?.stop);
  assert.equal(d.afterTrigger(1), undefined, 'no periodic checkpoint after a stop-with-savepoint');
  assert.deepEqual(d.check(1), { ok: false });
  assert.equal(d.rearm(0, false), undefined);
  assert.equal(d.resumePeriodic(), 1000, 'it failed: periodic checkpoints resume after an interval');
  assert.deepEqual(d.check(0), { ok: true });

  clock.advance(10);
  d.take(clock.now());
  assert.equal(d.onEndOfData(1), undefined, 'one is pending: the final checkpoint follows it');
  assert.equal(d.rearm(0, true), 0, 'urgent: due at once');
  d.take(clock.now());
  assert.equal(d.afterTrigger(1), 1000, 'the final checkpoint is one; periodic ones go on');
  assert.equal(d.rearm(0, true), undefined);
});

test('failure manager: more consecutive failures than tolerated fail the job; a success starts the count over', () => {
  const none = new CheckpointFailureManager(0);
  const e = none.onFailure('disk full');
  assert.equal(e?.code, 'WEIR_CHECKPOINT');
  assert.match(e!.message, /^A checkpoint failed \(execution\.checkpointing\.tolerable-failed-checkpoints is 0\): disk full$/);

  const two = new CheckpointFailureManager(2);
  assert.equal(two.onFailure('a'), undefined);
  assert.equal(two.onFailure('b'), undefined);
  two.onSuccess();
  assert.equal(two.onFailure('c'), undefined);
  assert.equal(two.onFailure('d'), undefined);
  assert.match(two.onFailure('e')!.message, /More than 2 consecutive checkpoints failed.*: e$/);
  assert.equal(two.onFailure('f'), undefined, 'the count starts over after failing the job');
});

function completed(id: number, shared: string[], savepoint = false): CompletedCheckpoint {
  const stats = pendingStatsEntry(id, 0, 1, savepoint ? { stop: false } : undefined);
  return { id, dir: `/chk-${id}`, metadata: { checkpointId: id } as CheckpointMetadata, stats, shared: new Set(shared) };
}

test('completed-checkpoint store: keeps num-retained, evicts the oldest, releases shared files no longer referred to', () => {
  const registry = new SharedStateRegistry();
  const store = new CompletedCheckpointStore(2, registry);
  assert.deepEqual(store.add(completed(1, ['x', 'y'])), { discarded: [], unreferenced: [] });
  assert.deepEqual(store.add(completed(2, ['y', 'z'], true)), { discarded: [], unreferenced: [] });
  const e = store.add(completed(3, ['z']));
  assert.deepEqual(
    e.discarded.map((c) => c.id),
    [1],
  );
  assert.deepEqual(e.unreferenced, ['x'], 'y is still referred to by checkpoint 2');
  assert.equal(e.discarded[0]!.stats.discarded, true);
  assert.equal(store.latest()?.id, 3);
  assert.ok(registry.isReferenced('y') && registry.isReferenced('z') && !registry.isReferenced('x'));

  const e2 = store.add(completed(4, []));
  assert.deepEqual(e2.unreferenced, ['y']);
  assert.equal(e2.discarded[0]!.stats.discarded, false, "a savepoint's row is not marked discarded: its copy stays");
  assert.deepEqual(
    store.all().map((c) => c.id),
    [3, 4],
  );
});
