/**
 * ProcessFunction operators (Flink's KeyedProcessOperator and ProcessOperator). Records emitted in
 * processElement carry the input's timestamp; in onTimer, an event-time timer's timestamp and none
 * for processing time. Context and collector objects are reused, so the per-record path allocates nothing.
 */
import { WeirError } from '../../errors.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../../api/time.js';
import type { Collector, OnTimerContext, TimeDomain, TimerService } from '../../api/functions.js';
import type { OutputTag } from '../../api/output-tag.js';
import type { OperatorSpec } from '../../api/transformation.js';
import { VOID_NAMESPACE, type KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { OperatorContext, Output, StreamOperator } from './operator.js';
import type { InternalTimer, InternalTimerService, TimerServiceManager, Triggerable } from './timer-service.js';
import { bindMethod, closeFunction, openFunction, optionalMethod } from './user-function.js';

/** A Collector that stamps every record with the timestamp set before the user call. */
export class TimestampedCollector implements Collector<unknown> {
  timestamp: number | undefined = undefined;
  constructor(private readonly out: Output) {}
  collect(value: unknown): void {
    this.out.collect(value, this.timestamp);
  }
}

/** Name of the timer service user timers live in (one per operator, VOID namespace). */
export const USER_TIMERS = 'user-timers';

const identity = (ns: string): string => ns;

export type ProcessElementFn = (value: unknown, ctx: OnTimerContext<unknown>, out: Collector<unknown>) => void;
export type OnTimerFn = (timestamp: number, ctx: OnTimerContext<unknown>, out: Collector<unknown>) => void;

/**
 * The context every process-style function gets (Context, OnTimerContext and TimerService in one
 * reused object). Without a timer service (non-keyed streams) registering timers throws.
 */
export class ProcessFunctionContext implements OnTimerContext<unknown>, TimerService {
  /** What timestamp() returns. */
  ts: number | undefined = undefined;
  domain: TimeDomain = 'EVENT_TIME';
  /** The watermark of a non-keyed operator (keyed ones read it from their timer service). */
  watermark: number = MIN_WATERMARK;

  constructor(
    private readonly opCtx: OperatorContext,
    readonly collector: TimestampedCollector,
    private readonly timers: InternalTimerService<string> | undefined,
    private readonly backend: KeyedStateBackend | undefined,
  ) {}

  timestamp(): number | undefined {
    return this.ts;
  }
  timerService(): TimerService {
    return this;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.opCtx.output.collectSide(tag, value, this.collector.timestamp);
  }
  getCurrentKey(): unknown {
    return this.backend?.getCurrentKey();
  }
  timeDomain(): TimeDomain {
    return this.domain;
  }
  currentProcessingTime(): number {
    return this.opCtx.processingTimeService.getCurrentProcessingTime();
  }
  currentWatermark(): number {
    return this.timers !== undefined ? this.timers.currentWatermark() : this.watermark;
  }
  registerEventTimeTimer(time: number): void {
    this.keyedTimers().registerEventTimeTimer(VOID_NAMESPACE, time);
  }
  registerProcessingTimeTimer(time: number): void {
    this.keyedTimers().registerProcessingTimeTimer(VOID_NAMESPACE, time);
  }
  deleteEventTimeTimer(time: number): void {
    this.keyedTimers().deleteEventTimeTimer(VOID_NAMESPACE, time);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.keyedTimers().deleteProcessingTimeTimer(VOID_NAMESPACE, time);
  }

  /** Before a processElement call. */
  forElement(timestamp: number | undefined): void {
    this.ts = timestamp;
    this.collector.timestamp = timestamp;
  }
  /** Before an onTimer call: event-time output carries the timer's timestamp, processing-time output none. */
  forTimer(timestamp: number, domain: TimeDomain): void {
    this.ts = timestamp;
    this.domain = domain;
    this.collector.timestamp = domain === 'EVENT_TIME' ? timestamp : undefined;
  }

  private keyedTimers(): InternalTimerService<string> {
    if (this.timers === undefined) {
      throw new WeirError(
        'WEIR_STATE_ACCESS',
        `Operator '${this.opCtx.operatorName}': timers need a keyed stream; call keyBy() before process()`,
        {
          operator: this.opCtx.operatorName,
        },
      );
    }
    return this.timers;
  }
}

/** The key selector of `input`, or a clear error when the operator is not on a keyed stream. */
export function requireKeyed(
  ctx: OperatorContext,
  input: number,
): { keySelector: (v: unknown) => unknown; backend: KeyedStateBackend; timers: TimerServiceManager } {
  const keySelector = ctx.keySelectors[input];
  const backend = ctx.keyedStateBackend;
  const timers = ctx.timerServiceManager;
  if (keySelector === undefined || backend === undefined || timers === undefined) {
    throw new WeirError(
      'WEIR_STATE_ACCESS',
      `Operator '${ctx.operatorName}' uses keyed state or timers and needs a keyed stream: call keyBy() first`,
      {
        operator: ctx.operatorName,
      },
    );
  }
  return { keySelector, backend, timers };
}

/** BATCH end of input: event time jumps to the end, then every processing-time timer fires. */
export function finishBatchTimers(ctx: OperatorContext): void {
  if (ctx.runtimeMode !== 'BATCH') return;
  const tsm = ctx.timerServiceManager;
  if (tsm === undefined) return;
  tsm.advanceWatermark(MAX_WATERMARK);
  tsm.fireAllProcessingTimeTimers();
}

export class KeyedProcessOperator implements StreamOperator, Triggerable<string> {
  private readonly processFn: ProcessElementFn;
  private readonly onTimerFn: OnTimerFn | undefined;
  private readonly keySelector: (v: unknown) => unknown;
  private readonly backend: KeyedStateBackend;
  private readonly tsm: TimerServiceManager;
  private readonly context: ProcessFunctionContext;
  private watermark = MIN_WATERMARK;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly spec: Extract<OperatorSpec, { type: 'keyedProcess' }>,
  ) {
    this.processFn = bindMethod<ProcessElementFn>(spec.fn, 'processElement', 'KeyedProcessFunction');
    this.onTimerFn = optionalMethod<OnTimerFn>(spec.fn, 'onTimer');
    const k = requireKeyed(ctx, 0);
    this.keySelector = k.keySelector;
    this.backend = k.backend;
    this.tsm = k.timers;
    const timers = this.tsm.getTimerService<string>(USER_TIMERS, this, identity);
    this.context = new ProcessFunctionContext(ctx, new TimestampedCollector(ctx.output), timers, this.backend);
  }

  async open(): Promise<void> {
    await openFunction(this.spec.fn, this.ctx.runtimeContext);
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    this.backend.setCurrentKey(this.keySelector(value));
    const c = this.context;
    c.forElement(timestamp);
    this.processFn(value, c, c.collector);
  }

  processWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    this.tsm.advanceWatermark(watermark);
    this.ctx.output.emitWatermark(watermark);
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

  endInput(): void {}

  finish(): void {
    finishBatchTimers(this.ctx);
  }

  async close(): Promise<void> {
    await closeFunction(this.spec.fn);
  }
}

/** Non-keyed ProcessFunction: no state, no timers; the clocks still work. */
export class ProcessOperator implements StreamOperator {
  private readonly processFn: ProcessElementFn;
  private readonly context: ProcessFunctionContext;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly spec: Extract<OperatorSpec, { type: 'process' }>,
  ) {
    this.processFn = bindMethod<ProcessElementFn>(spec.fn, 'processElement', 'ProcessFunction');
    this.context = new ProcessFunctionContext(ctx, new TimestampedCollector(ctx.output), undefined, undefined);
  }

  async open(): Promise<void> {
    await openFunction(this.spec.fn, this.ctx.runtimeContext);
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    const c = this.context;
    c.forElement(timestamp);
    this.processFn(value, c, c.collector);
  }

  processWatermark(watermark: number): void {
    if (watermark > this.context.watermark) this.context.watermark = watermark;
    this.ctx.output.emitWatermark(watermark);
  }

  endInput(): void {}
  finish(): void {}

  async close(): Promise<void> {
    await closeFunction(this.spec.fn);
  }
}
