/**
 * connect(broadcastStream).process(..) (Flink's CoBroadcastWithNonKeyedOperator and
 * CoBroadcastWithKeyedOperator). Input 0 is the data stream, input 1 the broadcast stream. The
 * broadcast state is operator state: one map per descriptor, written by processBroadcastElement,
 * read only in processElement and onTimer. In a checkpoint, subtask 0 writes it as a union list
 * (every subtask holds the same state) and every subtask restores it whole, at any parallelism.
 * applyToKeyedState visits every key with state under a descriptor; with a backend that loads
 * state ahead (lsm) the visit finishes before the next record is processed.
 */
import type { BroadcastState, KeyedStateFunction } from '../../api/broadcast.js';
import type { Collector, TimeDomain, TimerService } from '../../api/functions.js';
import type { OutputTag } from '../../api/output-tag.js';
import type { MapStateDescriptor, State, StateDescriptor } from '../../api/state.js';
import { MIN_WATERMARK } from '../../api/time.js';
import type { OperatorSpec } from '../../api/transformation.js';
import { WeirError } from '../../errors.js';
import { normalizeKey } from '../../graph/key-groups.js';
import { VOID_NAMESPACE, type KeyedStateBackend } from '../state/keyed-state-backend.js';
import { ProcessFunctionContext, TimestampedCollector, USER_TIMERS, finishBatchTimers, requireKeyed } from './keyed-process-operator.js';
import type { OperatorContext, OperatorStateSnapshot, RestoredOperatorState, StreamOperator } from './operator.js';
import type { InternalTimer, InternalTimerService, Triggerable } from './timer-service.js';
import { bindMethod, closeFunction, openFunction, optionalMethod } from './user-function.js';

/** Operator-state name of the broadcast state: a union list of [descriptor name, [key, value][]]. */
export const BROADCAST_STATE = 'broadcast-state';

type StateItem = [name: string, entries: [unknown, unknown][]];

/** One broadcast map. Keys that are objects are compared by value, as keyed state keys are. */
class BroadcastMap implements BroadcastState<unknown, unknown> {
  readonly map = new Map<unknown, [unknown, unknown]>();
  constructor(
    readonly name: string,
    private readonly writable: () => boolean,
  ) {}
  private checkWritable(): void {
    if (!this.writable())
      throw new WeirError(
        'WEIR_STATE_ACCESS',
        `broadcast state '${this.name}' is read-only here: only processBroadcastElement may change it (so every subtask keeps the same state)`,
      );
  }
  get(key: unknown): unknown {
    return this.map.get(normalizeKey(key))?.[1];
  }
  contains(key: unknown): boolean {
    return this.map.has(normalizeKey(key));
  }
  immutableEntries(): [unknown, unknown][] {
    return [...this.map.values()].map(([k, v]) => [k, v]);
  }
  entries(): [unknown, unknown][] {
    return this.immutableEntries();
  }
  keys(): unknown[] {
    return [...this.map.values()].map(([k]) => k);
  }
  values(): unknown[] {
    return [...this.map.values()].map(([, v]) => v);
  }
  isEmpty(): boolean {
    return this.map.size === 0;
  }
  size(): number {
    return this.map.size;
  }
  put(key: unknown, value: unknown): void {
    this.checkWritable();
    this.map.set(normalizeKey(key), [key, value]);
  }
  putAll(entries: Iterable<[unknown, unknown]> | Map<unknown, unknown>): void {
    for (const [k, v] of entries) this.put(k, v);
  }
  remove(key: unknown): void {
    this.checkWritable();
    this.map.delete(normalizeKey(key));
  }
  clear(): void {
    this.checkWritable();
    this.map.clear();
  }
}

type ElementFn = (value: unknown, ctx: unknown, out: Collector<unknown>) => void;
type TimerFn = (timestamp: number, ctx: unknown, out: Collector<unknown>) => void;

export class BroadcastProcessOperator implements StreamOperator, Triggerable<string> {
  private readonly states = new Map<string, BroadcastMap>();
  private readonly processFn: ElementFn;
  private readonly broadcastFn: ElementFn;
  private readonly onTimerFn: TimerFn | undefined;
  private readonly keySelector: ((v: unknown) => unknown) | undefined;
  private readonly backend: KeyedStateBackend | undefined;
  private readonly timers: InternalTimerService<string> | undefined;
  private readonly base: ProcessFunctionContext;
  private readonly ctxObj: BroadcastProcessContext;
  private writable = false;
  private watermark1 = MIN_WATERMARK;
  private watermark2 = MIN_WATERMARK;
  private combined = MIN_WATERMARK;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly spec: Extract<OperatorSpec, { type: 'broadcastProcess' }>,
    private readonly block: (pending: Promise<unknown>) => void,
  ) {
    const what = spec.keyed ? 'KeyedBroadcastProcessFunction' : 'BroadcastProcessFunction';
    this.processFn = bindMethod<ElementFn>(spec.fn, 'processElement', what);
    this.broadcastFn = bindMethod<ElementFn>(spec.fn, 'processBroadcastElement', what);
    this.onTimerFn = spec.keyed ? optionalMethod<TimerFn>(spec.fn, 'onTimer') : undefined;
    for (const d of spec.descriptors) this.states.set(d.name, new BroadcastMap(d.name, () => this.writable));
    if (spec.keyed) {
      const k = requireKeyed(ctx, 0);
      this.keySelector = k.keySelector;
      this.backend = k.backend;
      this.timers = k.timers.getTimerService<string>(USER_TIMERS, this, (ns) => ns);
    }
    this.base = new ProcessFunctionContext(ctx, new TimestampedCollector(ctx.output), this.timers, this.backend);
    this.ctxObj = new BroadcastProcessContext(this);
  }

  initializeState(restored: RestoredOperatorState | undefined): void {
    const items = (restored?.get(BROADCAST_STATE) ?? []) as StateItem[];
    for (const [name, entries] of items) {
      const m = this.states.get(name);
      // A state the job no longer declares is dropped, as Flink drops unregistered broadcast state.
      if (!m) continue;
      for (const [k, v] of entries) m.map.set(normalizeKey(k), [k, v]);
    }
  }

  async open(): Promise<void> {
    await openFunction(this.spec.fn, this.ctx.runtimeContext);
  }

  processElement(value: unknown, timestamp: number | undefined, input: number): void {
    const c = this.base;
    c.forElement(timestamp);
    if (input === 0) {
      if (this.keySelector) this.backend!.setCurrentKey(this.keySelector(value));
      this.processFn(value, this.ctxObj, c.collector);
    } else {
      this.writable = true;
      try {
        this.broadcastFn(value, this.ctxObj, c.collector);
      } finally {
        this.writable = false;
      }
    }
  }

  processWatermark(watermark: number, input: number): void {
    if (input === 0) {
      if (watermark > this.watermark1) this.watermark1 = watermark;
    } else if (watermark > this.watermark2) this.watermark2 = watermark;
    const combined = Math.min(this.watermark1, this.watermark2);
    if (combined <= this.combined) return;
    this.combined = combined;
    this.base.watermark = combined;
    this.ctx.timerServiceManager?.advanceWatermark(combined);
    this.ctx.output.emitWatermark(combined);
  }

  onEventTime(timer: InternalTimer<string>): void {
    this.fireTimer(timer.timestamp, 'EVENT_TIME');
  }
  onProcessingTime(timer: InternalTimer<string>): void {
    this.fireTimer(timer.timestamp, 'PROCESSING_TIME');
  }
  private fireTimer(timestamp: number, domain: TimeDomain): void {
    if (!this.onTimerFn) return;
    const c = this.base;
    c.forTimer(timestamp, domain);
    this.onTimerFn(timestamp, this.ctxObj, c.collector);
  }

  snapshotState(): OperatorStateSnapshot {
    // Every subtask holds the same broadcast state: one copy is enough, restored on every subtask.
    // The others write an empty union list so that a restore at the same parallelism reads subtask 0's.
    const items: StateItem[] =
      this.ctx.subtask === 0 ? [...this.states.values()].map((m) => [m.name, [...m.map.values()].map(([k, v]) => [k, v])]) : [];
    return { [BROADCAST_STATE]: { mode: 'union', items } };
  }

  endInput(): void {}
  finish(): void {
    finishBatchTimers(this.ctx);
  }
  async close(): Promise<void> {
    await closeFunction(this.spec.fn);
  }

  // ---------------------------------------------------------------- what the contexts call

  /** @internal */
  broadcastState(descriptor: MapStateDescriptor<unknown, unknown>): BroadcastMap {
    const name = (descriptor as { name?: unknown } | null)?.name;
    const m = typeof name === 'string' ? this.states.get(name) : undefined;
    if (!m) {
      throw new WeirError(
        'WEIR_STATE_ACCESS',
        `broadcast state '${String(name)}' was not declared: pass its MapStateDescriptor to broadcast(...) (declared: ${[...this.states.keys()].join(', ')})`,
      );
    }
    return m;
  }

  /** @internal */
  get processContext(): ProcessFunctionContext {
    return this.base;
  }

  /** @internal */
  applyToKeyedState(descriptor: StateDescriptor, fn: KeyedStateFunction<unknown, State>): void {
    const backend = this.backend;
    if (!backend) throw new WeirError('WEIR_STATE_ACCESS', 'applyToKeyedState needs a keyed stream (a KeyedBroadcastProcessFunction)');
    const call = typeof fn === 'function' ? fn : fn.process.bind(fn);
    const visit = (keys: unknown[]): void => {
      for (const key of keys) {
        backend.setCurrentKey(key);
        call(key, backend.getState(descriptor));
      }
    };
    if (backend.forEachKeyBatch !== undefined) {
      this.block(backend.forEachKeyBatch(descriptor.name, VOID_NAMESPACE, 1000, visit));
    } else visit(backend.getKeys(descriptor.name));
  }
}

/** The one context object of all three callbacks (ReadOnlyContext, Context and OnTimerContext). */
class BroadcastProcessContext implements TimerService {
  constructor(private readonly op: BroadcastProcessOperator) {}
  getBroadcastState(descriptor: MapStateDescriptor<unknown, unknown>): BroadcastMap {
    return this.op.broadcastState(descriptor);
  }
  applyToKeyedState(descriptor: StateDescriptor, fn: KeyedStateFunction<unknown, State>): void {
    this.op.applyToKeyedState(descriptor, fn);
  }
  timestamp(): number | undefined {
    return this.op.processContext.timestamp();
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.op.processContext.output(tag, value);
  }
  getCurrentKey(): unknown {
    return this.op.processContext.getCurrentKey();
  }
  timeDomain(): TimeDomain {
    return this.op.processContext.timeDomain();
  }
  timerService(): TimerService {
    return this;
  }
  currentProcessingTime(): number {
    return this.op.processContext.currentProcessingTime();
  }
  currentWatermark(): number {
    return this.op.processContext.currentWatermark();
  }
  registerEventTimeTimer(time: number): void {
    this.op.processContext.registerEventTimeTimer(time);
  }
  registerProcessingTimeTimer(time: number): void {
    this.op.processContext.registerProcessingTimeTimer(time);
  }
  deleteEventTimeTimer(time: number): void {
    this.op.processContext.deleteEventTimeTimer(time);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.op.processContext.deleteProcessingTimeTimer(time);
  }
}
