/**
 * Heap timers (Flink's InternalTimeServiceManager with heap priority queues): one indexed binary
 * heap per time domain shared by all named services, so event timers fire in timestamp order
 * across services; per-service indexes (key -> namespace -> timestamp) deduplicate timers and allow O(log n) deletes.
 */
import { WeirError } from '../../errors.js';
import { MIN_WATERMARK } from '../../api/time.js';
import { assignToKeyGroup, normalizeKey } from '../../graph/key-groups.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { KeyGroupRange, NormalizedKey } from '../state/heap-keyed-state-backend.js';
import type { ProcessingTimeService } from './operator.js';
import type { InternalTimer, InternalTimerService, TimerServiceManager, Triggerable } from './timer-service.js';

/** [keyGroup, key, namespace, namespaceKey, timestamp]; namespaceKey lets a restore deduplicate before the service is registered. */
export type HeapTimerEntry = [keyGroup: number, key: unknown, namespace: unknown, namespaceKey: string, timestamp: number];

export interface HeapTimersSnapshot {
  services: { name: string; eventTime: HeapTimerEntry[]; processingTime: HeapTimerEntry[] }[];
}

const EVENT = 0;
const PROCESSING = 1;
type Domain = typeof EVENT | typeof PROCESSING;

class TimerEntry implements InternalTimer {
  heapIndex = -1;
  constructor(
    readonly timestamp: number,
    readonly key: unknown,
    readonly namespace: unknown,
    readonly nsKey: string,
    readonly nk: NormalizedKey,
    readonly service: HeapTimerService<unknown>,
    readonly domain: Domain,
    /** Tie-break: equal timestamps fire in registration order. */
    readonly seq: number,
  ) {}
}

/** Min-heap on (timestamp, seq) that knows each entry's index, for removal. */
class TimerHeap {
  private readonly a: TimerEntry[] = [];

  get size(): number {
    return this.a.length;
  }
  peek(): TimerEntry | undefined {
    return this.a[0];
  }
  push(e: TimerEntry): void {
    e.heapIndex = this.a.length;
    this.a.push(e);
    this.up(e.heapIndex);
  }
  poll(): TimerEntry | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    this.removeAt(0);
    return top;
  }
  remove(e: TimerEntry): void {
    const i = e.heapIndex;
    if (i >= 0 && this.a[i] === e) this.removeAt(i);
  }
  /** Entries in heap (not sorted) order. */
  entries(): readonly TimerEntry[] {
    return this.a;
  }
  /**
   * Calls `fn` with entries whose timestamp is <= `upTo` (in no particular order), visiting only
   * those and their children: a subtree whose root is later holds no earlier timer. Stops when
   * `fn` returns false.
   */
  visitUpTo(upTo: number, fn: (e: TimerEntry) => boolean): void {
    const a = this.a;
    const stack: number[] = a.length > 0 ? [0] : [];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const e = a[i]!;
      if (e.timestamp > upTo) continue;
      if (!fn(e)) return;
      const l = 2 * i + 1;
      if (l < a.length) stack.push(l);
      if (l + 1 < a.length) stack.push(l + 1);
    }
  }
  private removeAt(i: number): void {
    const a = this.a;
    const removed = a[i]!;
    removed.heapIndex = -1;
    const last = a.pop()!;
    if (i < a.length) {
      a[i] = last;
      last.heapIndex = i;
      this.down(i);
      if (last.heapIndex === i) this.up(i);
    }
  }
  private static less(x: TimerEntry, y: TimerEntry): boolean {
    return x.timestamp < y.timestamp || (x.timestamp === y.timestamp && x.seq < y.seq);
  }
  private up(i: number): void {
    const a = this.a;
    const e = a[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = a[p]!;
      if (!TimerHeap.less(e, pe)) break;
      a[i] = pe;
      pe.heapIndex = i;
      i = p;
    }
    a[i] = e;
    e.heapIndex = i;
  }
  private down(i: number): void {
    const a = this.a;
    const n = a.length;
    const e = a[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && TimerHeap.less(a[r]!, a[l]!) ? r : l;
      const ce = a[c]!;
      if (!TimerHeap.less(ce, e)) break;
      a[i] = ce;
      ce.heapIndex = i;
      i = c;
    }
    a[i] = e;
    e.heapIndex = i;
  }
}

/**
 * The timers of one service and domain, indexed key -> namespace -> timestamp. Nested maps avoid
 * building a composite string per registration; empty inner maps are removed.
 */
class TimerIndex {
  private readonly byKey = new Map<NormalizedKey, Map<string, Map<number, TimerEntry>>>();
  size = 0;

  get(nk: NormalizedKey, nsKey: string, ts: number): TimerEntry | undefined {
    return this.byKey.get(nk)?.get(nsKey)?.get(ts);
  }
  /** The timestamp map of (key, namespace), created if missing; callers count what they add with `size`. */
  slot(nk: NormalizedKey, nsKey: string): Map<number, TimerEntry> {
    let byNs = this.byKey.get(nk);
    if (byNs === undefined) {
      byNs = new Map();
      this.byKey.set(nk, byNs);
    }
    let byTs = byNs.get(nsKey);
    if (byTs === undefined) {
      byTs = new Map();
      byNs.set(nsKey, byTs);
    }
    return byTs;
  }
  delete(e: TimerEntry): void {
    const byNs = this.byKey.get(e.nk);
    if (byNs === undefined) return;
    const byTs = byNs.get(e.nsKey);
    if (byTs === undefined || byTs.get(e.timestamp) !== e) return;
    byTs.delete(e.timestamp);
    this.size--;
    if (byTs.size === 0) {
      byNs.delete(e.nsKey);
      if (byNs.size === 0) this.byKey.delete(e.nk);
    }
  }
  *values(): IterableIterator<TimerEntry> {
    for (const byNs of this.byKey.values()) for (const byTs of byNs.values()) yield* byTs.values();
  }
}

class HeapTimerService<N> implements InternalTimerService<N> {
  triggerable: Triggerable<N> | undefined = undefined;
  readonly eventTimers = new TimerIndex();
  readonly processingTimers = new TimerIndex();

  constructor(
    readonly name: string,
    private readonly manager: HeapTimerServiceManager,
    public namespaceKey: (ns: N) => string,
  ) {}

  currentProcessingTime(): number {
    return this.manager.processingTimeService.getCurrentProcessingTime();
  }
  currentWatermark(): number {
    return this.manager.currentWatermark;
  }
  registerEventTimeTimer(namespace: N, time: number): void {
    this.manager.register(this as HeapTimerService<unknown>, EVENT, namespace, this.namespaceKey(namespace), time);
  }
  registerProcessingTimeTimer(namespace: N, time: number): void {
    this.manager.register(this as HeapTimerService<unknown>, PROCESSING, namespace, this.namespaceKey(namespace), time);
  }
  deleteEventTimeTimer(namespace: N, time: number): void {
    this.manager.unregister(this as HeapTimerService<unknown>, EVENT, this.namespaceKey(namespace), time);
  }
  deleteProcessingTimeTimer(namespace: N, time: number): void {
    this.manager.unregister(this as HeapTimerService<unknown>, PROCESSING, this.namespaceKey(namespace), time);
  }
  numEventTimeTimers(): number {
    return this.eventTimers.size;
  }
  numProcessingTimeTimers(): number {
    return this.processingTimers.size;
  }
}

export class HeapTimerServiceManager implements TimerServiceManager {
  /** Starts at MIN_WATERMARK; set by advanceWatermark before timers fire, so callbacks see the new value. */
  currentWatermark: number = MIN_WATERMARK;
  private readonly services = new Map<string, HeapTimerService<unknown>>();
  private readonly eventHeap = new TimerHeap();
  private readonly processingHeap = new TimerHeap();
  private seq = 0;
  private readonly currentNormalizedKey: () => NormalizedKey;

  /** The one ProcessingTimeService callback we keep armed, for the earliest processing timer. */
  private armedTime: number | undefined = undefined;
  private armedCancel: (() => void) | undefined = undefined;
  private armGeneration = 0;
  private firingProcessing = false;
  private readonly onProcessingTimeCallback = (time: number): void => this.onProcessingTime(time);

  constructor(
    readonly backend: KeyedStateBackend,
    readonly processingTimeService: ProcessingTimeService,
  ) {
    // The heap backend already holds the normalised current key; other backends pay for normalising.
    const b = backend as KeyedStateBackend & { getCurrentNormalizedKey?: () => NormalizedKey };
    this.currentNormalizedKey =
      typeof b.getCurrentNormalizedKey === 'function' ? () => b.getCurrentNormalizedKey!() : () => normalizeKey(backend.getCurrentKey());
  }

  getTimerService<N>(name: string, triggerable: Triggerable<N>, namespaceKey: (ns: N) => string): InternalTimerService<N> {
    let s = this.services.get(name) as HeapTimerService<N> | undefined;
    if (s === undefined) {
      s = new HeapTimerService<N>(name, this, namespaceKey);
      this.services.set(name, s as HeapTimerService<unknown>);
    } else {
      s.namespaceKey = namespaceKey;
    }
    s.triggerable = triggerable;
    return s;
  }

  advanceWatermark(watermark: number): void {
    if (watermark > this.currentWatermark) this.currentWatermark = watermark;
    const heap = this.eventHeap;
    let t: TimerEntry | undefined;
    // re-peek every round: callbacks may register timers <= watermark, which fire in this call too
    while ((t = heap.peek()) !== undefined && t.timestamp <= watermark) {
      heap.poll();
      this.fire(t);
    }
  }

  fireAllProcessingTimeTimers(): void {
    this.disarm();
    const heap = this.processingHeap;
    // Timers registered while firing fire only up to the latest one pending now, so periodic timers terminate.
    let limit = Number.NEGATIVE_INFINITY;
    for (const e of heap.entries()) if (e.timestamp > limit) limit = e.timestamp;
    this.firingProcessing = true;
    try {
      let t: TimerEntry | undefined;
      while ((t = heap.peek()) !== undefined && t.timestamp <= limit) {
        heap.poll();
        this.fire(t);
      }
    } finally {
      this.firingProcessing = false;
    }
  }

  /** Cancels the pending processing-time callback; the manager must not be used afterwards. */
  dispose(): void {
    this.disarm();
  }

  /**
   * Keys of the timers that fire up to `time` (event time: a watermark; processing time: now), at
   * most `max` distinct ones: what a backend that loads state ahead (lsm) loads before they fire.
   */
  dueKeys(domain: 'event' | 'processing', time: number, max: number): unknown[] {
    const seen = new Set<NormalizedKey>();
    const out: unknown[] = [];
    (domain === 'event' ? this.eventHeap : this.processingHeap).visitUpTo(time, (e) => {
      if (!seen.has(e.nk)) {
        seen.add(e.nk);
        out.push(e.key);
      }
      return out.length < max;
    });
    return out;
  }

  numEventTimeTimers(): number {
    return this.eventHeap.size;
  }
  numProcessingTimeTimers(): number {
    return this.processingHeap.size;
  }

  snapshot(): HeapTimersSnapshot {
    const maxP = this.backend.maxParallelism;
    const toEntries = (m: TimerIndex): HeapTimerEntry[] => {
      const out: HeapTimerEntry[] = [];
      for (const e of m.values()) out.push([assignToKeyGroup(e.nk, maxP), e.key, e.namespace, e.nsKey, e.timestamp]);
      return out;
    };
    const services: HeapTimersSnapshot['services'] = [];
    for (const s of this.services.values()) {
      if (s.eventTimers.size === 0 && s.processingTimers.size === 0) continue;
      services.push({ name: s.name, eventTime: toEntries(s.eventTimers), processingTime: toEntries(s.processingTimers) });
    }
    return { services };
  }

  /** Adds the timers of `snapshot` whose key group is in `range` (all when omitted); services may be registered later. */
  restore(snapshot: HeapTimersSnapshot, range?: KeyGroupRange): void {
    for (const ss of snapshot.services) {
      let s = this.services.get(ss.name);
      if (s === undefined) {
        s = new HeapTimerService<unknown>(ss.name, this, (ns) => String(ns));
        this.services.set(ss.name, s);
      }
      for (const [domain, entries] of [
        [EVENT, ss.eventTime],
        [PROCESSING, ss.processingTime],
      ] as const) {
        for (const [kg, key, namespace, nsKey, ts] of entries) {
          if (range !== undefined && (kg < range.start || kg > range.end)) continue;
          this.add(s, domain, key, normalizeKey(key), namespace, nsKey, ts);
        }
      }
    }
    if (!this.firingProcessing) this.arm();
  }

  // ---- used by HeapTimerService ----

  /** @internal */
  register(s: HeapTimerService<unknown>, domain: Domain, namespace: unknown, nsKey: string, time: number): void {
    const added = this.add(s, domain, this.backend.getCurrentKey(), this.currentNormalizedKey(), namespace, nsKey, time);
    if (added && domain === PROCESSING && !this.firingProcessing && (this.armedTime === undefined || time < this.armedTime)) this.arm();
  }

  /** @internal */
  unregister(s: HeapTimerService<unknown>, domain: Domain, nsKey: string, time: number): void {
    const index = domain === EVENT ? s.eventTimers : s.processingTimers;
    const e = index.get(this.currentNormalizedKey(), nsKey, time);
    if (e === undefined) return;
    index.delete(e);
    (domain === EVENT ? this.eventHeap : this.processingHeap).remove(e);
    // a processing-time callback that finds nothing due simply re-arms, so no re-arm here
  }

  private add(
    s: HeapTimerService<unknown>,
    domain: Domain,
    key: unknown,
    nk: NormalizedKey,
    namespace: unknown,
    nsKey: string,
    time: number,
  ): boolean {
    const index = domain === EVENT ? s.eventTimers : s.processingTimers;
    const slot = index.slot(nk, nsKey);
    if (slot.has(time)) return false;
    const e = new TimerEntry(time, key, namespace, nsKey, nk, s, domain, this.seq++);
    slot.set(time, e);
    index.size++;
    (domain === EVENT ? this.eventHeap : this.processingHeap).push(e);
    return true;
  }

  private fire(t: TimerEntry): void {
    const s = t.service;
    (t.domain === EVENT ? s.eventTimers : s.processingTimers).delete(t);
    const trg = s.triggerable;
    if (trg === undefined) {
      throw new WeirError('WEIR_INTERNAL', `A timer of timer service '${s.name}' fired before the operator registered that service`);
    }
    this.backend.setCurrentKey(t.key);
    if (t.domain === EVENT) trg.onEventTime(t);
    else trg.onProcessingTime(t);
  }

  private onProcessingTime(time: number): void {
    this.armedTime = undefined;
    this.armedCancel = undefined;
    // A clock callback may come a little before its time (setTimeout and Date.now() round differently):
    // then wait on, so onTimer never sees currentProcessingTime() < its timestamp, as in Flink.
    const now = this.processingTimeService.getCurrentProcessingTime();
    if (now < time) {
      this.arm();
      return;
    }
    const heap = this.processingHeap;
    this.firingProcessing = true;
    try {
      let t: TimerEntry | undefined;
      while ((t = heap.peek()) !== undefined && t.timestamp <= now) {
        heap.poll();
        this.fire(t);
      }
    } finally {
      this.firingProcessing = false;
      this.arm();
    }
  }

  private arm(): void {
    const top = this.processingHeap.peek();
    if (top === undefined) {
      this.disarm();
      return;
    }
    if (this.armedTime === top.timestamp) return;
    this.disarm();
    const gen = ++this.armGeneration;
    this.armedTime = top.timestamp;
    const cancel = this.processingTimeService.registerTimer(top.timestamp, this.onProcessingTimeCallback);
    // a service that calls back synchronously may already have re-armed: keep the newer registration
    if (gen === this.armGeneration) this.armedCancel = cancel;
  }

  private disarm(): void {
    if (this.armedCancel !== undefined) this.armedCancel();
    this.armedCancel = undefined;
    this.armedTime = undefined;
  }
}
