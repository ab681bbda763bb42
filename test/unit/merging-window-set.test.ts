import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeWindow } from '../../src/api/windows.js';
import { MergingWindowSet, type MergeHandler } from '../../src/runtime/operators/merging-window-set.js';

const w = (s: number, e: number): TimeWindow => new TimeWindow(s, e);

function recorder(): MergeHandler & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    onMerge(result, merged, stateResult, mergedState) {
      calls.push(
        `${result.start}-${result.end} <- [${merged.map((m) => `${m.start}-${m.end}`).join(',')}] state ${stateResult.start}-${stateResult.end} + [${mergedState.map((m) => `${m.start}-${m.end}`).join(',')}]`,
      );
    },
  };
}

test('MergingWindowSet: new, absorbed, extended and bridging windows; state windows stay with the first one; changes in place', () => {
  const flat: number[] = [];
  const set = MergingWindowSet.load(flat);
  const h = recorder();
  assert.deepEqual(set.addWindow(w(0, 10), h), w(0, 10));
  assert.ok(set.isDirty);
  assert.equal(set.toFlat(), flat, 'the array keyed state holds is the one changed');
  assert.deepEqual(flat, [0, 10, 0, 10]);
  // absorbed: nothing merges
  assert.deepEqual(set.addWindow(w(2, 8), h), w(0, 10));
  assert.deepEqual(h.calls, []);
  // extended: the state stays in the first window
  assert.deepEqual(set.addWindow(w(5, 15), h), w(0, 15));
  assert.deepEqual(h.calls, ['0-15 <- [0-10] state 0-10 + []']);
  assert.deepEqual(set.getStateWindow(w(0, 15)), w(0, 10));
  // a separate session
  assert.deepEqual(set.addWindow(w(30, 40), h), w(30, 40));
  assert.equal(set.size, 2);
  // bridging both: the general merge, one state window absorbs the other
  assert.deepEqual(set.addWindow(w(14, 31), h), w(0, 40));
  assert.equal(h.calls.length, 2);
  assert.equal(h.calls[1], '0-40 <- [0-15,30-40] state 0-10 + [30-40]');
  assert.equal(set.size, 1);
  assert.deepEqual(set.getStateWindow(w(0, 40)), w(0, 10));
  set.retireWindow(w(0, 40));
  assert.equal(set.size, 0);
  assert.deepEqual(flat, []);
});

test('MergingWindowSet: a window that touches a session at its end merges (windows are closed intervals for merging)', () => {
  const set = MergingWindowSet.load([0, 10, 0, 10]);
  const h = recorder();
  assert.deepEqual(set.addWindow(w(10, 20), h), w(0, 20));
  assert.deepEqual(h.calls, ['0-20 <- [0-10] state 0-10 + []']);
});
