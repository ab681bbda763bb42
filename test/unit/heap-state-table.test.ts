/**
 * The heap backend's key-then-namespace table: a key's row holds a slot per state and its
 * namespaces; rows and slots go when emptied; snapshots keep the canonical entries and filter by
 * key group on restore; merging namespaces moves a key's values within its row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatingStateDescriptor, ListStateDescriptor, ValueStateDescriptor } from '../../src/api/state.js';
import type { AggregateFunction } from '../../src/api/functions.js';
import { assignToKeyGroup, normalizeKey } from '../../src/graph/key-groups.js';
import { HeapKeyedStateBackend } from '../../src/runtime/state/heap-keyed-state-backend.js';
import type { HeapStateEntry } from '../../src/runtime/state/keyed-state-backend.js';

const MAXP = 128;
const backend = (): HeapKeyedStateBackend => new HeapKeyedStateBackend({ maxParallelism: MAXP, operatorName: 'op' });
const sum: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (v, acc) => acc + v,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};

test('namespaces per key: each key sees only its own namespaces, VOID beside them', () => {
  const b = backend();
  const list = b.getPartitionedState(new ListStateDescriptor<number>('l'));
  const v = b.getState(new ValueStateDescriptor<string>('v'));
  for (const key of ['a', 'b']) {
    b.setCurrentKey(key);
    v.update(`void-${key}`);
    for (const ns of ['0:10', '10:20']) {
      list.setNamespace(ns);
      list.state.add(key === 'a' ? 1 : 2);
      list.state.add(ns === '0:10' ? 0 : 9);
    }
  }
  b.setCurrentKey('a');
  list.setNamespace('0:10');
  assert.deepEqual(list.state.get(), [1, 0]);
  list.setNamespace('10:20');
  assert.deepEqual(list.state.get(), [1, 9]);
  assert.equal(v.value(), 'void-a');
  b.setCurrentKey('b');
  assert.deepEqual(list.state.get(), [2, 9]);
  b.setCurrentKey('c');
  assert.deepEqual(list.state.get(), []);
  assert.equal(v.value(), undefined);
  assert.equal(b.numEntries(), 6);
  assert.deepEqual(b.getKeys('l', '10:20'), ['a', 'b']);
  assert.deepEqual(b.getKeys('v'), ['a', 'b']);
  assert.deepEqual(b.getKeys('l'), [], 'no VOID list entries');
});

test("clear of a namespace leaves the key's other namespaces and states; the last clear drops the key", () => {
  const b = backend();
  const list = b.getPartitionedState(new ListStateDescriptor<number>('l'));
  const v = b.getState(new ValueStateDescriptor<number>('v'));
  b.setCurrentKey('k');
  v.update(7);
  list.setNamespace('0:10');
  list.state.add(1);
  list.setNamespace('10:20');
  list.state.add(2);
  list.setNamespace('0:10');
  list.state.clear();
  list.state.clear(); // twice: nothing left to clear
  assert.deepEqual(list.state.get(), []);
  list.setNamespace('10:20');
  assert.deepEqual(list.state.get(), [2]);
  assert.equal(v.value(), 7);
  assert.equal(b.numEntries(), 2);
  list.state.clear();
  v.clear();
  assert.equal(b.numEntries(), 0);
  assert.deepEqual(b.getKeys('v'), []);
  assert.deepEqual(b.canonicalSnapshot(), { states: [] });
  // the key comes back with new state after its row went
  list.state.add(3);
  assert.deepEqual(list.state.get(), [3]);
  b.setCurrentKey('other');
  b.setCurrentKey('k');
  assert.deepEqual(list.state.get(), [3]);
});

test("snapshot entries carry each key's key group; a restore keeps only its range, both layouts of entries alike", async () => {
  const b = backend();
  const list = b.getPartitionedState(new ListStateDescriptor<number>('l'));
  const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
  for (const k of keys) {
    b.setCurrentKey(k);
    for (const ns of ['0:10', '10:20']) {
      list.setNamespace(ns);
      list.state.add(k.length);
    }
  }
  const snap = b.canonicalSnapshot();
  const entries = snap.states[0]!.entries;
  assert.equal(entries.length, 80);
  for (const [kg, key] of entries) assert.equal(kg, assignToKeyGroup(normalizeKey(key), MAXP));
  const range = { start: 0, end: 63 };
  const lower = backend();
  // entries ordered by namespace first (as an earlier layout wrote them) restore the same
  const byNamespace: HeapStateEntry[] = [...entries].sort((x, y) => (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0));
  lower.restore({ states: [{ name: 'l', kind: 'list', entries: byNamespace }] }, range);
  const expected = keys.filter((k) => assignToKeyGroup(normalizeKey(k), MAXP) <= 63);
  assert.ok(expected.length > 0 && expected.length < keys.length);
  assert.deepEqual(lower.getKeys('l', '0:10').sort(), expected.sort());
  assert.equal(lower.numEntries(), expected.length * 2);
  const restoredList = lower.getPartitionedState(new ListStateDescriptor<number>('l'));
  lower.setCurrentKey(expected[0]);
  restoredList.setNamespace('10:20');
  assert.deepEqual(restoredList.state.get(), [expected[0]!.length]);
  const again = lower.canonicalSnapshot().states[0]!.entries;
  const sortKey = (e: HeapStateEntry): string => `${String(e[1])}|${e[2]}`;
  assert.deepEqual(
    again.map(sortKey).sort(),
    entries
      .filter((e) => e[0] <= 63)
      .map(sortKey)
      .sort(),
  );
});

test("mergeNamespaces moves a key's values into the target and leaves other keys alone", () => {
  const b = backend();
  const agg = b.getPartitionedState(new AggregatingStateDescriptor<number, number, number>('s', sum));
  for (const [key, base] of [
    ['a', 1],
    ['b', 100],
  ] as const) {
    b.setCurrentKey(key);
    for (const [ns, x] of [
      ['0:10', 1],
      ['5:15', 2],
      ['12:22', 4],
    ] as const) {
      agg.setNamespace(ns);
      agg.state.add(base * x);
    }
  }
  b.setCurrentKey('a');
  agg.setNamespace('0:10');
  agg.mergeNamespaces!('0:10', ['5:15', '12:22']);
  assert.equal(agg.state.get(), 7);
  agg.setNamespace('5:15');
  assert.equal(agg.state.get(), undefined);
  agg.setNamespace('12:22');
  assert.equal(agg.state.get(), undefined);
  b.setCurrentKey('b');
  assert.equal(agg.state.get(), 400);
  assert.equal(b.numEntries(), 4);
  // into a namespace the key did not have yet
  b.setCurrentKey('a');
  agg.mergeNamespaces!('0:30', ['0:10']);
  agg.setNamespace('0:30');
  assert.equal(agg.state.get(), 7);
  assert.deepEqual(b.getKeys('s', '0:10'), ['b']);
  assert.deepEqual(b.getKeys('s', '0:30'), ['a']);
});

test('a key with many namespaces: clearing, re-adding and snapshotting each of them in any order', () => {
  const b = backend();
  const list = b.getPartitionedState(new ListStateDescriptor<number>('l'));
  b.setCurrentKey('k');
  const live = new Map<string, number[]>();
  let seed = 7;
  const next = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let step = 0; step < 400; step++) {
    const ns = `${next(6) * 10}:${next(6) * 10 + 10}`;
    list.setNamespace(ns);
    if (next(3) === 0) {
      list.state.clear();
      live.delete(ns);
    } else {
      list.state.add(step);
      live.set(ns, [...(live.get(ns) ?? []), step]);
    }
    assert.equal(b.numEntries(), live.size);
  }
  for (const [ns, values] of live) {
    list.setNamespace(ns);
    assert.deepEqual(list.state.get(), values);
  }
  const entries = b.canonicalSnapshot().states[0]?.entries ?? [];
  assert.deepEqual(new Map(entries.map((e) => [e[2], e[3]])), live);
});

test('snapshotEncoded with window namespaces: the state of the call, although windows are cleared, merged and opened while it is encoded', async () => {
  const { packKeyedStateChunks } = await import('../../src/runtime/state/snapshot-encoding.js');
  const { packState, unpackState } = await import('../../src/runtime/checkpoint/storage.js');
  const b = backend();
  const agg = b.getPartitionedState(new AggregatingStateDescriptor<number, number, number>('s', sum));
  const list = b.getPartitionedState(new ListStateDescriptor<number>('l'));
  const N = 12_000; // entries over several chunks
  for (let k = 0; k < N; k++) {
    b.setCurrentKey(k);
    for (let w = 0; w < 1 + (k % 3); w++) {
      agg.setNamespace(`${w * 10}:${w * 10 + 10}`);
      agg.state.add(k);
    }
    if (k % 4 === 0) {
      list.setNamespace('0:10');
      list.state.add(k);
    }
  }
  const expected = unpackState(packState(b.canonicalSnapshot()));
  const snap = b.snapshotEncoded();
  let done = false;
  const encoded = snap.states.then((s) => {
    done = true;
    return s;
  });
  for (let round = 0; round < 200 && !done; round++) {
    for (let j = 0; j < 100; j++) {
      const k = (round * 7919 + j * 104729) % (N + 500);
      b.setCurrentKey(k);
      agg.setNamespace('0:10');
      if (j % 3 === 0) agg.state.clear();
      else agg.mergeNamespaces!('0:10', ['10:20', '20:30']);
      agg.setNamespace('90:100');
      agg.state.add(1);
      list.setNamespace('0:10');
      const a = list.state.get();
      list.state.update([...a, -1]);
    }
    await new Promise((r) => setImmediate(r));
  }
  const states = await encoded;
  const decoded = unpackState<{ states: unknown[] }>(packKeyedStateChunks(states, packState({ services: [] })));
  const sortStates = (x: { states: { name: string; entries: unknown[] }[] }): unknown =>
    x.states
      .map((st) => ({ ...st, entries: [...st.entries].sort((p, q) => JSON.stringify(p).localeCompare(JSON.stringify(q))) }))
      .sort((p, q) => p.name.localeCompare(q.name));
  assert.deepEqual(sortStates(decoded as never), sortStates(expected as never));
});
