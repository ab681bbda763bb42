/**
 * Window triggers (Flink's Trigger, TriggerResult and its built-ins). A trigger decides when a window
 * of one key is evaluated (FIRE) and when its contents are dropped (PURGE); it is asked on every
 * element and on the timers it registered through its context. Triggers keep their own state in
 * keyed state scoped to the window (`ctx.getPartitionedState`), so they are checkpointed and rescaled
 * with the window contents.
 */
import { WeirError } from '../../errors.js';
import { ReducingStateDescriptor, ValueStateDescriptor, type State, type StateDescriptor } from '../state.js';
import { toMillis, type Duration } from '../time.js';
import type { Window } from './window.js';

/** What a trigger answers (Flink's TriggerResult). */
export class TriggerResult {
  static readonly CONTINUE = new TriggerResult('CONTINUE', false, false);
  static readonly FIRE_AND_PURGE = new TriggerResult('FIRE_AND_PURGE', true, true);
  static readonly FIRE = new TriggerResult('FIRE', true, false);
  static readonly PURGE = new TriggerResult('PURGE', false, true);
  private constructor(
    readonly name: 'CONTINUE' | 'FIRE_AND_PURGE' | 'FIRE' | 'PURGE',
    private readonly fire: boolean,
    private readonly purge: boolean,
  ) {}
  isFire(): boolean {
    return this.fire;
  }
  isPurge(): boolean {
    return this.purge;
  }
  toString(): string {
    return this.name;
  }
}

/** What a trigger may do for the current key and window (Flink's Trigger.TriggerContext). */
export interface TriggerContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
  registerProcessingTimeTimer(time: number): void;
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  /** Keyed state of the current key, scoped to the current window. */
  getPartitionedState<S extends State>(descriptor: StateDescriptor<S>): S;
}

/** During onMerge: the state of the merged windows can be merged into the result window. */
export interface OnMergeContext extends TriggerContext {
  mergePartitionedState(descriptor: StateDescriptor): void;
}

/** Flink's Trigger: extend it for a custom trigger. */
export abstract class Trigger<T = unknown, W extends Window = Window> {
  abstract onElement(element: T, timestamp: number | undefined, window: W, ctx: TriggerContext): TriggerResult;
  abstract onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  abstract onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** True when the trigger supports merging windows (session windows); then onMerge must be implemented. */
  canMerge(): boolean {
    return false;
  }
  onMerge(_window: W, _ctx: OnMergeContext): void {
    throw new WeirError('WEIR_BAD_PIPELINE', `${this.constructor.name} does not support merging windows (canMerge() is false)`);
  }
  /** The window is removed: delete its timers and state. */
  abstract clear(window: W, ctx: TriggerContext): void;
  toString(): string {
    return this.constructor.name;
  }
}

/** Fires when the watermark passes the window's end (the default of event-time windows). */
export class EventTimeTrigger extends Trigger {
  static create(): EventTimeTrigger {
    return new EventTimeTrigger();
  }
  onElement(_e: unknown, _ts: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return TriggerResult.FIRE; // late element within allowed lateness
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }
  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(window: Window, ctx: OnMergeContext): void {
    const t = window.maxTimestamp();
    if (t > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(t);
  }
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
  override toString(): string {
    return 'EventTimeTrigger()';
  }
}

/** Fires when processing time passes the window's end (the default of processing-time windows). */
export class ProcessingTimeTrigger extends Trigger {
  static create(): ProcessingTimeTrigger {
    return new ProcessingTimeTrigger();
  }
  onElement(_e: unknown, _ts: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }
  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.FIRE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(window: Window, ctx: OnMergeContext): void {
    const t = window.maxTimestamp();
    if (t > ctx.getCurrentProcessingTime()) ctx.registerProcessingTimeTimer(t);
  }
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
  override toString(): string {
    return 'ProcessingTimeTrigger()';
  }
}

const sum = (a: number, b: number): number => a + b;
const min = (a: number, b: number): number => Math.min(a, b);

/** Fires once the window holds `maxCount` elements since it last fired. */
export class CountTrigger extends Trigger {
  private readonly stateDesc = new ReducingStateDescriptor<number>('count', sum);
  private constructor(private readonly maxCount: number) {
    super();
  }
  static of(maxCount: number): CountTrigger {
    if (!Number.isInteger(maxCount) || maxCount <= 0)
      throw new WeirError('WEIR_BAD_PIPELINE', `CountTrigger.of needs a positive integer count, got ${String(maxCount)}`);
    return new CountTrigger(maxCount);
  }
  onElement(_e: unknown, _ts: number | undefined, _w: Window, ctx: TriggerContext): TriggerResult {
    const count = ctx.getPartitionedState(this.stateDesc);
    count.add(1);
    if ((count.get() ?? 0) >= this.maxCount) {
      count.clear();
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }
  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(_w: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.stateDesc);
  }
  clear(_w: Window, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.stateDesc).clear();
  }
  override toString(): string {
    return `CountTrigger(${this.maxCount})`;
  }
}

/** Fires every `interval` of event time (aligned to the epoch) and at the window's end. */
export class ContinuousEventTimeTrigger extends Trigger {
  private readonly stateDesc = new ReducingStateDescriptor<number>('fire-time', min);
  private constructor(private readonly interval: number) {
    super();
  }
  static of(interval: Duration): ContinuousEventTimeTrigger {
    const ms = toMillis(interval, 'ContinuousEventTimeTrigger interval');
    if (ms <= 0) throw new WeirError('WEIR_BAD_PIPELINE', `ContinuousEventTimeTrigger.of needs a positive interval, got ${ms}`);
    return new ContinuousEventTimeTrigger(ms);
  }
  getInterval(): number {
    return this.interval;
  }
  onElement(_e: unknown, timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const fireTimestamp = ctx.getPartitionedState(this.stateDesc);
    if (fireTimestamp.get() === undefined) {
      const ts = timestamp ?? ctx.getCurrentWatermark();
      this.registerNextFireTimestamp(ts - (ts % this.interval), window, ctx);
    }
    return TriggerResult.CONTINUE;
  }
  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    const state = ctx.getPartitionedState(this.stateDesc);
    if (state.get() === time) {
      state.clear();
      this.registerNextFireTimestamp(time, window, ctx);
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(_w: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.stateDesc);
    const next = ctx.getPartitionedState(this.stateDesc).get();
    if (next !== undefined) ctx.registerEventTimeTimer(next);
  }
  clear(_w: Window, ctx: TriggerContext): void {
    const state = ctx.getPartitionedState(this.stateDesc);
    const t = state.get();
    if (t !== undefined) {
      ctx.deleteEventTimeTimer(t);
      state.clear();
    }
  }
  private registerNextFireTimestamp(time: number, window: Window, ctx: TriggerContext): void {
    const next = Math.min(time + this.interval, window.maxTimestamp());
    ctx.getPartitionedState(this.stateDesc).add(next);
    ctx.registerEventTimeTimer(next);
  }
  override toString(): string {
    return `ContinuousEventTimeTrigger(${this.interval})`;
  }
}

/** Flink's DeltaFunction: a distance between two elements (a function or an object with getDelta). */
export type DeltaFunction<T> = ((oldDataPoint: T, newDataPoint: T) => number) | { getDelta(oldDataPoint: T, newDataPoint: T): number };

export function deltaOf<T>(fn: DeltaFunction<T>, what: string): (a: T, b: T) => number {
  if (typeof fn === 'function') return fn;
  if (fn !== null && typeof fn === 'object' && typeof fn.getDelta === 'function') return (a, b) => fn.getDelta(a, b);
  throw new WeirError('WEIR_BAD_PIPELINE', `${what} needs a DeltaFunction (a function or an object with getDelta(old, new))`);
}

/**
 * Fires when the delta between the element last fired on (the first element, at first) and the
 * new one exceeds `threshold`.
 */
export class DeltaTrigger<T = unknown> extends Trigger<T> {
  private readonly stateDesc = new ValueStateDescriptor<T>('last-element');
  private readonly delta: (a: T, b: T) => number;
  private constructor(
    private readonly threshold: number,
    deltaFunction: DeltaFunction<T>,
  ) {
    super();
    this.delta = deltaOf(deltaFunction, 'DeltaTrigger.of');
  }
  /** Flink's third argument (a TypeSerializer) is not needed: state values are serialized as records are. */
  static of<T>(threshold: number, deltaFunction: DeltaFunction<T>, _stateSerializer?: unknown): DeltaTrigger<T> {
    if (typeof threshold !== 'number' || Number.isNaN(threshold))
      throw new WeirError('WEIR_BAD_PIPELINE', `DeltaTrigger.of needs a numeric threshold, got ${String(threshold)}`);
    return new DeltaTrigger<T>(threshold, deltaFunction);
  }
  onElement(element: T, _ts: number | undefined, _w: Window, ctx: TriggerContext): TriggerResult {
    const last = ctx.getPartitionedState(this.stateDesc);
    const prev = last.value();
    if (prev === undefined) {
      last.update(element);
      return TriggerResult.CONTINUE;
    }
    if (this.delta(prev, element) > this.threshold) {
      last.update(element);
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }
  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  clear(_w: Window, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.stateDesc).clear();
  }
  override toString(): string {
    return `DeltaTrigger(${this.threshold})`;
  }
}

/** Turns every FIRE of the nested trigger into FIRE_AND_PURGE. */
export class PurgingTrigger<T = unknown, W extends Window = Window> extends Trigger<T, W> {
  private constructor(private readonly nested: Trigger<T, W>) {
    super();
  }
  static of<T, W extends Window>(nestedTrigger: Trigger<T, W>): PurgingTrigger<T, W> {
    checkTrigger(nestedTrigger, 'PurgingTrigger.of');
    return new PurgingTrigger(nestedTrigger);
  }
  getNestedTrigger(): Trigger<T, W> {
    return this.nested;
  }
  private static purge(r: TriggerResult): TriggerResult {
    return r.isFire() ? TriggerResult.FIRE_AND_PURGE : r;
  }
  onElement(element: T, timestamp: number | undefined, window: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purge(this.nested.onElement(element, timestamp, window, ctx));
  }
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purge(this.nested.onEventTime(time, window, ctx));
  }
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purge(this.nested.onProcessingTime(time, window, ctx));
  }
  override canMerge(): boolean {
    return this.nested.canMerge();
  }
  override onMerge(window: W, ctx: OnMergeContext): void {
    this.nested.onMerge(window, ctx);
  }
  clear(window: W, ctx: TriggerContext): void {
    this.nested.clear(window, ctx);
  }
  override toString(): string {
    return `PurgingTrigger(${this.nested.toString()})`;
  }
}

/** The default trigger of GlobalWindows: never fires (Flink's GlobalWindows.NeverTrigger). */
export class NeverTrigger extends Trigger {
  onElement(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(): void {}
  clear(): void {}
  override toString(): string {
    return 'NeverTrigger()';
  }
}

/** A trigger written as a plain object may leave out canMerge (then it cannot merge). */
export function canMerge(t: Trigger): boolean {
  return typeof (t as Partial<Trigger>).canMerge === 'function' && t.canMerge();
}

export function checkTrigger(t: unknown, api: string): Trigger {
  const o = t as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object') throw new WeirError('WEIR_BAD_PIPELINE', `${api} needs a Trigger`);
  for (const m of ['onElement', 'onEventTime', 'onProcessingTime', 'clear']) {
    if (typeof o[m] !== 'function') {
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `${api} needs a Trigger (onElement, onEventTime, onProcessingTime and clear): it has no ${m}()`,
      );
    }
  }
  return t as Trigger;
}
