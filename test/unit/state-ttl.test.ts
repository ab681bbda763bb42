/**
 * State TTL on both backends (hashmap and lsm) with an injected clock: every state kind expires,
 * OnCreateAndWrite and OnReadAndWrite, NeverReturnExpired and ReturnExpiredIfNotCleanedUp,
 * cleanupFullSnapshot (savepoint entries), cleanupIncrementally (heap), and bad configurations.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type StateDescriptor,
} from '../../src/api/state.js';
import type { AggregateFunction } from '../../src/api/functions.js';
import { StateTtlConfig } from '../../src/api/state-ttl.js';
import { HeapKeyedStateBackend } from '../../src/runtime/state/heap-keyed-state-backend.js';
import type { HeapStateSnapshot, KeyedStateBackend } from '../../src/runtime/state/keyed-state-backend.js';
import { LsmKeyedStateBackend } from '../../src/runtime/state/lsm/backend.js';
import { decodeEntryKey, originalKey } from '../../src/runtime/state/lsm/key-codec.js';
import { packr } from '../../src/runtime/state/lsm/tables.js';
import { WeirError } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'weir-ttl-test-'));
const opened: KeyedStateBackend[] = [];
after(async () => {
  await Promise.all(opened.map((b) => b.dispose()));
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
async function backendOf(kind: 'hashmap' | 'lsm'): Promise<KeyedStateBackend> {
  const b: KeyedStateBackend =
    kind === 'hashmap'
      ? new HeapKeyedStateBackend({ maxParallelism: 128, operatorName: 'op' })
      : new LsmKeyedStateBackend({ maxParallelism: 128, operatorName: 'op', workingDir: join(root, `lsm-${n++}`) });
  await b.open?.();
  opened.push(b);
  return b;
}

/** A clock the test moves. */
function clock(): { now: number; provider: () => number } {
  const c = { now: 1000, provider: (): number => c.now };
  return c;
}

function ttl<D extends StateDescriptor>(d: D, config: StateTtlConfig): D {
  d.enableTimeToLive(config);
  return d;
}

async function keys(b: KeyedStateBackend, ...ks: unknown[]): Promise<void> {
  if (b.prefetch) await b.prefetch(ks);
}

for (const kind of ['hashmap', 'lsm'] as const) {
  test(`${kind}: every state kind expires after its TTL (OnCreateAndWrite, NeverReturnExpired)`, async () => {
    const b = await backendOf(kind);
    const c = clock();
    const cfg = StateTtlConfig.newBuilder(100).setTtlTimeProvider(c.provider).build();
    const v = b.getState(ttl(new ValueStateDescriptor<number>('v', -1), cfg));
    const l = b.getState(ttl(new ListStateDescriptor<number>('l'), cfg));
    const m = b.getState(ttl(new MapStateDescriptor<string, number>('m'), cfg));
    const r = b.getState(ttl(new ReducingStateDescriptor<number>('r', (x, y) => x + y), cfg));
    const a = b.getState(
      ttl(
        new AggregatingStateDescriptor<number, { n: number }, number>('a', {
          createAccumulator: () => ({ n: 0 }),
          add: (x, acc) => ({ n: acc.n + x }),
          getResult: (acc) => acc.n,
          merge: (x, y) => ({ n: x.n + y.n }),
        }),
        cfg,
      ),
    );
    await keys(b, 'k');
    b.setCurrentKey('k');
    v.update(1);
    l.add(1);
    m.put('x', 1);
    r.add(1);
    a.add(1);
    c.now += 60;
    l.add(2);
    m.put('y', 2);
    r.add(2);
    a.add(2);
    assert.equal(v.value(), 1);
    assert.deepEqual(l.get(), [1, 2]);
    assert.deepEqual(m.entries(), [
      ['x', 1],
      ['y', 2],
    ]);
    assert.equal(r.get(), 3);
    assert.equal(a.get(), 3);
    c.now += 50; // 110 after the first writes, 50 after the second
    assert.equal(v.value(), -1, 'expired value: the default');
    assert.deepEqual(l.get(), [2], 'the first element expired');
    assert.equal(m.get('x'), undefined);
    assert.equal(m.contains('y'), true);
    assert.deepEqual(m.keys(), ['y']);
    assert.equal(r.get(), 3, 'reduced value stamped at its last add');
    c.now += 100;
    assert.deepEqual(l.get(), []);
    assert.equal(m.isEmpty(), true);
    assert.equal(r.get(), undefined);
    assert.equal(a.get(), undefined);
    r.add(5);
    assert.equal(r.get(), 5, 'an expired value is not combined with a new one');
  });

  test(`${kind}: OnReadAndWrite extends the TTL on reads; ReturnExpiredIfNotCleanedUp returns expired values`, async () => {
    const b = await backendOf(kind);
    const c = clock();
    const onRead = StateTtlConfig.newBuilder('100ms').updateTtlOnReadAndWrite().setTtlTimeProvider(c.provider).build();
    const returning = StateTtlConfig.newBuilder(100)
      .setStateVisibility(StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)
      .setTtlTimeProvider(c.provider)
      .build();
    const v = b.getState(ttl(new ValueStateDescriptor<string>('read'), onRead));
    const m = b.getState(ttl(new MapStateDescriptor<string, number>('readmap'), onRead));
    const w = b.getState(ttl(new ValueStateDescriptor<string>('returning'), returning));
    await keys(b, 1);
    b.setCurrentKey(1);
    v.update('a');
    m.put('x', 1);
    w.update('old');
    for (let i = 0; i < 5; i++) {
      c.now += 80;
      assert.equal(v.value(), 'a', `read ${i} within the TTL of the previous read`);
      assert.equal(m.get('x'), 1);
    }
    assert.equal(w.value(), 'old', 'expired but not cleaned up: returned');
    c.now += 101;
    assert.equal(v.value(), undefined);
    assert.equal(m.get('x'), undefined);
  });

  test(`${kind}: OnReadAndWrite reads extend the TTL of aggregating state without changing its accumulator`, async () => {
    const b = await backendOf(kind);
    const c = clock();
    const onRead = StateTtlConfig.newBuilder(100).updateTtlOnReadAndWrite().setTtlTimeProvider(c.provider).build();
    const onWrite = StateTtlConfig.newBuilder(100).setTtlTimeProvider(c.provider).build();
    const avg = (): AggregateFunction<number, [number, number], number> => ({
      createAccumulator: () => [0, 0],
      add: (v, [sum, n]) => [sum + v, n + 1],
      getResult: ([sum, n]) => sum / n,
      merge: (a, z) => [a[0] + z[0], a[1] + z[1]],
    });
    const read = b.getState(ttl(new AggregatingStateDescriptor('avgRead', avg()), onRead));
    const written = b.getState(ttl(new AggregatingStateDescriptor('avgWrite', avg()), onWrite));
    await keys(b, 'k');
    b.setCurrentKey('k');
    read.add(2);
    read.add(4);
    written.add(2);
    for (let i = 0; i < 5; i++) {
      c.now += 80;
      assert.equal(read.get(), 3, `read ${i} within the TTL of the previous read`);
    }
    assert.equal(written.get(), undefined, 'OnCreateAndWrite: reads do not extend the TTL');
    read.add(6);
    assert.equal(read.get(), 4, 'the accumulator was kept through the reads');
    c.now += 101;
    assert.equal(read.get(), undefined);
  });

  test(`${kind}: cleanupFullSnapshot leaves expired values out of savepoints`, async () => {
    const b = await backendOf(kind);
    const c = clock();
    const cfg = StateTtlConfig.newBuilder(100).cleanupFullSnapshot().setTtlTimeProvider(c.provider).build();
    const kept = StateTtlConfig.newBuilder(100).setTtlTimeProvider(c.provider).build();
    const v = b.getState(ttl(new ValueStateDescriptor<number>('v'), cfg));
    const l = b.getState(ttl(new ListStateDescriptor<number>('l'), cfg));
    const k = b.getState(ttl(new ValueStateDescriptor<number>('kept'), kept));
    await keys(b, 'old', 'new');
    b.setCurrentKey('old');
    v.update(1);
    l.add(1);
    k.update(1);
    c.now += 60;
    b.setCurrentKey('new');
    v.update(2);
    l.add(2);
    b.setCurrentKey('old');
    l.add(3);
    c.now += 50;
    const data = await (b as unknown as { canonicalSnapshot(): Promise<HeapStateSnapshot> | HeapStateSnapshot }).canonicalSnapshot();
    const byName = new Map(data.states.map((s) => [s.name, s.entries.map((e) => [e[1], e[3]])]));
    assert.deepEqual(byName.get('v'), [['new', [2, 1060]]]);
    assert.deepEqual(
      (byName.get('l') ?? []).sort(),
      [
        ['new', [[2, 1060]]],
        ['old', [[3, 1060]]],
      ].sort(),
    );
    assert.deepEqual(byName.get('kept'), [['old', [1, 1000]]], 'without cleanupFullSnapshot the expired value stays');
  });
}

test('hashmap: cleanupIncrementally removes expired entries of other keys as state is accessed', async () => {
  const b = await backendOf('hashmap');
  const c = clock();
  const cfg = StateTtlConfig.newBuilder(100).cleanupIncrementally(10, true).setTtlTimeProvider(c.provider).build();
  const v = b.getState(ttl(new ValueStateDescriptor<number>('v'), cfg));
  for (let k = 0; k < 30; k++) {
    b.setCurrentKey(k);
    v.update(k);
  }
  assert.equal(b.numEntries(), 30);
  c.now += 200;
  // Every setCurrentKey (a record) and every access checks ten more keys.
  for (let i = 0; i < 3; i++) b.setCurrentKey(100 + i);
  assert.equal(b.numEntries(), 0, 'all expired entries were removed without being read');
  b.setCurrentKey(5);
  assert.equal(v.value(), undefined);
});

/** Every stored entry of an lsm backend's database (state name, key, value as stored), read from LevelDB itself. */
async function rawEntries(b: LsmKeyedStateBackend): Promise<[string, unknown, unknown][]> {
  const internals = b as unknown as {
    store: { db: { iterator(o: object): { all(): Promise<[Buffer, Buffer][]> } } };
    lsmTables: { byId: Map<number, { name: string }> };
  };
  const out: [string, unknown, unknown][] = [];
  for (const [k, v] of await internals.store.db.iterator({ lt: Buffer.from('\xff\xff', 'latin1') }).all()) {
    const d = decodeEntryKey(k.toString('latin1'));
    out.push([internals.lsmTables.byId.get(d.stateId)!.name, originalKey(d.nk), packr.unpack(v)]);
  }
  return out;
}

test('lsm: cleanupInRocksdbCompactFilter drops expired values from the store when it compacts', async () => {
  const b = (await backendOf('lsm')) as LsmKeyedStateBackend;
  const c = clock();
  const cfg = StateTtlConfig.newBuilder(100).cleanupInRocksdbCompactFilter(1).setTtlTimeProvider(c.provider).build();
  const kept = StateTtlConfig.newBuilder(100).setTtlTimeProvider(c.provider).build();
  const v = b.getState(ttl(new ValueStateDescriptor<number>('v'), cfg));
  const l = b.getState(ttl(new ListStateDescriptor<number>('l'), cfg));
  const m = b.getState(ttl(new MapStateDescriptor<string, number>('m'), cfg));
  const k = b.getState(ttl(new ValueStateDescriptor<number>('kept'), kept));
  const ks = Array.from({ length: 20 }, (_, i) => i);
  await keys(b, ...ks);
  for (const key of ks) {
    b.setCurrentKey(key);
    v.update(key);
    l.add(key);
    m.put('old', key);
    k.update(key);
  }
  c.now += 60;
  for (const key of [3, 7]) {
    b.setCurrentKey(key);
    l.add(100 + key);
    m.put('new', 100 + key);
  }
  b.setCurrentKey('nobody');
  await b.flush();
  assert.equal((await rawEntries(b)).length, 80, 'every value is in the store before the compaction');
  c.now += 50; // the first writes are expired, the later ones not
  await b.compact();
  const raw = await rawEntries(b);
  const byState = (name: string): [unknown, unknown][] =>
    raw
      .filter(([s]) => s === name)
      .map(([, key, value]): [unknown, unknown] => [key, value])
      .sort((a, z) => Number(a[0]) - Number(z[0]));
  assert.deepEqual(byState('v'), [], 'expired values were dropped');
  assert.deepEqual(byState('l'), [
    [3, [[103, 1060]]],
    [7, [[107, 1060]]],
  ]);
  assert.deepEqual(byState('m'), [
    [3, [['new', [103, 1060]]]],
    [7, [['new', [107, 1060]]]],
  ]);
  assert.equal(byState('kept').length, 20, 'a state without the compaction filter keeps its expired values until read');
  assert.equal(b.numEntries(), 24);
  await keys(b, 3, 5);
  b.setCurrentKey(3);
  assert.deepEqual(l.get(), [103]);
  assert.equal(m.get('new'), 103);
  assert.equal(m.get('old'), undefined);
  b.setCurrentKey(5);
  assert.equal(v.value(), undefined);
  assert.deepEqual(l.get(), []);
});

test('lsm: in a running job the compaction filter runs after each checkpoint', async () => {
  const b = (await backendOf('lsm')) as LsmKeyedStateBackend;
  const c = clock();
  const cfg = StateTtlConfig.newBuilder(100).cleanupInRocksdbCompactFilter(1).setTtlTimeProvider(c.provider).build();
  const v = b.getState(ttl(new ValueStateDescriptor<number>('v'), cfg));
  const ks = Array.from({ length: 10 }, (_, i) => i);
  await keys(b, ...ks);
  for (const key of ks) {
    b.setCurrentKey(key);
    v.update(key);
  }
  b.setCurrentKey('nobody');
  await b.flush();
  c.now += 150;
  const dir = mkdtempSync(join(tmpdir(), 'weir-ttl-chk-'));
  try {
    const chk = await b.checkpointFiles(1, dir);
    assert.ok(chk, 'the checkpoint was taken');
    await b.flush(); // queued behind the filter pass
    assert.deepEqual(
      (await rawEntries(b)).filter(([s]) => s === 'v'),
      [],
      'expired values were dropped after the checkpoint',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad TTL configurations are clear errors', () => {
  const bad = (fn: () => unknown, re: RegExp): void =>
    assert.throws(
      fn,
      (e: unknown) => e instanceof WeirError && re.test(e.message) && (e.code === 'WEIR_BAD_PIPELINE' || e.code === 'WEIR_UNSUPPORTED_API'),
    );
  bad(() => StateTtlConfig.newBuilder(0), /TTL must be > 0/);
  bad(() => StateTtlConfig.newBuilder(10).cleanupIncrementally(0), /positive cleanup size/);
  bad(() => StateTtlConfig.newBuilder(10).setUpdateType('Sometimes' as never), /unknown update type 'Sometimes'/);
  bad(() => StateTtlConfig.newBuilder(10).cleanupInRocksdbCompactFilter(0), /positive queryTimeAfterNumEntries, got 0/);
  bad(() => new ValueStateDescriptor('x').enableTimeToLive({} as never), /needs a StateTtlConfig/);
});
