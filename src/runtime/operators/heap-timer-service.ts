/**
 * Heap timers (Flink's InternalTimeServiceManager with heap priority queues): one queue per time
 * domain shared by all named services (timestamp buckets in a heap, timer-queue.ts), so event timers
 * fire in timestamp order across services; per-service indexes (key -> namespace -> timestamp)
 * deduplicate timers and find them for deletion.
 */
import { WeirError } from '../../errors.js';
import { MIN_WATERMARK } from '../../api/time.js';
import { assignToKeyGroup, normalizeKey } from '../../graph/key-groups.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { KeyGroupRange, NormalizedKey } from '../state/heap-keyed-state-backend.js';
import type { ProcessingTimeService } from './operator.js';
import type { InternalTimer, InternalTimerService, TimerServiceManager, Triggerable } from './timer-service.js';
import { TimerIndex, TimerQueue, type IndexedTimer, type QueuedTimer } from './timer-queue.js';

/** [keyGroup, key, namespace, namespaceKey, timestamp]; namespaceKey lets a restore deduplicate before the service is registered. */
export type HeapTimerEntry = [keyGroup: number, key: unknown, namespace: unknown, namespaceKey: string, timestamp: number];

export interface HeapTimersSnapshot {
  services: { name: string; eventTime: HeapTimerEntry[]; processingTime: HeapTimerEntry[] }[];
}

const EVENT = 0;
const PROCESSING = 1;
type Domain = typeof EVENT | typeof PROCESSING;

class TimerEntry implements InternalTimer, QueuedTimer, IndexedTimer {
  bucketIndex = -1;
  constructor(
    readonly timestamp: number,
    readonly key: unknown,
    readonly namespace: unknown,
    readonly nsKey: string,
    readonly nk: NormalizedKey,
    readonly service: HeapTimerService<unknown>,
    readonly domain: Domain,
  ) {}
}

class HeapTimerService<N> implements InternalTimerService<N> {
  triggerable: Triggerable<N> | undefined = undefined;
  readonly eventTimers = new TimerIndex<TimerEntry>();
  readonly processingTimers = new TimerIndex<TimerEntry>();

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
  /** Timers fire in timestamp order, equal timestamps in registration order. */
  private readonly eventHeap = new TimerQueue<TimerEntry>();
  private readonly processingHeap = new TimerQueue<TimerEntry>();
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
    const limit = heap.maxTimestamp();
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
    const toEntries = (m: TimerIndex<TimerEntry>): HeapTimerEntry[] => {
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
    if (index.get(nk, nsKey, time) !== undefined) return false;
    const e = new TimerEntry(time, key, namespace, nsKey, nk, s, domain);
    index.put(e);
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
