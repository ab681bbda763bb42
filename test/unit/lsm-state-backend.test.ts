/**
 * The lsm backend: the shared contract (state-backend-contract.ts), then what is its own (key
 * listings, images instead of LevelDB snapshots, prefetch and eviction, incremental checkpoints).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor } from '../../src/api/state.js';
import { assignToKeyGroup, keyGroupRangeForSubtask, normalizeKey } from '../../src/graph/key-groups.js';
import { HeapKeyedStateBackend, type HeapStateSnapshot } from '../../src/runtime/state/heap-keyed-state-backend.js';
import { VOID_NAMESPACE } from '../../src/runtime/state/keyed-state-backend.js';
import { LsmKeyedStateBackend, type LsmKeyedStateBackendOptions } from '../../src/runtime/state/lsm/backend.js';
import { createKeyedStateBackend, loadStateBackend } from '../../src/runtime/state/state-backends.js';
import { checkKey5, restoreSplit, stateBackendContract } from './state-backend-contract.js';
import { decodeEntryKey, decodeKey, encodeKey, keyPrefix, toBuf, fromBuf } from '../../src/runtime/state/lsm/key-codec.js';

const root = mkdtempSync(join(tmpdir(), 'weir-lsm-test-'));
const open: LsmKeyedStateBackend[] = [];
after(async () => {
  await Promise.all(open.map((b) => b.dispose()));
  rmSync(root, { recursive: true, force: true });
});

async function backend(opts: Partial<LsmKeyedStateBackendOptions> = {}): Promise<LsmKeyedStateBackend> {
  const b = new LsmKeyedStateBackend({ maxParallelism: 128, operatorName: 'op', workingDir: join(root, 'work'), ...opts });
  open.push(b);
  await b.open();
  return b;
}
const heap = (): HeapKeyedStateBackend => new HeapKeyedStateBackend({ maxParallelism: 128, operatorName: 'op' });

stateBackendContract({
  name: 'lsm',
  create: () => backend(),
  fromStorage: async (b, keys) => {
    await b.flush();
    await (await evictAll(b)).prefetch(keys);
  },
  keys: async (b, name, namespace) => {
    await b.prepareKeys(name, namespace);
    return b.getKeys(name, namespace);
  },
  // getKeys needs prepareKeys (a scan), and is valid until the next write batch
  objectKeys: async (b, k1) => {
    const s = b.getState(new ValueStateDescriptor<number>('v'));
    assert.throws(() => b.getKeys('v'), /prepareKeys/);
    await b.prepareKeys('v');
    const keys = b.getKeys('v');
    assert.equal(keys.length, 2);
    assert.ok(keys.includes(k1), 'a cached key is the first instance seen');
    assert.ok(keys.includes('plain'));
    assert.deepEqual(b.getKeys('nope'), []);
    // changes after prepareKeys show, until the next write batch
    b.setCurrentKey('new');
    s.update(3);
    b.setCurrentKey('plain');
    s.clear();
    assert.deepEqual(b.getKeys('v'), [k1, 'new']);
    await b.flush();
    assert.throws(() => b.getKeys('v'), /prepareKeys/);
    // keys read back from disk: objects are rebuilt (equal, sorted fields)
    const b2 = await backend();
    await b2.restore(await b.canonicalSnapshot());
    await b2.prepareKeys('v');
    assert.deepEqual(
      b2
        .getKeys('v')
        .map((k) => JSON.stringify(k))
        .sort(),
      ['"new"', '{"region":"eu","user":"u1"}'],
    );
  },
});

// ---------------------------------------------------------------- the heap backend's behaviours, as far as they differ

/** Makes every key leave the cache (a tiny cache, then flushes), so that the next accesses read LevelDB. */
async function evictAll(b: LsmKeyedStateBackend): Promise<LsmKeyedStateBackend> {
  const opts = (b as unknown as { cache: { opts: { cacheKeys: number } } }).cache.opts;
  const cacheKeys = opts.cacheKeys;
  opts.cacheKeys = 0;
  b.setCurrentKey('no such key');
  await b.prefetch([]); // two newer buffers: nothing recent is protected from eviction
  await b.prefetch([]);
  await b.flush();
  opts.cacheKeys = cacheKeys;
  assert.equal(b.stats().cachedKeys <= 1, true);
  return b;
}

function fill(
  b: { setCurrentKey(k: unknown): void } & Pick<HeapKeyedStateBackend, 'getState' | 'getPartitionedState'>,
  n: number,
): unknown[] {
  const v = b.getState(new ValueStateDescriptor<number>('v'));
  const m = b.getState(new MapStateDescriptor<string, number>('m'));
  const l = b.getPartitionedState(new ListStateDescriptor<string>('l'));
  const r = b.getState(new ReducingStateDescriptor<number>('r', (x, y) => x + y));
  const keys = Array.from({ length: n }, (_, i) => (i % 2 ? `key-${i}` : { id: i }));
  for (const [i, k] of keys.entries()) {
    b.setCurrentKey(k);
    v.update(i);
    m.put('x', i * 10);
    l.setNamespace(`${i}:${i + 5}`);
    l.state.add(`e${i}`);
    r.add(i);
    r.add(1);
  }
  return keys;
}

function check(
  b: { setCurrentKey(k: unknown): void } & Pick<HeapKeyedStateBackend, 'getState' | 'getPartitionedState'>,
  i: number,
  k: unknown,
  present: boolean,
): void {
  b.setCurrentKey(k);
  const vv = b.getState(new ValueStateDescriptor<number>('v'));
  const mm = b.getState(new MapStateDescriptor<string, number>('m'));
  const ll = b.getPartitionedState(new ListStateDescriptor<string>('l'));
  const rr = b.getState(new ReducingStateDescriptor<number>('r', (x, y) => x + y));
  ll.setNamespace(`${i}:${i + 5}`);
  if (present) {
    assert.equal(vv.value(), i);
    assert.equal(mm.get('x'), i * 10);
    assert.deepEqual(ll.state.get(), [`e${i}`]);
    assert.equal(rr.get(), i + 1);
  } else {
    assert.equal(vv.value(), undefined);
    assert.equal(mm.isEmpty(), true);
    assert.deepEqual(ll.state.get(), []);
  }
}

test('snapshot and restore, filtered by key-group range, same format as the heap backend', async () => {
  const b = await backend();
  const h = heap();
  const keys = fill(b, 40);
  fill(h, 40);
  const snap = await b.canonicalSnapshot();
  assert.deepEqual(
    snap.states.map((s) => [s.name, s.kind, s.entries.length]),
    [
      ['v', 'value', 40],
      ['m', 'map', 40],
      ['l', 'list', 40],
      ['r', 'reducing', 40],
    ],
  );
  checkKey5(snap);
  // the same entries as the heap backend's snapshot (order aside)
  assert.deepEqual(canonical(snap), canonical(h.canonicalSnapshot()));

  const { b0, b1, r0 } = await restoreSplit(snap, () => backend());
  assert.equal(b0.numEntries() + b1.numEntries(), 160);
  for (const [i, k] of keys.entries()) {
    const kg = assignToKeyGroup(normalizeKey(k), 128);
    check(b0, i, k, kg <= r0.end);
    check(b1, i, k, kg > r0.end);
  }
});

function canonical(s: HeapStateSnapshot): unknown {
  return s.states
    .map((x) => ({ name: x.name, kind: x.kind, entries: x.entries.map((e) => JSON.stringify(e)).sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

test('savepoints move between backends: heap → lsm → heap, with rescaling', async () => {
  const h = heap();
  const keys = fill(h, 200);
  const hs = h.canonicalSnapshot();
  // heap → two lsm subtasks
  const ranges = [keyGroupRangeForSubtask(128, 2, 0), keyGroupRangeForSubtask(128, 2, 1)];
  const lsms = [await backend(), await backend()];
  for (const [i, l] of lsms.entries()) await l.restore(hs, ranges[i]);
  assert.equal(lsms[0]!.numEntries() + lsms[1]!.numEntries(), h.numEntries());
  // change a key in the lsm subtasks, then lsm (2 subtasks) → heap (3 subtasks)
  for (const l of lsms) {
    const v = l.getState(new ValueStateDescriptor<number>('v'));
    l.setCurrentKey('key-1');
    if (v.value() !== undefined) v.update(1001);
  }
  const snaps = await Promise.all(lsms.map((l) => l.canonicalSnapshot()));
  const heaps = [0, 1, 2].map(() => heap());
  for (const [i, hh] of heaps.entries()) for (const s of snaps) hh.restore(s, keyGroupRangeForSubtask(128, 3, i));
  assert.equal(
    heaps.reduce((n, hh) => n + hh.numEntries(), 0),
    h.numEntries(),
  );
  for (const [i, k] of keys.entries()) {
    const owner = heaps.find((_, s) => {
      const r = keyGroupRangeForSubtask(128, 3, s);
      const kg = assignToKeyGroup(normalizeKey(k), 128);
      return kg >= r.start && kg <= r.end;
    })!;
    if (i === 1) {
      owner.setCurrentKey(k);
      assert.equal(owner.getState(new ValueStateDescriptor<number>('v')).value(), 1001);
    } else check(owner, i, k, true);
  }
});

test('dispose drops everything and removes the directory', async () => {
  const b = await backend();
  const s = b.getState(new ValueStateDescriptor<number>('v'));
  b.setCurrentKey('k');
  s.update(1);
  await b.flush();
  await b.dispose();
  assert.equal(b.numEntries(), 0);
  assert.equal(readdirSync(join(root, 'work')).includes(b.dir.split('/').pop()!), false);
  await assert.rejects(() => b.flush(), /disposed/);
});

// ---------------------------------------------------------------- lsm specifics

test('key encoding: prefix-free, ordered by key group, and round trips', () => {
  const keys: unknown[] = ['', 'a', 'ab', 'é', '\ud800', 0, -0, 1.5, NaN, 10n, true, false, null, undefined, { a: 1 }];
  const enc = keys.map((k) => encodeKey(normalizeKey(k)));
  const distinct = new Set(enc);
  assert.equal(distinct.size, keys.length - 1, '0 and -0 are one key');
  for (const a of distinct) for (const b of distinct) assert.equal(a !== b && b.startsWith(a), false, 'prefix-free');
  for (const [i, a] of enc.entries()) {
    const [back, end] = decodeKey(a, 0);
    assert.equal(end, a.length);
    assert.deepEqual(back, Object.is(keys[i], -0) ? 0 : normalizeKey(keys[i]));
  }
  assert.equal(encodeKey(0), encodeKey(-0));
  const a = keyPrefix(3, 'zzz') + '\x00\x01s\x00';
  const b = keyPrefix(4, 'a') + '\x00\x01s\x00';
  assert.ok(Buffer.compare(toBuf(a), toBuf(b)) < 0, 'key group first');
  assert.deepEqual(decodeEntryKey(fromBuf(toBuf(a))), { keyGroup: 3, nk: 'zzz', prefixLength: 7, stateId: 1, namespace: '' });
});

test('a key that was not prefetched is read synchronously (or throws with onMiss: throw)', async () => {
  const b = await backend({ cacheKeys: 0 });
  const v = b.getState(new ValueStateDescriptor<number>('v'));
  const w = b.getPartitionedState(new ListStateDescriptor<number>('w'));
  for (let i = 0; i < 50; i++) {
    b.setCurrentKey(i);
    v.update(i);
    w.setNamespace(`ns${i % 3}`);
    w.state.add(i);
  }
  await evictAll(b);
  const before = b.stats().syncReads;
  for (let i = 0; i < 50; i++) {
    b.setCurrentKey(i);
    assert.equal(v.value(), i);
    w.setNamespace(`ns${i % 3}`);
    assert.deepEqual(w.state.get(), [i]);
    w.setNamespace('other');
    assert.deepEqual(w.state.get(), []);
  }
  assert.equal(b.stats().syncReads - before, 150);
  // prefetched keys read nothing more
  await evictAll(b);
  await b.prefetch(Array.from({ length: 50 }, (_, i) => i));
  const s0 = b.stats().syncReads;
  for (let i = 0; i < 50; i++) {
    b.setCurrentKey(i);
    assert.equal(v.value(), i);
    w.setNamespace('ns-unseen');
    assert.deepEqual(w.state.get(), []);
  }
  assert.equal(b.stats().syncReads, s0);

  const strict = await backend({ onMiss: 'throw' });
  const sv = strict.getState(new ValueStateDescriptor<number>('v'));
  await strict.restore(await b.canonicalSnapshot());
  strict.setCurrentKey(7);
  assert.throws(() => sv.value(), /prefetch/);
  await strict.prefetch([7]);
  strict.setCurrentKey(7);
  assert.equal(sv.value(), 7);
});

test('snapshot() and checkpointFiles() hold the state as of the call, while processing goes on', async () => {
  const b = await backend();
  const v = b.getState(new ValueStateDescriptor<number>('v'));
  b.setCurrentKey('k');
  v.update(1);
  const pSnap = b.canonicalSnapshot();
  const pFiles = b.checkpointFiles(1, join(root, 'consistent'), new Set());
  v.update(2); // after the calls, before they complete
  const snap = await pSnap;
  assert.deepEqual(snap.states[0]!.entries[0]![3], 1);
  const files = await pFiles;
  assert.equal(v.value(), 2);
  const r = await backend();
  await r.restoreFromFiles([join(root, 'consistent', files.files[0]!)]);
  r.setCurrentKey('k');
  assert.equal(r.getState(new ValueStateDescriptor<number>('v')).value(), 1, 'the update after the call is not in the checkpoint');
  const r2 = await backend();
  await r2.restore(snap);
  r2.setCurrentKey('k');
  assert.equal(r2.getState(new ValueStateDescriptor<number>('v')).value(), 1);
});

test('the live database is never read through a LevelDB snapshot or cleared by LevelDB while it is written (google/leveldb#320)', async () => {
  // LevelDB 1.20, which classic-level ships, can return an older value of a key after compactions
  // ran while a snapshot was held and the key was written again. Canonical snapshots, key listings
  // and restores must therefore read hard-linked images and delete without LevelDB's clear().
  const b = await backend({ cacheKeys: 500, flushThreshold: 300 });
  const live = join(b.dir, 'db');
  const proto = ClassicLevel.prototype as unknown as { snapshot: (...a: unknown[]) => unknown; clear: (...a: unknown[]) => unknown };
  const { snapshot, clear } = proto;
  const onLive: string[] = [];
  proto.snapshot = function (this: ClassicLevel, ...a: unknown[]) {
    if (this.location === live) onLive.push('snapshot');
    return snapshot.apply(this, a);
  };
  proto.clear = function (this: ClassicLevel, ...a: unknown[]) {
    if (this.location === live) onLive.push('clear');
    return clear.apply(this, a);
  };
  try {
    const v = b.getState(new ValueStateDescriptor<number>('v'));
    const expected = new Map<string, number>();
    const reads: Promise<unknown>[] = [];
    for (let round = 0; round < 20; round++) {
      const keys = Array.from({ length: 400 }, (_, i) => `k${(round * 137 + i * 7) % 3000}`);
      await b.prefetch(keys);
      for (const k of keys) {
        b.setCurrentKey(k);
        assert.equal(v.value(), expected.get(k), `key ${k} in round ${round}`);
        const n = (expected.get(k) ?? 0) + 1;
        v.update(n);
        expected.set(k, n);
      }
      if (round % 5 === 0) reads.push(b.canonicalSnapshot());
      if (round % 5 === 1) reads.push(b.prepareKeys('v'));
      if (round % 5 === 2) reads.push(b.forEachKeyBatch('v', VOID_NAMESPACE, 500, () => undefined));
    }
    const firstSnapshot = (await reads[0]) as HeapStateSnapshot;
    assert.equal(firstSnapshot.states[0]!.entries.length, 400, 'the first snapshot holds the state of its call');
    await Promise.all(reads);
    const last = await b.canonicalSnapshot();
    assert.equal(last.states[0]!.entries.length, expected.size);
    for (const [, key, , value] of last.states[0]!.entries) assert.equal(value, expected.get(key as string));
    // a restore into part of the key groups deletes the others without clear()
    const files = await b.checkpointFiles(1, join(root, 'no-snapshot'), new Set());
    const r = await backend();
    const rLive = join(r.dir, 'db');
    proto.snapshot = function (this: ClassicLevel, ...a: unknown[]) {
      if (this.location === live || this.location === rLive) onLive.push('snapshot');
      return snapshot.apply(this, a);
    };
    proto.clear = function (this: ClassicLevel, ...a: unknown[]) {
      if (this.location === live || this.location === rLive) onLive.push('clear');
      return clear.apply(this, a);
    };
    const range = keyGroupRangeForSubtask(128, 2, 0);
    await r.restoreFromFiles([join(root, 'no-snapshot', files.files[0]!)], { range });
    const restored = await r.canonicalSnapshot();
    const inRange = [...expected].filter(([k]) => {
      const kg = assignToKeyGroup(normalizeKey(k), 128);
      return kg >= range.start && kg <= range.end;
    });
    assert.equal(restored.states[0]!.entries.length, inRange.length);
    assert.equal(r.numEntries(), inRange.length);
  } finally {
    proto.snapshot = snapshot;
    proto.clear = clear;
  }
  assert.deepEqual(onLive, []);
  assert.deepEqual(readdirSync(b.dir), ['db'], 'the images are removed');
});

test('forEachKeyBatch visits every key of a state in prefetched batches', async () => {
  const b = await backend({ onMiss: 'throw', cacheKeys: 100 });
  const v = b.getState(new ValueStateDescriptor<number>('v'));
  const other = b.getState(new ValueStateDescriptor<number>('other'));
  await b.prefetch(Array.from({ length: 2000 }, (_, i) => `k${i}`));
  for (let i = 0; i < 2000; i++) {
    b.setCurrentKey(`k${i}`);
    v.update(i);
    if (i % 2) other.update(i);
  }
  await b.flush();
  let sum = 0;
  let n = 0;
  await b.forEachKeyBatch('other', VOID_NAMESPACE, 100, (keys) => {
    assert.ok(keys.length <= 100);
    for (const k of keys) {
      b.setCurrentKey(k);
      sum += v.value()!;
      n++;
    }
  });
  assert.equal(n, 1000);
  assert.equal(sum, 1000 * 1000);
});

test('prefetch and eviction keep memory bounded: 1 M keys in buffers of 1k', async (t) => {
  const cacheKeys = 5000;
  const flushThreshold = 4096;
  const b = await backend({ cacheKeys, flushThreshold, onMiss: 'throw' });
  const v = b.getState(new ValueStateDescriptor<number>('count'));
  const N = 1_000_000;
  const BUF = 1000;
  const bound = cacheKeys + 2 * BUF + flushThreshold;
  let maxCached = 0;
  const run = async (round: number, count: number, keyOf: (i: number) => number): Promise<number> => {
    const t0 = performance.now();
    const buf = new Array<number>(BUF);
    for (let i = 0; i < count; i += BUF) {
      for (let j = 0; j < BUF; j++) buf[j] = keyOf(i + j);
      await b.prefetch(buf);
      for (const k of buf) {
        b.setCurrentKey(k);
        v.update((v.value() ?? 0) + 1);
      }
      maxCached = Math.max(maxCached, b.stats().cachedKeys);
      assert.ok(b.stats().cachedKeys <= bound, `round ${round}: ${b.stats().cachedKeys} keys cached`);
    }
    await b.flush();
    return count / ((performance.now() - t0) / 1000);
  };
  const inserts = await run(1, N, (i) => i);
  // then 200k of them again in a scattered order: every access is to a key on disk, not in the cache
  const M = 200_000;
  const updates = await run(2, M, (i) => (i * 7919) % N);
  t.diagnostic(
    `value updates/s with prefetch in buffers of 1k: ${Math.round(inserts)} (1 M new keys), ${Math.round(updates)} (existing keys, scattered); max cached keys ${maxCached}`,
  );
  assert.equal(b.numEntries(), N);
  await evictAll(b);
  const sample = [0, 7919, 4242, 999_999];
  await b.prefetch(sample);
  for (const k of sample) {
    b.setCurrentKey(k);
    assert.equal(v.value(), k === 0 || k === 7919 ? 2 : 1);
  }
  await b.dispose();
});

test('incremental checkpoints upload only new table files; restore from them, also rescaled', async (t) => {
  const dir = join(root, 'checkpoints');
  const b = await backend({ writeBufferSize: 1 << 20, maxFileSize: 1 << 20 });
  const v = b.getState(new ValueStateDescriptor<{ n: number; pad: string }>('v'));
  const l = b.getPartitionedState(new ListStateDescriptor<number>('l'));
  const N = 100_000;
  for (let i = 0; i < N; i++) {
    b.setCurrentKey(`key-${i}`);
    v.update({ n: i, pad: 'x'.repeat(20) });
    if (i % 10 === 0) {
      l.setNamespace(`w${i % 7}`);
      l.state.add(i);
    }
  }
  await b.compact(); // settled table files, as after a while of processing (no compaction pending)
  const c1 = await b.checkpointFiles(1, dir, new Set());
  const tables1 = c1.files.filter((f) => f.endsWith('.ldb') || f.endsWith('.sst'));
  assert.ok(tables1.length >= 2, `${tables1.length} table files`);
  assert.equal(c1.uploaded.length, c1.files.length, 'the first checkpoint uploads everything');

  // a small change: 100 keys
  for (let i = 0; i < 100; i++) {
    b.setCurrentKey(`key-${i * 997}`);
    v.update({ n: -i, pad: '' });
  }
  const c2 = await b.checkpointFiles(2, dir, new Set(c1.files));
  const newTables = c2.uploaded.filter((f) => f.endsWith('.ldb') || f.endsWith('.sst'));
  t.diagnostic(
    `checkpoint 1 (full): ${c1.uploaded.length} files, ${c1.uploadedBytes} bytes; checkpoint 2 after 100 updates: ${c2.uploaded.length} files uploaded (${newTables.length} table files), ${c2.uploadedBytes} bytes of ${c2.totalBytes}`,
  );
  assert.equal(newTables.length, 1, 'one new table file: the flushed memtable');
  assert.ok(c2.uploadedBytes < c1.uploadedBytes / 20, `${c2.uploadedBytes} vs ${c1.uploadedBytes}`);
  for (const f of tables1) assert.ok(c2.files.includes(f), 'the old tables are still part of the checkpoint');

  // restore checkpoint 2 and checkpoint 1 (both still whole in the shared directory)
  const r2 = await backend();
  await r2.restoreFromFiles([join(dir, c2.files[0]!)]);
  assert.equal(r2.numEntries(), b.numEntries());
  const r1 = await backend();
  await r1.restoreFromFiles([join(dir, c1.files[0]!)]);
  for (const [r, expect] of [
    [r2, -5],
    [r1, 5 * 997],
  ] as const) {
    const rv = r.getState(new ValueStateDescriptor<{ n: number }>('v'));
    await r.prefetch([`key-${5 * 997}`, 'key-70']);
    r.setCurrentKey(`key-${5 * 997}`);
    assert.equal(rv.value()!.n, expect);
    r.setCurrentKey('key-70');
    const rl = r.getPartitionedState(new ListStateDescriptor<number>('l'));
    rl.setNamespace('w0');
    assert.deepEqual(rl.state.get(), [70]);
  }
  assert.deepEqual(canonical(await r2.canonicalSnapshot()), canonical(await b.canonicalSnapshot()));

  // the restored backend goes on checkpointing incrementally: its files keep their names
  r2.setCurrentKey('key-1');
  r2.getState(new ValueStateDescriptor<{ n: number }>('v')).update({ n: 1 });
  const c3 = await r2.checkpointFiles(3, dir, new Set(c2.files));
  // the new entry's table file, and the one the canonical snapshot above wrote its memtable to
  const c3Tables = c3.uploaded.filter((f) => f.endsWith('.ldb'));
  assert.ok(c3Tables.length >= 1 && c3Tables.length <= 2, c3Tables.join(', '));
  assert.ok(c3.files.filter((f) => c2.files.includes(f) && f.endsWith('.ldb')).length >= 1, 'files of checkpoint 2 keep their names');

  // rescaling: 1 → 2 subtasks (key-group filter), then 2 → 1 (merge)
  const halves = [keyGroupRangeForSubtask(128, 2, 0), keyGroupRangeForSubtask(128, 2, 1)];
  const parts = [await backend(), await backend()];
  for (const [i, p] of parts.entries()) await p.restoreFromFiles([join(dir, c2.files[0]!)], { range: halves[i]! });
  assert.equal(parts[0]!.numEntries() + parts[1]!.numEntries(), b.numEntries());
  const pc = await Promise.all(parts.map((p, i) => p.checkpointFiles(10 + i, join(dir, `part${i}`), new Set())));
  const merged = await backend();
  await merged.restoreFromFiles(
    pc.map((c, i) => join(dir, `part${i}`, c.files[0]!)),
    { range: { start: 0, end: 127 } },
  );
  assert.equal(merged.numEntries(), b.numEntries());
  assert.deepEqual(canonical(await merged.canonicalSnapshot()), canonical(await b.canonicalSnapshot()));
});

test('createKeyedStateBackend picks the backend (lsm once loadStateBackend loaded its module)', async () => {
  const h = createKeyedStateBackend('hashmap', { maxParallelism: 128 });
  assert.ok(h instanceof HeapKeyedStateBackend);
  await loadStateBackend('lsm');
  const l = createKeyedStateBackend('lsm', { maxParallelism: 128, workingDir: join(root, 'work') });
  open.push(l);
  assert.ok(l instanceof LsmKeyedStateBackend);
  await l.open();
  assert.throws(() => createKeyedStateBackend('nope' as 'lsm', { maxParallelism: 128 }), /Unknown state backend/);
});
