/**
 * assignTimestampsAndWatermarks (Flink's TimestampsAndWatermarksOperator): stamps each record with
 * the strategy's timestamp, tells the generator, and emits the generator's watermarks (on events,
 * and every `autoWatermarkInterval` ms of processing time). Watermarks from upstream are swallowed,
 * except the final MAX watermark that ends a bounded input. In BATCH mode, as in Flink, the only
 * watermark is that final one: event time is complete when the input is, so no record is ever late.
 */
import { MAX_WATERMARK, MIN_WATERMARK, type TimestampAssigner, type WatermarkGenerator, type WatermarkOutput } from '../../api/time.js';
import type { OperatorSpec } from '../../api/transformation.js';
import type { OperatorContext, Output, StreamOperator } from './operator.js';

export class TimestampsAndWatermarksOperator implements StreamOperator, WatermarkOutput {
  private readonly out: Output;
  private readonly assigner: TimestampAssigner<unknown> | undefined;
  private readonly generator: WatermarkGenerator<unknown>;
  private currentWatermark = MIN_WATERMARK;
  private idle = false;
  private cancelTimer: (() => void) | undefined;
  private readonly interval: number;
  private readonly batch: boolean;
  private closed = false;

  constructor(
    private readonly ctx: OperatorContext,
    spec: Extract<OperatorSpec, { type: 'timestamps' }>,
  ) {
    this.out = ctx.output;
    this.assigner = spec.strategy.timestampAssigner;
    this.generator = spec.strategy.createGenerator();
    this.interval = Number(ctx.config['pipeline.auto-watermark-interval'] ?? 200);
    this.batch = ctx.runtimeMode === 'BATCH';
  }

  open(): void {
    if (this.interval > 0 && !this.batch) this.schedule();
  }

  private schedule(): void {
    const pts = this.ctx.processingTimeService;
    this.cancelTimer = pts.registerTimer(pts.getCurrentProcessingTime() + this.interval, () => {
      if (this.closed) return;
      this.generator.onPeriodicEmit(this);
      this.schedule();
    });
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    const ts = this.assigner ? this.assigner(value, timestamp) : timestamp;
    if (ts === undefined) {
      this.out.collect(value, undefined);
      return;
    }
    this.out.collect(value, ts);
    this.generator.onEvent(value, ts, this);
  }

  processWatermark(watermark: number): void {
    if (watermark === MAX_WATERMARK) this.emitWatermark(MAX_WATERMARK);
  }

  emitWatermark(watermark: number): void {
    if (this.batch && watermark !== MAX_WATERMARK) return;
    if (this.idle) this.markActive();
    if (watermark > this.currentWatermark) {
      this.currentWatermark = watermark;
      this.out.emitWatermark(watermark);
    }
  }
  markIdle(): void {
    if (!this.idle && !this.batch) {
      this.idle = true;
      this.out.emitWatermarkStatus(true);
    }
  }
  markActive(): void {
    if (this.idle) {
      this.idle = false;
      this.out.emitWatermarkStatus(false);
    }
  }

  endInput(): void {
    // A bounded input has ended: flush what the generator holds, then the end of event time.
    this.generator.onPeriodicEmit(this);
  }
  finish(): void {}
  close(): void {
    this.closed = true;
    this.cancelTimer?.();
  }
}
