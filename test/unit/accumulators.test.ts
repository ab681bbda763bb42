/** Accumulators: Flink's kinds and their merge, the REST value strings, and a task's registry. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DoubleCounter, Histogram, IntCounter, LongCounter, mergeSnapshots, valueString } from '../../src/api/accumulators.js';
import { TaskAccumulators } from '../../src/runtime/taskmanager/task-accumulators.js';

test('counters add and merge; an IntCounter wraps at 32 bits as in Java', () => {
  const a = new IntCounter();
  a.add(2_147_483_647);
  a.add(1);
  assert.equal(a.getLocalValue(), -2_147_483_648);
  const l = new LongCounter(5);
  l.merge(new LongCounter(7));
  assert.equal(l.getLocalValue(), 12);
  const d = new DoubleCounter();
  d.add(0.25);
  d.add(0.5);
  assert.equal(d.clone().getLocalValue(), 0.75);
  d.resetLocal();
  assert.equal(d.getLocalValue(), 0);
});

test('a Histogram counts values in ascending order and merges', () => {
  const h = new Histogram();
  for (const v of [3, 1, 3, 2]) h.add(v);
  const g = new Histogram();
  g.add(1);
  h.merge(g);
  assert.deepEqual(
    [...h.getLocalValue()],
    [
      [1, 2],
      [2, 1],
      [3, 2],
    ],
  );
  assert.equal(valueString(h.snapshot()), '{1=2, 2=1, 3=2}');
});

test('snapshots merge by kind; different kinds do not merge', () => {
  assert.deepEqual(mergeSnapshots({ type: 'LongCounter', value: 2 }, { type: 'LongCounter', value: 3 }), { type: 'LongCounter', value: 5 });
  assert.deepEqual(mergeSnapshots({ type: 'Histogram', value: { 1: 1 } }, { type: 'Histogram', value: { 1: 2, 4: 1 } }), {
    type: 'Histogram',
    value: { 1: 3, 4: 1 },
  });
  assert.equal(mergeSnapshots({ type: 'IntCounter', value: 1 }, { type: 'DoubleCounter', value: 1 }), undefined);
  assert.equal(valueString({ type: 'DoubleCounter', value: 1.5 }), '1.5');
});

test("a task's registry: one accumulator per name, get-or-create helpers check the kind", () => {
  const r = new TaskAccumulators('map');
  assert.equal(r.snapshot(), undefined, 'nothing to report without accumulators');
  const c = new IntCounter();
  r.add('n', c);
  assert.equal(r.get('n'), c);
  assert.throws(() => r.add('n', new IntCounter()), /The accumulator 'n' already exists in task 'map' and cannot be added/);
  assert.throws(() => r.add('x', {} as never), /is not an accumulator: use IntCounter, LongCounter, DoubleCounter or Histogram/);
  assert.equal(r.getOrAdd('n', IntCounter), c);
  assert.throws(() => r.getOrAdd('n', Histogram), /accumulator 'n' of task 'map' is a IntCounter, not a Histogram/);
  r.getOrAdd('h', Histogram).add(7);
  c.add(4);
  assert.deepEqual(r.snapshot(), { n: { type: 'IntCounter', value: 4 }, h: { type: 'Histogram', value: { 7: 1 } } });
});
