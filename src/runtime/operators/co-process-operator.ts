/**
 * Two-input operators of connect(): coMap, coFlatMap, coProcess and keyedCoProcess (Flink's
 * CoStreamMap, CoStreamFlatMap, CoProcessOperator, KeyedCoProcessOperator). The operator's
 * watermark is the minimum of its two inputs'; timers fire and it is forwarded only when that minimum advances.
 */
import { MIN_WATERMARK } from '../../api/time.js';
import type { Collector, TimeDomain } from '../../api/functions.js';
import type { OperatorSpec } from '../../api/transformation.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import {
  ProcessFunctionContext,
  TimestampedCollector,
  USER_TIMERS,
  finishBatchTimers,
  requireKeyed,
  type OnTimerFn,
  type ProcessElementFn,
} from './keyed-process-operator.js';
import type { OperatorContext, StreamOperator } from './operator.js';
import type { InternalTimer, Triggerable } from './timer-service.js';
import { bindMethod, closeFunction, openFunction, optionalMethod } from './user-function.js';

abstract class TwoInputOperator implements StreamOperator {
  private watermark1 = MIN_WATERMARK;
  private watermark2 = MIN_WATERMARK;
  /** min(watermark1, watermark2) as last forwarded. */
  protected combinedWatermark = MIN_WATERMARK;
  /** Key selectors when the inputs are keyed: rich functions on connected keyed streams may use state. */
  private readonly key1: ((v: unknown) => unknown) | undefined;
  private readonly key2: ((v: unknown) => unknown) | undefined;
  protected readonly backend: KeyedStateBackend | undefined;

  constructor(
    protected readonly ctx: OperatorContext,
    protected readonly userFunction: unknown,
  ) {
    this.backend = ctx.keyedStateBackend;
    this.key1 = this.backend !== undefined ? ctx.keySelectors[0] : undefined;
    this.key2 = this.backend !== undefined ? ctx.keySelectors[1] : undefined;
  }

  async open(): Promise<void> {
    await openFunction(this.userFunction, this.ctx.runtimeContext);
  }

  processElement(value: unknown, timestamp: number | undefined, input: number): void {
    if (input === 0) {
      if (this.key1 !== undefined) this.backend!.setCurrentKey(this.key1(value));
      this.process1(value, timestamp);
    } else {
      if (this.key2 !== undefined) this.backend!.setCurrentKey(this.key2(value));
      this.process2(value, timestamp);
    }
  }

  protected abstract process1(value: unknown, timestamp: number | undefined): void;
  protected abstract process2(value: unknown, timestamp: number | undefined): void;

  processWatermark(watermark: number, input: number): void {
    if (input === 0) {
      if (watermark > this.watermark1) this.watermark1 = watermark;
    } else if (watermark > this.watermark2) this.watermark2 = watermark;
    const combined = this.watermark1 < this.watermark2 ? this.watermark1 : this.watermark2;
    if (combined <= this.combinedWatermark) return;
    this.combinedWatermark = combined;
    this.onWatermark(combined);
    this.ctx.timerServiceManager?.advanceWatermark(combined);
    this.ctx.output.emitWatermark(combined);
  }

  /** Called before timers fire for a new combined watermark. */
  protected onWatermark(_watermark: number): void {}

  endInput(): void {}

  finish(): void {
    finishBatchTimers(this.ctx);
  }

  async close(): Promise<void> {
    await closeFunction(this.userFunction);
  }
}

export class CoMapOperator extends TwoInputOperator {
  private readonly map1: (v: unknown) => unknown;
  private readonly map2: (v: unknown) => unknown;
  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'coMap' }>) {
    super(ctx, spec.fn);
    this.map1 = bindMethod(spec.fn, 'map1', 'CoMapFunction');
    this.map2 = bindMethod(spec.fn, 'map2', 'CoMapFunction');
  }
  protected process1(value: unknown, timestamp: number | undefined): void {
    this.ctx.output.collect(this.map1(value), timestamp);
  }
  protected process2(value: unknown, timestamp: number | undefined): void {
    this.ctx.output.collect(this.map2(value), timestamp);
  }
}

type FlatMapFn = (v: unknown, out: Collector<unknown>) => void;

export class CoFlatMapOperator extends TwoInputOperator {
  private readonly flatMap1: FlatMapFn;
  private readonly flatMap2: FlatMapFn;
  private readonly collector: TimestampedCollector;
  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'coFlatMap' }>) {
    super(ctx, spec.fn);
    this.flatMap1 = bindMethod<FlatMapFn>(spec.fn, 'flatMap1', 'CoFlatMapFunction');
    this.flatMap2 = bindMethod<FlatMapFn>(spec.fn, 'flatMap2', 'CoFlatMapFunction');
    this.collector = new TimestampedCollector(ctx.output);
  }
  protected process1(value: unknown, timestamp: number | undefined): void {
    this.collector.timestamp = timestamp;
    this.flatMap1(value, this.collector);
  }
  protected process2(value: unknown, timestamp: number | undefined): void {
    this.collector.timestamp = timestamp;
    this.flatMap2(value, this.collector);
  }
}

/** Non-keyed CoProcessFunction: registering timers throws; currentWatermark() is the combined watermark. */
export class CoProcessOperator extends TwoInputOperator {
  private readonly fn1: ProcessElementFn;
  private readonly fn2: ProcessElementFn;
  private readonly context: ProcessFunctionContext;
  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'coProcess' }>) {
    super(ctx, spec.fn);
    this.fn1 = bindMethod<ProcessElementFn>(spec.fn, 'processElement1', 'CoProcessFunction');
    this.fn2 = bindMethod<ProcessElementFn>(spec.fn, 'processElement2', 'CoProcessFunction');
    this.context = new ProcessFunctionContext(ctx, new TimestampedCollector(ctx.output), undefined, undefined);
  }
  protected process1(value: unknown, timestamp: number | undefined): void {
    const c = this.context;
    c.forElement(timestamp);
    this.fn1(value, c, c.collector);
  }
  protected process2(value: unknown, timestamp: number | undefined): void {
    const c = this.context;
    c.forElement(timestamp);
    this.fn2(value, c, c.collector);
  }
  protected override onWatermark(watermark: number): void {
    this.context.watermark = watermark;
  }
}

/** KeyedCoProcessFunction: each input keyed by its own selector; keyed state and timers for the current key. */
export class KeyedCoProcessOperator extends TwoInputOperator implements Triggerable<string> {
  private readonly fn1: ProcessElementFn;
  private readonly fn2: ProcessElementFn;
  private readonly onTimerFn: OnTimerFn | undefined;
  private readonly context: ProcessFunctionContext;
  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'keyedCoProcess' }>) {
    super(ctx, spec.fn);
    this.fn1 = bindMethod<ProcessElementFn>(spec.fn, 'processElement1', 'KeyedCoProcessFunction');
    this.fn2 = bindMethod<ProcessElementFn>(spec.fn, 'processElement2', 'KeyedCoProcessFunction');
    this.onTimerFn = optionalMethod<OnTimerFn>(spec.fn, 'onTimer');
    requireKeyed(ctx, 0);
    const k = requireKeyed(ctx, 1);
    const timers = k.timers.getTimerService<string>(USER_TIMERS, this, (ns) => ns);
    this.context = new ProcessFunctionContext(ctx, new TimestampedCollector(ctx.output), timers, k.backend);
  }
  protected process1(value: unknown, timestamp: number | undefined): void {
    const c = this.context;
    c.forElement(timestamp);
    this.fn1(value, c, c.collector);
  }
  protected process2(value: unknown, timestamp: number | undefined): void {
    const c = this.context;
    c.forElement(timestamp);
    this.fn2(value, c, c.collector);
  }
  onEventTime(timer: InternalTimer<string>): void {
    this.invokeOnTimer(timer.timestamp, 'EVENT_TIME');
  }
  onProcessingTime(timer: InternalTimer<string>): void {
    this.invokeOnTimer(timer.timestamp, 'PROCESSING_TIME');
  }
  private invokeOnTimer(timestamp: number, domain: TimeDomain): void {
    if (this.onTimerFn === undefined) return;
    const c = this.context;
    c.forTimer(timestamp, domain);
    this.onTimerFn(timestamp, c, c.collector);
  }
}
