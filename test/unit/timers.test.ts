import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyGroupRangeForSubtask, assignToKeyGroup, normalizeKey } from '../../src/graph/key-groups.js';
import { HeapTimerServiceManager } from '../../src/runtime/operators/heap-timer-service.js';
import type { InternalTimer, InternalTimerService, Triggerable } from '../../src/runtime/operators/timer-service.js';
import { HeapKeyedStateBackend } from '../../src/runtime/state/heap-keyed-state-backend.js';
import { ManualProcessingTimeService } from '../harness/operator-harness.js';

type Fired = [domain: 'E' | 'P', service: string, timestamp: number, key: unknown, namespace: unknown, currentKey: unknown];

function setup(now = 0) {
  const backend = new HeapKeyedStateBackend({ maxParallelism: 128 });
  const pts = new ManualProcessingTimeService(now);
  const mgr = new HeapTimerServiceManager(backend, pts);
  const fired: Fired[] = [];
  const triggerable = (name: string, onFire?: (t: InternalTimer<string>, domain: 'E' | 'P') => void): Triggerable<string> => ({
    onEventTime: (t) => {
      fired.push(['E', name, t.timestamp, t.key, t.namespace, backend.getCurrentKey()]);
      onFire?.(t, 'E');
    },
    onProcessingTime: (t) => {
      fired.push(['P', name, t.timestamp, t.key, t.namespace, backend.getCurrentKey()]);
      onFire?.(t, 'P');
    },
  });
  return { backend, pts, mgr, fired, triggerable };
}

test('event timers fire in timestamp order across services with the key set; duplicates fire once', () => {
  const { backend, mgr, fired, triggerable } = setup();
  const a = mgr.getTimerService<string>('a', triggerable('a'), (n) => n);
  const b = mgr.getTimerService<string>('b', triggerable('b'), (n) => n);
  assert.equal(a.currentWatermark(), Number.MIN_SAFE_INTEGER);
  backend.setCurrentKey('k1');
  a.registerEventTimeTimer('', 30);
  a.registerEventTimeTimer('', 30);
  b.registerEventTimeTimer('ns', 10);
  backend.setCurrentKey('k2');
  a.registerEventTimeTimer('', 20);
  a.registerEventTimeTimer('x', 20);
  b.registerEventTimeTimer('ns', 40);
  assert.equal(a.numEventTimeTimers(), 3);
  assert.equal(b.numEventTimeTimers(), 2);

  mgr.advanceWatermark(25);
  assert.deepEqual(fired, [
    ['E', 'b', 10, 'k1', 'ns', 'k1'],
    ['E', 'a', 20, 'k2', '', 'k2'],
    ['E', 'a', 20, 'k2', 'x', 'k2'],
  ]);
  assert.equal(a.currentWatermark(), 25);
  fired.length = 0;
  mgr.advanceWatermark(100);
  assert.deepEqual(fired, [
    ['E', 'a', 30, 'k1', '', 'k1'],
    ['E', 'b', 40, 'k2', 'ns', 'k2'],
  ]);
  assert.equal(a.numEventTimeTimers() + b.numEventTimeTimers(), 0);
  assert.equal(mgr.numEventTimeTimers(), 0);
});

test('the same timestamp for different keys, namespaces or numeric vs string keys are distinct timers', () => {
  const { backend, mgr, fired, triggerable } = setup();
  const s = mgr.getTimerService<string>('s', triggerable('s'), (n) => n);
  for (const k of [1, '1', true, 'a|b', { o: 1 }]) {
    backend.setCurrentKey(k);
    s.registerEventTimeTimer('', 5);
    s.registerEventTimeTimer('', 5);
  }
  backend.setCurrentKey('a');
  s.registerEventTimeTimer('|b', 5);
  assert.equal(s.numEventTimeTimers(), 6);
  mgr.advanceWatermark(5);
  assert.deepEqual(
    fired.map((f) => f[3]),
    [1, '1', true, 'a|b', { o: 1 }, 'a'],
  );
});

test('deleting timers', () => {
  const { backend, mgr, fired, triggerable } = setup();
  const s = mgr.getTimerService<string>('s', triggerable('s'), (n) => n);
  backend.setCurrentKey('k');
  for (const t of [5, 1, 9, 3, 7]) s.registerEventTimeTimer('', t);
  s.deleteEventTimeTimer('', 3);
  s.deleteEventTimeTimer('', 9);
  s.deleteEventTimeTimer('', 100); // not registered: no-op
  backend.setCurrentKey('other');
  s.deleteEventTimeTimer('', 5); // another key: no-op
  assert.equal(s.numEventTimeTimers(), 3);
  mgr.advanceWatermark(100);
  assert.deepEqual(
    fired.map((f) => f[2]),
    [1, 5, 7],
  );
});

test('timers registered while firing at or below the watermark fire in the same call', () => {
  const { backend, mgr, fired, triggerable } = setup();
  const s: InternalTimerService<string> = mgr.getTimerService<string>(
    's',
    triggerable('s', (t) => {
      if (t.timestamp === 10) {
        s.registerEventTimeTimer('', 15); // fires now
        s.registerEventTimeTimer('', 12); // fires now, before 20
        s.registerEventTimeTimer('', 50); // later
      }
    }),
    (n) => n,
  );
  backend.setCurrentKey('k');
  s.registerEventTimeTimer('', 10);
  s.registerEventTimeTimer('', 20);
  mgr.advanceWatermark(20);
  assert.deepEqual(
    fired.map((f) => f[2]),
    [10, 12, 15, 20],
  );
  assert.equal(s.numEventTimeTimers(), 1);
});

test('processing-time timers: one callback armed for the earliest timer; fires all due; re-arms', () => {
  const { backend, pts, mgr, fired, triggerable } = setup(100);
  const s = mgr.getTimerService<string>('s', triggerable('s'), (n) => n);
  backend.setCurrentKey('a');
  s.registerProcessingTimeTimer('', 200);
  assert.equal(pts.pending, 1);
  s.registerProcessingTimeTimer('', 150); // earlier: re-armed
  assert.equal(pts.pending, 1);
  backend.setCurrentKey('b');
  s.registerProcessingTimeTimer('', 150);
  s.registerProcessingTimeTimer('', 300);
  assert.equal(s.currentProcessingTime(), 100);
  pts.setCurrentTime(149);
  assert.deepEqual(fired, []);
  pts.setCurrentTime(210);
  assert.deepEqual(fired, [
    ['P', 's', 150, 'a', '', 'a'],
    ['P', 's', 150, 'b', '', 'b'],
    ['P', 's', 200, 'a', '', 'a'],
  ]);
  assert.equal(pts.pending, 1);
  fired.length = 0;
  backend.setCurrentKey('b');
  s.deleteProcessingTimeTimer('', 300);
  pts.setCurrentTime(1000);
  assert.deepEqual(fired, []);
  assert.equal(pts.pending, 0);
  assert.equal(s.numProcessingTimeTimers(), 0);
});

test('fireAllProcessingTimeTimers fires everything pending in order (BATCH end of input)', () => {
  const { backend, pts, mgr, fired, triggerable } = setup(0);
  const s: InternalTimerService<string> = mgr.getTimerService<string>(
    's',
    triggerable('s', (t) => s.registerProcessingTimeTimer('', t.timestamp + 1000)), // periodic: must not loop forever
    (n) => n,
  );
  backend.setCurrentKey('a');
  s.registerProcessingTimeTimer('', 5000);
  backend.setCurrentKey('b');
  s.registerProcessingTimeTimer('', 4000);
  mgr.fireAllProcessingTimeTimers();
  assert.deepEqual(
    fired.map((f) => [f[2], f[3]]),
    [
      [4000, 'b'],
      [5000, 'a'],
      [5000, 'b'],
    ],
  );
  assert.equal(pts.pending, 0);
});

test('snapshot/restore of timers by key-group range', () => {
  const { backend, mgr, triggerable } = setup();
  const s = mgr.getTimerService<string>('s', triggerable('s'), (n) => n);
  const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
  for (const [i, k] of keys.entries()) {
    backend.setCurrentKey(k);
    s.registerEventTimeTimer('w', 1000 + i);
    s.registerProcessingTimeTimer('', 5000 + i);
  }
  const snap = JSON.parse(JSON.stringify(mgr.snapshot())) as ReturnType<typeof mgr.snapshot>;
  assert.equal(snap.services.length, 1);
  assert.equal(snap.services[0]!.eventTime.length, 30);
  const range = keyGroupRangeForSubtask(128, 2, 1);
  const owned = keys.filter((k) => {
    const kg = assignToKeyGroup(normalizeKey(k), 128);
    return kg >= range.start && kg <= range.end;
  });

  const r = setup(0);
  r.mgr.restore(snap, range); // restored before the operator registers its service, as after a failover
  const rs = r.mgr.getTimerService<string>('s', r.triggerable('s'), (n) => n);
  assert.equal(rs.numEventTimeTimers(), owned.length);
  assert.equal(r.pts.pending, 1, 'processing timers are armed after a restore');
  // a restored timer is deduplicated against a new registration of the same timer
  r.backend.setCurrentKey(owned[0]);
  rs.registerEventTimeTimer('w', 1000 + keys.indexOf(owned[0]!));
  assert.equal(rs.numEventTimeTimers(), owned.length);
  r.mgr.advanceWatermark(2000);
  assert.deepEqual(
    r.fired.map((f) => f[3]),
    owned,
  );
  r.pts.setCurrentTime(10_000);
  assert.equal(r.fired.length, owned.length * 2);
  assert.ok(r.fired.slice(owned.length).every((f) => f[0] === 'P' && f[5] === f[3]));
});
