/**
 * What every keyed state backend does the same (Flink's StateBackendTestBase): run by
 * state-backend.test.ts (hashmap) and lsm-state-backend.test.ts (lsm) against their backend.
 */
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
import {
  VOID_NAMESPACE,
  type HeapStateSnapshot,
  type KeyGroupRange,
  type KeyedStateBackend,
} from '../../src/runtime/state/keyed-state-backend.js';

/** A backend under test: the KeyedStateBackend interface and the canonical snapshot format. */
export interface ContractBackend extends KeyedStateBackend {
  canonicalSnapshot(): HeapStateSnapshot | Promise<HeapStateSnapshot>;
  restore(snapshot: HeapStateSnapshot, range?: KeyGroupRange): void | Promise<void>;
}

export interface BackendFixture<B extends ContractBackend> {
  name: string;
  /** A fresh backend (maxParallelism 128, operator 'op'), ready to use. */
  create(): Promise<B>;
  /** Makes the next reads of `keys` come from the backend's storage rather than from memory, where it has both. */
  fromStorage(b: B, keys: unknown[]): Promise<void>;
  /** The keys with state under `name` in `namespace` (getKeys, after what the backend needs first). */
  keys(b: B, name: string, namespace?: string): Promise<unknown[]>;
  /** The backend's own checks of its key listing, after value state 'v' was set for `k1` (1), then 'plain' (2, the current key). */
  objectKeys(b: B, k1: object): Promise<void>;
}

export function stateBackendContract<B extends ContractBackend>(f: BackendFixture<B>): void {
  const t = (name: string, fn: () => Promise<void>): void => {
    test(`${f.name}: ${name}`, fn);
  };

  t('value state is per key, has a default, and update(undefined) clears', async () => {
    const b = await f.create();
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

  t('an object default is copied, so mutating it does not leak to other keys', async () => {
    const b = await f.create();
    const s = b.getState(new ValueStateDescriptor<{ n: number }>('acc', { n: 0 }));
    b.setCurrentKey(1);
    s.value()!.n = 42;
    assert.deepEqual(s.value(), { n: 0 });
  });

  t('list state: add, addAll, update, get returns a copy; empty lists are removed', async () => {
    const b = await f.create();
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

  t('map state with primitive and object keys; removing the last entry removes the state', async () => {
    const b = await f.create();
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
    // read back from storage, the map is the same
    await f.fromStorage(b, ['k']);
    b.setCurrentKey('k');
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

  t('reducing and aggregating state', async () => {
    const b = await f.create();
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

  t('a reduce function object with a reduce() method works', async () => {
    const b = await f.create();
    const r = b.getState(new ReducingStateDescriptor<number>('max', { reduce: (x: number, y: number) => Math.max(x, y) }));
    b.setCurrentKey(1);
    r.add(3);
    r.add(9);
    r.add(4);
    assert.equal(r.get(), 9);
  });

  t('state access without a current key throws WEIR_STATE_ACCESS mentioning keyBy()', async () => {
    const b = await f.create();
    const s = b.getState(new ValueStateDescriptor<number>('v'));
    assert.throws(
      () => s.value(),
      (e: unknown) => e instanceof WeirError && e.code === 'WEIR_STATE_ACCESS' && /keyBy\(\)/.test(e.message),
    );
  });

  t('the same name with another kind is an error', async () => {
    const b = await f.create();
    b.getState(new ValueStateDescriptor<number>('x'));
    assert.throws(
      () => b.getState(new ListStateDescriptor<number>('x')),
      (e: unknown) => e instanceof WeirError && e.code === 'WEIR_STATE_ACCESS',
    );
  });

  t('object keys: equal objects share state; the original keys are listed', async () => {
    const b = await f.create();
    const s = b.getState(new ValueStateDescriptor<number>('v'));
    const k1 = { user: 'u1', region: 'eu' };
    b.setCurrentKey(k1);
    s.update(1);
    b.setCurrentKey({ region: 'eu', user: 'u1' });
    assert.equal(s.value(), 1);
    b.setCurrentKey('plain');
    s.update(2);
    assert.deepEqual(b.getCurrentKey(), 'plain');
    await f.objectKeys(b, k1);
  });

  t('getCurrentKeyGroup matches assignToKeyGroup', async () => {
    const b = await f.create();
    for (const k of ['a', 17, { x: 1 }]) {
      b.setCurrentKey(k);
      assert.equal(b.getCurrentKeyGroup(), assignToKeyGroup(normalizeKey(k), 128));
    }
  });

  t('partitioned state: namespaces are separate; clearing a namespace removes only it', async () => {
    const b = await f.create();
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
    assert.deepEqual(await f.keys(b, 'w', '10:20'), ['k']);
    assert.deepEqual(await f.keys(b, 'w'), [], 'nothing in the VOID namespace');
    ns.state.clear();
    assert.equal(b.numEntries(), 1);
    // the VOID-namespace state of the same name is separate
    const v = b.getState(new ListStateDescriptor<number>('w'));
    assert.deepEqual(v.get(), []);
  });

  t('mergeNamespaces merges list, reducing and aggregating values and removes the sources', async () => {
    const b = await f.create();
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
    // the merge also works on values read back from storage
    await f.fromStorage(b, ['k']);
    b.setCurrentKey('k');
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
    const snap = await b.canonicalSnapshot();
    assert.deepEqual(
      snap.states.map((s) => [s.name, s.entries.map((e) => [e[2], e[3]])]),
      [
        ['l', [['a', [1, 2, 3, 4]]]],
        ['r', [['t', 15]]],
        ['g', [['y', 3]]],
      ],
    );
  });

  t('snapshot and restore, filtered by key-group range', async () => {
    const b = await f.create();
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
    const snap = await b.canonicalSnapshot();
    assert.deepEqual(
      snap.states.map((s) => [s.name, s.kind, s.entries.length]),
      [
        ['v', 'value', 40],
        ['m', 'map', 40],
        ['l', 'list', 40],
      ],
    );
    checkKey5(snap);
    const { b0, b1, r0 } = await restoreSplit(snap, () => f.create());
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
    // original object keys come back (equal ones, from storage)
    const restoredKeys = (await f.keys(b0, 'v')).concat(await f.keys(b1, 'v'));
    assert.ok(restoredKeys.some((k) => typeof k === 'object' && (k as { id: number }).id === 4));
  });

  t('restored reducing state uses the descriptor registered afterwards', async () => {
    const b = await f.create();
    const r = b.getState(new ReducingStateDescriptor<number>('r', (x, y) => x + y));
    b.setCurrentKey('k');
    r.add(2);
    r.add(3);
    const b2 = await f.create();
    await b2.restore(await b.canonicalSnapshot());
    const r2 = b2.getState(new ReducingStateDescriptor<number>('r', (x, y) => x + y));
    b2.setCurrentKey('k');
    r2.add(10);
    assert.equal(r2.get(), 15);
  });

  t('dispose drops everything', async () => {
    const b = await f.create();
    const s = b.getState(new ValueStateDescriptor<number>('v'));
    b.setCurrentKey('k');
    s.update(1);
    await b.dispose();
    assert.equal(b.numEntries(), 0);
  });
}

/** Key 'key-5' in a snapshot of states v (value i) and m (map x → 10 i) set for keys 'key-i'. */
export function checkKey5(snap: HeapStateSnapshot): void {
  const e5 = snap.states[0]!.entries.find((e) => e[1] === 'key-5')!;
  assert.deepEqual(e5, [assignToKeyGroup('key-5', 128), 'key-5', VOID_NAMESPACE, 5]);
  assert.deepEqual(snap.states[1]!.entries.find((e) => e[1] === 'key-5')![3], [['x', 50]]);
}

/** `snap` as plain data (it survives a JSON round trip) restored into two subtasks' backends, by key-group range. */
export async function restoreSplit<B extends ContractBackend>(
  snap: HeapStateSnapshot,
  create: () => Promise<B>,
): Promise<{ b0: B; b1: B; r0: KeyGroupRange }> {
  const plain = JSON.parse(JSON.stringify(snap)) as HeapStateSnapshot;
  const r0 = keyGroupRangeForSubtask(128, 2, 0);
  const r1 = keyGroupRangeForSubtask(128, 2, 1);
  const b0 = await create();
  const b1 = await create();
  await b0.restore(plain, r0);
  await b1.restore(plain, r1);
  return { b0, b1, r0 };
}
