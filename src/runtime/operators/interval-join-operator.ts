/**
 * The interval join (Flink's IntervalJoinOperator): a keyed two-input operator that buffers each
 * side's elements in MapState by timestamp, joins a new element with the buffered elements of the
 * other side within the bounds, and drops a buffered bucket once the watermark passes the last time
 * an element of the other side could still join it (an event-time cleanup timer per bucket).
 * Elements behind the watermark are late: they go to the side's late output or are dropped.
 */
import { WeirError } from '../../errors.js';
import { MIN_WATERMARK } from '../../api/time.js';
import { MapStateDescriptor, type MapState } from '../../api/state.js';
import type { Collector } from '../../api/functions.js';
import type { ProcessJoinContext } from '../../api/joins/join-functions.js';
import type { OutputTag } from '../../api/output-tag.js';
import type { OperatorSpec } from '../../api/transformation.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { TimestampedCollector, finishBatchTimers, requireKeyed } from './keyed-process-operator.js';
import type { OperatorContext, StreamOperator } from './operator.js';
import type { InternalTimer, InternalTimerService, Triggerable } from './timer-service.js';
import { bindMethod, closeFunction, openFunction } from './user-function.js';

const CLEANUP_LEFT = 'CLEANUP_LEFT';
const CLEANUP_RIGHT = 'CLEANUP_RIGHT';

/** A buffered element and whether it has been joined (Flink's BufferEntry). */
type Entry = [value: unknown, joined: boolean];
type JoinFn = (left: unknown, right: unknown, ctx: ProcessJoinContext, out: Collector<unknown>) => void;

class JoinContext implements ProcessJoinContext {
  left = 0;
  right = 0;
  constructor(
    private readonly opCtx: OperatorContext,
    private readonly collector: TimestampedCollector,
  ) {}
  getLeftTimestamp(): number {
    return this.left;
  }
  getRightTimestamp(): number {
    return this.right;
  }
  getTimestamp(): number {
    return this.left > this.right ? this.left : this.right;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.opCtx.output.collectSide(tag, value, this.collector.timestamp);
  }
}

export class IntervalJoinOperator implements StreamOperator, Triggerable<string> {
  private readonly lowerBound: number;
  private readonly upperBound: number;
  private readonly key1: (v: unknown) => unknown;
  private readonly key2: (v: unknown) => unknown;
  private readonly backend: KeyedStateBackend;
  private readonly timers: InternalTimerService<string>;
  private readonly leftBuffer: MapState<number, Entry[]>;
  private readonly rightBuffer: MapState<number, Entry[]>;
  private readonly joinFn: JoinFn;
  private readonly collector: TimestampedCollector;
  private readonly context: JoinContext;
  private watermark1 = MIN_WATERMARK;
  private watermark2 = MIN_WATERMARK;
  private combined = MIN_WATERMARK;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly spec: Extract<OperatorSpec, { type: 'intervalJoin' }>,
  ) {
    this.lowerBound = spec.lowerBound;
    this.upperBound = spec.upperBound;
    const k = requireKeyed(ctx, 0);
    const k2 = ctx.keySelectors[1];
    if (k2 === undefined) throw new WeirError('WEIR_BAD_PIPELINE', 'intervalJoin needs both inputs keyed');
    this.key1 = k.keySelector;
    this.key2 = k2;
    this.backend = k.backend;
    this.timers = k.timers.getTimerService<string>('interval-join-timers', this, (ns) => ns);
    this.leftBuffer = this.backend.getState(new MapStateDescriptor<number, Entry[]>('LEFT_BUFFER'));
    this.rightBuffer = this.backend.getState(new MapStateDescriptor<number, Entry[]>('RIGHT_BUFFER'));
    this.joinFn = bindMethod<JoinFn>(spec.fn, 'processElement', 'ProcessJoinFunction');
    this.collector = new TimestampedCollector(ctx.output);
    this.context = new JoinContext(ctx, this.collector);
  }

  async open(): Promise<void> {
    await openFunction(this.spec.fn, this.ctx.runtimeContext);
  }

  processElement(value: unknown, timestamp: number | undefined, input: number): void {
    if (timestamp === undefined) {
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `Interval join '${this.ctx.operatorName}' got a record without a timestamp: elements of interval joins need meaningful timestamps (assignTimestampsAndWatermarks()).`,
        { operator: this.ctx.operatorName },
      );
    }
    const left = input === 0;
    this.backend.setCurrentKey(left ? this.key1(value) : this.key2(value));
    if (left) this.process(value, timestamp, this.leftBuffer, this.rightBuffer, this.lowerBound, this.upperBound, true);
    else this.process(value, timestamp, this.rightBuffer, this.leftBuffer, -this.upperBound, -this.lowerBound, false);
  }

  private process(
    value: unknown,
    ts: number,
    ours: MapState<number, Entry[]>,
    theirs: MapState<number, Entry[]>,
    lower: number,
    upper: number,
    isLeft: boolean,
  ): void {
    const wm = this.timers.currentWatermark();
    if (wm !== MIN_WATERMARK && ts < wm) {
      const tag = isLeft ? this.spec.leftLateTag : this.spec.rightLateTag;
      if (tag !== undefined) this.ctx.output.collectSide(tag, value, ts);
      return;
    }
    const bucket = ours.get(ts) ?? [];
    bucket.push([value, false]);
    ours.put(ts, bucket);
    for (const [otherTs, entries] of theirs.entries()) {
      if (otherTs < ts + lower || otherTs > ts + upper) continue;
      let changed = false;
      for (const e of entries) {
        if (isLeft) this.collect(value, e[0], ts, otherTs);
        else this.collect(e[0], value, otherTs, ts);
        if (!e[1]) {
          e[1] = true;
          changed = true;
        }
      }
      if (changed) theirs.put(otherTs, entries);
    }
    const cleanupTime = upper > 0 ? ts + upper : ts;
    this.timers.registerEventTimeTimer(isLeft ? CLEANUP_LEFT : CLEANUP_RIGHT, cleanupTime);
  }

  private collect(left: unknown, right: unknown, leftTs: number, rightTs: number): void {
    const c = this.context;
    c.left = leftTs;
    c.right = rightTs;
    this.collector.timestamp = leftTs > rightTs ? leftTs : rightTs;
    this.joinFn(left, right, c, this.collector);
  }

  onEventTime(timer: InternalTimer<string>): void {
    const t = timer.timestamp;
    if (timer.namespace === CLEANUP_LEFT) this.leftBuffer.remove(this.upperBound <= 0 ? t : t - this.upperBound);
    else if (timer.namespace === CLEANUP_RIGHT) this.rightBuffer.remove(this.lowerBound <= 0 ? t + this.lowerBound : t);
  }

  onProcessingTime(): void {}

  processWatermark(watermark: number, input: number): void {
    if (input === 0) {
      if (watermark > this.watermark1) this.watermark1 = watermark;
    } else if (watermark > this.watermark2) this.watermark2 = watermark;
    const combined = this.watermark1 < this.watermark2 ? this.watermark1 : this.watermark2;
    if (combined <= this.combined) return;
    this.combined = combined;
    this.ctx.timerServiceManager?.advanceWatermark(combined);
    this.ctx.output.emitWatermark(combined);
  }

  endInput(): void {}

  finish(): void {
    finishBatchTimers(this.ctx);
  }

  async close(): Promise<void> {
    await closeFunction(this.spec.fn);
  }
}
