/**
 * The structures behind heap timers, shaped by what window operators do: many keys share few
 * timestamps (every key's window ends at the same instant) and most keys hold one timer.
 *
 * TimerQueue: timers grouped in one bucket per timestamp, the buckets in a binary heap by
 * timestamp. Registering a timer at a timestamp that already has a bucket is an array push, firing
 * walks a bucket in registration order (the batch of one watermark step), and the heap only moves
 * when a timestamp appears or is done. Deletion leaves a hole that firing skips.
 *
 * TimerIndex: the timers of one service by key, then namespace and timestamp, for deduplication and
 * deletion: a key's single timer is held as is, a few in a small array, many in nested maps.
 */
import type { NormalizedKey } from '../state/keyed-state-backend.js';

export interface QueuedTimer {
  readonly timestamp: number;
  /** Position in its bucket; -1 when not queued. */
  bucketIndex: number;
}

class Bucket<T extends QueuedTimer> {
  heapIndex = -1;
  readonly entries: (T | undefined)[] = [];
  /** Entries before it have fired or were deleted. */
  cursor = 0;
  live = 0;
  constructor(readonly timestamp: number) {}
}

/** Buckets with more holes than this share of their length are compacted. */
const COMPACT_MIN = 32;

export class TimerQueue<T extends QueuedTimer> {
  private readonly heap: Bucket<T>[] = [];
  private readonly byTimestamp = new Map<number, Bucket<T>>();
  size = 0;

  push(e: T): void {
    let b = this.byTimestamp.get(e.timestamp);
    if (b === undefined) {
      b = new Bucket<T>(e.timestamp);
      this.byTimestamp.set(e.timestamp, b);
      b.heapIndex = this.heap.length;
      this.heap.push(b);
      this.up(b.heapIndex);
    }
    e.bucketIndex = b.entries.length;
    b.entries.push(e);
    b.live++;
    this.size++;
  }

  /** The earliest timer (the first registered of the earliest timestamp). */
  peek(): T | undefined {
    const b = this.heap[0];
    if (b === undefined) return undefined;
    const es = b.entries;
    while (es[b.cursor] === undefined) b.cursor++;
    return es[b.cursor];
  }

  poll(): T | undefined {
    const e = this.peek();
    if (e !== undefined) this.remove(e);
    return e;
  }

  remove(e: T): void {
    const i = e.bucketIndex;
    if (i < 0) return;
    const b = this.byTimestamp.get(e.timestamp);
    if (b === undefined || b.entries[i] !== e) return;
    b.entries[i] = undefined;
    e.bucketIndex = -1;
    b.live--;
    this.size--;
    if (b.live === 0) this.removeBucket(b);
    else if (i === b.cursor) b.cursor++;
    else if (b.entries.length >= COMPACT_MIN && b.live * 4 < b.entries.length - b.cursor) this.compact(b);
  }

  /** Live timers in no particular order. */
  *values(): IterableIterator<T> {
    for (const b of this.heap) for (let i = b.cursor; i < b.entries.length; i++) if (b.entries[i] !== undefined) yield b.entries[i]!;
  }

  /** The latest timestamp queued, or -Infinity. */
  maxTimestamp(): number {
    let max = Number.NEGATIVE_INFINITY;
    for (const b of this.heap) if (b.timestamp > max) max = b.timestamp;
    return max;
  }

  /**
   * Calls `fn` with timers whose timestamp is <= `upTo` (in no particular order), visiting only
   * those buckets and their children in the heap. Stops when `fn` returns false.
   */
  visitUpTo(upTo: number, fn: (e: T) => boolean): void {
    const h = this.heap;
    const stack: number[] = h.length > 0 ? [0] : [];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const b = h[i]!;
      if (b.timestamp > upTo) continue;
      for (let j = b.cursor; j < b.entries.length; j++) {
        const e = b.entries[j];
        if (e !== undefined && !fn(e)) return;
      }
      const l = 2 * i + 1;
      if (l < h.length) stack.push(l);
      if (l + 1 < h.length) stack.push(l + 1);
    }
  }

  private compact(b: Bucket<T>): void {
    const es = b.entries;
    let w = 0;
    for (let r = b.cursor; r < es.length; r++) {
      const e = es[r];
      if (e === undefined) continue;
      e.bucketIndex = w;
      es[w++] = e;
    }
    es.length = w;
    b.cursor = 0;
  }

  private removeBucket(b: Bucket<T>): void {
    this.byTimestamp.delete(b.timestamp);
    const h = this.heap;
    const i = b.heapIndex;
    b.heapIndex = -1;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      last.heapIndex = i;
      this.down(i);
      if (last.heapIndex === i) this.up(i);
    }
  }

  private up(i: number): void {
    const h = this.heap;
    const b = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pb = h[p]!;
      if (pb.timestamp <= b.timestamp) break;
      h[i] = pb;
      pb.heapIndex = i;
      i = p;
    }
    h[i] = b;
    b.heapIndex = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const b = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.timestamp < h[l]!.timestamp ? r : l;
      const cb = h[c]!;
      if (cb.timestamp >= b.timestamp) break;
      h[i] = cb;
      cb.heapIndex = i;
      i = c;
    }
    h[i] = b;
    b.heapIndex = i;
  }
}

export interface IndexedTimer {
  readonly timestamp: number;
  readonly nk: NormalizedKey;
  readonly nsKey: string;
}

/** A key's timers: one, a few (array), or many (namespace -> timestamp -> timer). */
type KeyTimers<T> = T | T[] | Map<string, Map<number, T>>;

/** Keys with more timers than this keep them in nested maps. */
const ARRAY_MAX = 8;

export class TimerIndex<T extends IndexedTimer> {
  private readonly byKey = new Map<NormalizedKey, KeyTimers<T>>();
  size = 0;

  get(nk: NormalizedKey, nsKey: string, ts: number): T | undefined {
    const v = this.byKey.get(nk);
    if (v === undefined) return undefined;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const e = v[i]!;
        if (e.timestamp === ts && e.nsKey === nsKey) return e;
      }
      return undefined;
    }
    if (v instanceof Map) return v.get(nsKey)?.get(ts);
    return v.timestamp === ts && v.nsKey === nsKey ? v : undefined;
  }

  /** Adds `e`, which get() did not find. */
  put(e: T): void {
    this.size++;
    const v = this.byKey.get(e.nk);
    if (v === undefined) this.byKey.set(e.nk, e);
    else if (Array.isArray(v)) {
      if (v.length < ARRAY_MAX) v.push(e);
      else {
        const m = new Map<string, Map<number, T>>();
        for (const x of v) TimerIndex.putInMap(m, x);
        TimerIndex.putInMap(m, e);
        this.byKey.set(e.nk, m);
      }
    } else if (v instanceof Map) TimerIndex.putInMap(v, e);
    else this.byKey.set(e.nk, [v, e]);
  }

  delete(e: T): void {
    const v = this.byKey.get(e.nk);
    if (v === undefined) return;
    if (Array.isArray(v)) {
      const i = v.indexOf(e);
      if (i < 0) return;
      v.splice(i, 1);
      if (v.length === 1) this.byKey.set(e.nk, v[0]!);
    } else if (v instanceof Map) {
      const byTs = v.get(e.nsKey);
      if (byTs === undefined || byTs.get(e.timestamp) !== e) return;
      byTs.delete(e.timestamp);
      if (byTs.size === 0) {
        v.delete(e.nsKey);
        if (v.size === 0) this.byKey.delete(e.nk);
      }
    } else if (v === e) this.byKey.delete(e.nk);
    else return;
    this.size--;
  }

  *values(): IterableIterator<T> {
    for (const v of this.byKey.values()) {
      if (Array.isArray(v)) yield* v;
      else if (v instanceof Map) for (const byTs of v.values()) yield* byTs.values();
      else yield v;
    }
  }

  private static putInMap<T extends IndexedTimer>(m: Map<string, Map<number, T>>, e: T): void {
    let byTs = m.get(e.nsKey);
    if (byTs === undefined) {
      byTs = new Map();
      m.set(e.nsKey, byTs);
    }
    byTs.set(e.timestamp, e);
  }
}
