import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerIndex, TimerQueue } from '../../src/runtime/operators/timer-queue.js';

class T {
  bucketIndex = -1;
  constructor(
    readonly timestamp: number,
    readonly nk: string,
    readonly nsKey: string,
  ) {}
}

test('TimerQueue: timestamp order, registration order within a timestamp, deletions skipped, compaction', () => {
  const q = new TimerQueue<T>();
  const all: T[] = [];
  for (let i = 0; i < 200; i++) {
    const t = new T([30, 10, 20][i % 3]!, `k${i}`, 'ns');
    all.push(t);
    q.push(t);
  }
  assert.equal(q.size, 200);
  assert.equal(q.maxTimestamp(), 30);
  // delete most of the timestamp-10 bucket (holes, then compaction) and all of 20
  const removed = new Set<T>();
  for (const t of all) if ((t.timestamp === 10 && Number(t.nk.slice(1)) % 5 !== 1) || t.timestamp === 20) removed.add(t);
  for (const t of removed) q.remove(t);
  for (const t of removed) q.remove(t); // twice: no effect
  assert.equal(q.size, 200 - removed.size);
  let seen = 0;
  q.visitUpTo(10, () => (seen++, true));
  assert.equal(seen, all.filter((t) => t.timestamp === 10 && !removed.has(t)).length);
  const fired: T[] = [];
  for (let t = q.poll(); t !== undefined; t = q.poll()) fired.push(t);
  const expected = all
    .filter((t) => !removed.has(t))
    .sort((a, b) => a.timestamp - b.timestamp || Number(a.nk.slice(1)) - Number(b.nk.slice(1)));
  assert.deepEqual(fired, expected);
  assert.equal(q.size, 0);
  assert.equal(q.peek(), undefined);
  // a timer pushed at a timestamp whose bucket just emptied starts a new bucket
  const again = new T(10, 'x', 'ns');
  q.push(again);
  assert.equal(q.peek(), again);
});

test('TimerQueue: a timer added during firing at the same timestamp fires in the same pass; an earlier one first', () => {
  const q = new TimerQueue<T>();
  const a = new T(5, 'a', 'n');
  const b = new T(5, 'b', 'n');
  q.push(a);
  q.push(b);
  assert.equal(q.poll(), a);
  const c = new T(5, 'c', 'n');
  const early = new T(3, 'e', 'n');
  q.push(c);
  q.push(early);
  assert.deepEqual([q.poll(), q.poll(), q.poll(), q.poll()], [early, b, c, undefined]);
});

test('TimerIndex: one timer, a few, many per key; lookups and deletes in each shape', () => {
  const ix = new TimerIndex<T>();
  const ts: T[] = [];
  for (let i = 0; i < 20; i++) {
    const t = new T(i, 'k', `ns${i % 4}`);
    assert.equal(ix.get('k', t.nsKey, t.timestamp), undefined);
    ix.put(t);
    ts.push(t);
    for (const u of ts) assert.equal(ix.get('k', u.nsKey, u.timestamp), u, `shape with ${ts.length} timers`);
    assert.equal(ix.get('k', 'ns9', i), undefined);
  }
  ix.put(new T(1, 'other', 'ns1'));
  assert.equal(ix.size, 21);
  assert.equal([...ix.values()].length, 21);
  for (const t of ts) {
    ix.delete(t);
    ix.delete(t);
    assert.equal(ix.get('k', t.nsKey, t.timestamp), undefined);
  }
  assert.equal(ix.size, 1);
  const few = [new T(1, 'f', 'a'), new T(2, 'f', 'a'), new T(1, 'f', 'b')];
  for (const t of few) ix.put(t);
  ix.delete(few[1]!);
  ix.delete(few[0]!);
  assert.equal(ix.get('f', 'b', 1), few[2]);
  ix.delete(few[2]!);
  assert.deepEqual(
    [...ix.values()].map((t) => t.nk),
    ['other'],
  );
});
