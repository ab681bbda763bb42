/**
 * The hashmap (heap) backend: the shared contract (state-backend-contract.ts), then what is its own
 * (original keys, copy-on-write snapshots).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../../src/api/state.js';
import { HeapKeyedStateBackend } from '../../src/runtime/state/heap-keyed-state-backend.js';
import { stateBackendContract } from './state-backend-contract.js';

const backend = (): HeapKeyedStateBackend => new HeapKeyedStateBackend({ maxParallelism: 128, operatorName: 'op' });

stateBackendContract({
  name: 'hashmap',
  create: () => Promise.resolve(backend()),
  fromStorage: () => Promise.resolve(), // the heap is its storage
  keys: (b, name, namespace) => Promise.resolve(b.getKeys(name, namespace)),
  objectKeys: (b, k1) => {
    assert.deepEqual(b.getKeys('v'), [k1, 'plain']);
    assert.equal(b.getKeys('v')[0], k1, 'the first instance seen is returned');
    assert.deepEqual(b.getKeys('nope'), []);
    return Promise.resolve();
  },
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
