import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type ListState,
  type ReducingState,
} from '../../src/api/state.js';
import type { AggregateFunction } from '../../src/api/functions.js';
import { WeirError } from '../../src/errors.js';
import { assignToKeyGroup, keyGroupRangeForSubtask, normalizeKey } from '../../src/graph/key-groups.js';
import { HeapKeyedStateBackend } from '../../src/runtime/state/heap-keyed-state-backend.js';
import { VOID_NAMESPACE } from '../../src/runtime/state/keyed-state-backend.js';

const backend = (): HeapKeyedStateBackend => new HeapKeyedStateBackend({ maxParallelism: 128, operatorName: 'op' });

test('value state is per key, has a default, and update(undefined) clears', () => {
  const b = backend();
  const s = b.getState(new ValueStateDescriptor<number>('count', 0));
  b.setCurrentKey('a');
  assert.equal(s.value(), 0);
  s.update(5);
  b.setCurrentKey('b');
  assert.equal(s.value(), 0);
  s.update(7);
  b.setCurrentKey('a');
  assert.equal(s.value(), 5);
  assert.equal(b.numEntries(), 2);
  s.clear();
  assert.equal(s.value(), 0);
  assert.equal(b.numEntries(), 1);
  b.setCurrentKey('b');
  s.update(undefined as unknown as number);
  assert.equal(b.numEntries(), 0);
});

test('an object default is copied, so mutating it does not leak to other keys', () => {
  const b = backend();
  const s = b.getState(new ValueStateDescriptor<{ n: number }>('acc', { n: 0 }));
  b.setCurrentKey(1);
  s.value()!.n = 42;
  assert.deepEqual(s.value(), { n: 0 });
});

test('list state: add, addAll, update, get returns a copy; empty lists are removed', () => {
  const b = backend();
  const s: ListState<string> = b.getState(new ListStateDescriptor<string>('l'));
  b.setCurrentKey('k');
  assert.deepEqual(s.get(), []);
  s.add('x');
  s.addAll(['y', 'z']);
  const got = s.get();
  got.push('not stored');
  assert.deepEqual(s.get(), ['x', 'y', 'z']);
  s.update(['q']);
  assert.deepEqual(s.get(), ['q']);
  s.update([]);
  assert.deepEqual(s.get(), []);
  assert.equal(b.numEntries(), 0);
  s.addAll([]);
  assert.equal(b.numEntries(), 0);
});

test('map state with primitive and object keys; removing the last entry removes the state', () => {
  const b = backend();
  const s = b.getState(new MapStateDescriptor<unknown, number>('m'));
  b.setCurrentKey('k');
  assert.equal(s.isEmpty(), true);
  s.put('a', 1);
  s.put({ x: 1, y: 2 }, 2);
  s.putAll(new Map([['b', 3]]));
  assert.equal(s.get({ y: 2, x: 1 }), 2, 'equal objects are equal map keys');
  assert.equal(s.contains('a'), true);
  assert.deepEqual(s.keys(), ['a', { x: 1, y: 2 }, 'b']);
  assert.deepEqual(s.values(), [1, 2, 3]);
  assert.deepEqual(s.entries(), [
    ['a', 1],
    [{ x: 1, y: 2 }, 2],
    ['b', 3],
  ]);
  s.remove('a');
  s.remove({ x: 1, y: 2 });
  assert.equal(b.numEntries(), 1);
  s.remove('b');
  assert.equal(s.isEmpty(), true);
  assert.equal(b.numEntries(), 0);
});

test('reducing and aggregating state', () => {
  const b = backend();
  const r: ReducingState<number> = b.getState(new ReducingStateDescriptor<number>('sum', (x, y) => x + y));
  const avg: AggregateFunction<number, { s: number; n: number }, number> = {
    createAccumulator: () => ({ s: 0, n: 0 }),
    add: (v, a) => ({ s: a.s + v, n: a.n + 1 }),
    getResult: (a) => a.s / a.n,
    merge: (a, c) => ({ s: a.s + c.s, n: a.n + c.n }),
  };
  const g = b.getState(new AggregatingStateDescriptor('avg', avg));
  b.setCurrentKey('k');
  assert.equal(r.get(), undefined);
  assert.equal(g.get(), undefined);
  for (const v of [1, 2, 6]) {
    r.add(v);
    g.add(v);
  }
  assert.equal(r.get(), 9);
  assert.equal(g.get(), 3);
  r.clear();
  g.clear();
  assert.equal(b.numEntries(), 0);
});

test('a reduce function object with a reduce() method works', () => {
  const b = backend();
  const r = b.getState(new ReducingStateDescriptor<number>('max', { reduce: (x: number, y: number) => Math.max(x, y) }));
  b.setCurrentKey(1);
  r.add(3);
  r.add(9);
  r.add(4);
  assert.equal(r.get(), 9);
});

test('state access without a current key throws WEIR_STATE_ACCESS mentioning keyBy()', () => {
  const b = backend();
  const s = b.getState(new ValueStateDescriptor<number>('v'));
  assert.throws(
    () => s.value(),
    (e: unknown) => e instanceof WeirError && e.code === 'WEIR_STATE_ACCESS' && /keyBy\(\)/.test(e.message),
  );
});

test('the same name with another kind is an error', () => {
  const b = backend();
  b.getState(new ValueStateDescriptor<number>('x'));
  assert.throws(
    () => b.getState(new ListStateDescriptor<number>('x')),
    (e: unknown) => e instanceof WeirError && e.code === 'WEIR_STATE_ACCESS',
  );
});

test('object keys: equal objects share state; getCurrentKey and getKeys give the original keys', () => {
  const b = backend();
  const s = b.getState(new ValueStateDescriptor<number>('v'));
  const k1 = { user: 'u1', region: 'eu' };
  b.setCurrentKey(k1);
  s.update(1);
  b.setCurrentKey({ region: 'eu', user: 'u1' });
  assert.equal(s.value(), 1);
  b.setCurrentKey('plain');
  s.update(2);
  assert.deepEqual(b.getCurrentKey(), 'plain');
  assert.deepEqual(b.getKeys('v'), [k1, 'plain']);
  assert.equal(b.getKeys('v')[0], k1, 'the first instance seen is returned');
  assert.deepEqual(b.getKeys('nope'), []);
});

test('getCurrentKeyGroup matches assignToKeyGroup', () => {
  const b = backend();
  for (const k of ['a', 17, { x: 1 }]) {
    b.setCurrentKey(k);
    assert.equal(b.getCurrentKeyGroup(), assignToKeyGroup(normalizeKey(k), 128));
  }
});

test('partitioned state: namespaces are separate; clearing a namespace removes only it', () => {
  const b = backend();
  const ns = b.getPartitionedState(new ListStateDescriptor<number>('w'));
  b.setCurrentKey('k');
  ns.setNamespace('0:10');
  ns.state.add(1);
  ns.setNamespace('10:20');
  ns.state.add(2);
  ns.state.add(3);
  assert.deepEqual(ns.state.get(), [2, 3]);
  ns.setNamespace('0:10');
  assert.deepEqual(ns.state.get(), [1]);
  assert.deepEqual(b.getKeys('w', '10:20'), ['k']);
  assert.deepEqual(b.getKeys('w'), [], 'nothing in the VOID namespace');
  ns.state.clear();
  assert.equal(b.numEntries(), 1);
  // the VOID-namespace state of the same name is separate
  const v = b.getState(new ListStateDescriptor<number>('w'));
  assert.deepEqual(v.get(), []);
});

test('mergeNamespaces merges list, reducing and aggregating values and removes the sources', () => {
  const b = backend();
  b.setCurrentKey('k');

  const l = b.getPartitionedState(new ListStateDescriptor<number>('l'));
  for (const [n, vals] of [
    ['a', [1]],
    ['b', [2, 3]],
    ['c', [4]],
  ] as const) {
    l.setNamespace(n);
    l.state.addAll(vals);
  }
  l.mergeNamespaces!('a', ['b', 'c']);
  l.setNamespace('a');
  assert.deepEqual(l.state.get(), [1, 2, 3, 4]);
  l.setNamespace('b');
  assert.deepEqual(l.state.get(), []);

  const r = b.getPartitionedState(new ReducingStateDescriptor<number>('r', (x, y) => x + y));
  r.setNamespace('s1');
  r.state.add(10);
  r.setNamespace('s2');
  r.state.add(5);
  r.mergeNamespaces!('t', ['s1', 's2']);
  r.setNamespace('t');
  assert.equal(r.state.get(), 15);

  const count: AggregateFunction<number, number, string> = {
    createAccumulator: () => 0,
    add: (_v, a) => a + 1,
    getResult: (a) => `n=${a}`,
    merge: (a, c) => a + c,
  };
  const g = b.getPartitionedState(new AggregatingStateDescriptor('g', count));
  g.setNamespace('x');
  g.state.add(1);
  g.state.add(1);
  g.setNamespace('y');
  g.state.add(1);
  g.mergeNamespaces!('y', ['x']);
  assert.equal(g.state.get(), 'n=3', 'the current namespace (y) is the target and is not switched');
  // entries: l/a, r/t, g/y
  assert.equal(b.numEntries(), 3);
});

test('snapshot and restore, filtered by key-group range', () => {
  const b = backend();
  const v = b.getState(new ValueStateDescriptor<number>('v'));
  const m = b.getState(new MapStateDescriptor<string, number>('m'));
  const l = b.getPartitionedState(new ListStateDescriptor<string>('l'));
  const keys = Array.from({ length: 40 }, (_, i) => (i % 2 ? `key-${i}` : { id: i }));
  for (const [i, k] of keys.entries()) {
    b.setCurrentKey(k);
    v.update(i);
    m.put('x', i * 10);
    l.setNamespace(`${i}:${i + 5}`);
    l.state.add(`e${i}`);
  }
  const snap = b.canonicalSnapshot();
  assert.deepEqual(
    snap.states.map((s) => [s.name, s.kind, s.entries.length]),
    [
      ['v', 'value', 40],
      ['m', 'map', 40],
      ['l', 'list', 40],
    ],
  );
  const e5 = snap.states[0]!.entries.find((e) => e[1] === 'key-5')!;
  assert.deepEqual(e5, [assignToKeyGroup('key-5', 128), 'key-5', VOID_NAMESPACE, 5]);
  assert.deepEqual(snap.states[1]!.entries.find((e) => e[1] === 'key-5')![3], [['x', 50]]);

  // plain data: survives a JSON round trip
  const plain = JSON.parse(JSON.stringify(snap)) as typeof snap;
  const r0 = keyGroupRangeForSubtask(128, 2, 0);
  const r1 = keyGroupRangeForSubtask(128, 2, 1);
  const b0 = backend();
  const b1 = backend();
  b0.restore(plain, r0);
  b1.restore(plain, r1);
  assert.equal(b0.numEntries() + b1.numEntries(), 120);
  for (const [i, k] of keys.entries()) {
    const kg = assignToKeyGroup(normalizeKey(k), 128);
    const owner = kg <= r0.end ? b0 : b1;
    const other = owner === b0 ? b1 : b0;
    for (const bb of [owner, other]) {
      bb.setCurrentKey(k);
      const vv = bb.getState(new ValueStateDescriptor<number>('v'));
      const mm = bb.getState(new MapStateDescriptor<string, number>('m'));
      const ll = bb.getPartitionedState(new ListStateDescriptor<string>('l'));
      ll.setNamespace(`${i}:${i + 5}`);
      if (bb === owner) {
        assert.equal(vv.value(), i);
        assert.equal(mm.get('x'), i * 10);
        assert.deepEqual(ll.state.get(), [`e${i}`]);
      } else {
        assert.equal(vv.value(), undefined);
        assert.equal(mm.isEmpty(), true);
      }
    }
  }
  // original object keys come back
  assert.ok(
    b0
      .getKeys('v')
      .concat(b1.getKeys('v'))
      .some((k) => typeof k === 'object' && (k as { id: number }).id === 4),
  );
});

test('restored reducing state uses the descriptor registered afterwards', () => {
  const b = backend();
  const r = b.getState(new ReducingStateDescriptor<number>('r', (x, y) => x + y));
  b.setCurrentKey('k');
  r.add(2);
  r.add(3);
  const b2 = backend();
  b2.restore(b.canonicalSnapshot());
  const r2 = b2.getState(new ReducingStateDescriptor<number>('r', (x, y) => x + y));
  b2.setCurrentKey('k');
  r2.add(10);
  assert.equal(r2.get(), 15);
});

test('dispose drops everything', () => {
  const b = backend();
  const s = b.getState(new ValueStateDescriptor<number>('v'));
  b.setCurrentKey('k');
  s.update(1);
  b.dispose();
  assert.equal(b.numEntries(), 0);
});

test('original object keys are forgotten once no state holds them', () => {
  const b = backend();
  const s = b.getState(new ValueStateDescriptor<number>('v'));
  const first = { id: 1 };
  const second = { id: 1 };
  b.setCurrentKey(first);
  s.update(1);
  s.clear();
  b.setCurrentKey(second);
  s.update(2);
  assert.equal(b.getKeys('v')[0], second);
});

test('snapshotEncoded: the state of the call, although the task changes values, lists and maps while it is encoded', async () => {
  const { packKeyedStateChunks } = await import('../../src/runtime/state/snapshot-encoding.js');
  const { packState, unpackState } = await import('../../src/runtime/checkpoint/storage.js');
  const b = backend();
  const value = b.getState(new ValueStateDescriptor<{ n: number }>('v', { n: 0 }));
  const list = b.getState(new ListStateDescriptor<number>('l'));
  const map = b.getState(new MapStateDescriptor<string, number>('m'));
  const N = 20_000; // several chunks, so the changes below land before, during and after encoding
  for (let k = 0; k < N; k++) {
    b.setCurrentKey(k);
    value.update({ n: k });
    if (k % 3 === 0) list.add(k);
    if (k % 5 === 0) map.put(`x${k}`, k);
  }
  const expected = unpackState(packState(b.canonicalSnapshot())); // a deep copy of the state at this moment
  const snap = b.snapshotEncoded();
  assert.equal(snap.entries, N + Math.ceil(N / 3) + Math.ceil(N / 5));
  let done = false;
  const encoded = snap.states.then((s) => {
    done = true;
    return s;
  });
  // The task goes on: in-place changes of read objects, updates, removals, new keys, list and map changes.
  for (let round = 0; round < 200 && !done; round++) {
    for (let j = 0; j < 100; j++) {
      const k = (round * 7919 + j * 104729) % (N + 1000);
      b.setCurrentKey(k);
      const v = value.value();
      if (v) v.n = -1; // changed in place
      if (j % 4 === 0) value.update({ n: -2 });
      if (j % 5 === 0) value.clear();
      list.add(-1);
      map.put('new', -1);
      if (j % 6 === 0) map.remove(`x${k}`);
    }
    await new Promise((r) => setImmediate(r));
  }
  const states = await encoded;
  const decoded = unpackState<{ states: unknown[]; timers: unknown }>(packKeyedStateChunks(states, packState({ services: [] })));
  const sortStates = (x: { states: { name: string; entries: unknown[] }[] }): unknown =>
    x.states
      .map((st) => ({ ...st, entries: [...st.entries].sort((p, q) => JSON.stringify(p).localeCompare(JSON.stringify(q))) }))
      .sort((p, q) => p.name.localeCompare(q.name));
  assert.deepEqual(sortStates(decoded as never), sortStates(expected as never));
  assert.deepEqual(decoded.timers, { services: [] });
});
