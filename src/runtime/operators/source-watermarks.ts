/**
 * Event time inside a source (Flink's ProgressiveTimestampsAndWatermarks): records a reader emits
 * through its main output share one watermark generator; records emitted through a split's own
 * output (ReaderOutput.createOutputForSplit) go through a generator of that split alone. The
 * source's watermark is the minimum over the splits' watermarks, leaving out splits whose
 * generator marked them idle (withIdleness); the source is idle when all of them are. A split
 * holds the watermark back from the moment its output exists, records or not, so a partition that
 * stays empty stops event time until it is idle, as in Flink.
 *
 * The main output takes part while the reader has no split outputs, or once it emitted through it:
 * readers that know nothing of splits behave exactly as one generator over all their records.
 * In BATCH mode the only watermark is the final MAX one.
 */
import type { SourceOutput } from '../../api/source.js';
import {
  MAX_WATERMARK,
  MIN_WATERMARK,
  type TimestampAssigner,
  type WatermarkGenerator,
  type WatermarkOutput,
  type WatermarkStrategy,
} from '../../api/time.js';
import type { OperatorContext, Output } from './operator.js';

/** One generator's watermark and idleness (Flink's WatermarkOutputMultiplexer.OutputState). */
class PartialOutput implements WatermarkOutput, SourceOutput<unknown> {
  watermark = MIN_WATERMARK;
  idle = false;

  constructor(
    readonly generator: WatermarkGenerator<unknown>,
    private readonly owner: SourceWatermarks,
  ) {}

  collect(record: unknown, timestamp?: number): void {
    this.owner.emit(this, record, timestamp);
  }
  emitWatermark(watermark: number): void {
    this.idle = false;
    if (watermark > this.watermark) this.watermark = watermark;
    this.owner.update();
  }
  markIdle(): void {
    if (this.idle) return;
    this.idle = true;
    this.owner.update();
  }
  markActive(): void {
    if (!this.idle) return;
    this.idle = false;
    this.owner.update();
  }
}

export class SourceWatermarks {
  private readonly out: Output;
  private readonly assigner: TimestampAssigner<unknown> | undefined;
  private readonly main: PartialOutput;
  private mainUsed = false;
  private readonly splits = new Map<string, PartialOutput>();
  private current = MIN_WATERMARK;
  private idle = false;
  /** Set while a periodic round runs, so the combined watermark is computed once per round. */
  private deferUpdate = false;
  private cancelTimer: (() => void) | undefined;
  private readonly interval: number;
  private readonly batch: boolean;
  private readonly clock: () => number;
  private closed = false;
  /** Records emitted, through any output. */
  count = 0;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly strategy: WatermarkStrategy<unknown>,
  ) {
    this.out = ctx.output;
    this.assigner = strategy.timestampAssigner;
    this.interval = Number(ctx.config['pipeline.auto-watermark-interval'] ?? 200);
    this.batch = ctx.runtimeMode === 'BATCH';
    const pts = ctx.processingTimeService;
    this.clock = () => pts.getCurrentProcessingTime();
    this.main = new PartialOutput(strategy.createGenerator(this.clock), this);
  }

  open(): void {
    if (this.interval > 0 && !this.batch) this.schedule();
  }

  private schedule(): void {
    const pts = this.ctx.processingTimeService;
    this.cancelTimer = pts.registerTimer(pts.getCurrentProcessingTime() + this.interval, () => {
      if (this.closed) return;
      this.periodicEmit();
      this.schedule();
    });
  }

  /** Asks every taking-part generator for its watermark, then emits the combined one. */
  periodicEmit(): void {
    this.deferUpdate = true;
    try {
      if (this.mainTakesPart()) this.main.generator.onPeriodicEmit(this.main);
      for (const p of this.splits.values()) p.generator.onPeriodicEmit(p);
    } finally {
      this.deferUpdate = false;
    }
    this.update();
  }

  /** A record through the main output. */
  collect(record: unknown, timestamp: number | undefined): void {
    this.mainUsed = true;
    this.emit(this.main, record, timestamp);
  }

  emit(partial: PartialOutput, record: unknown, timestamp: number | undefined): void {
    this.count++;
    const ts = this.assigner ? this.assigner(record, timestamp) : timestamp;
    this.out.collect(record, ts);
    if (ts !== undefined) partial.generator.onEvent(record, ts, partial);
  }

  createOutputForSplit(splitId: string): SourceOutput<unknown> {
    let p = this.splits.get(splitId);
    if (!p) {
      p = new PartialOutput(this.strategy.createGenerator(this.clock), this);
      this.splits.set(splitId, p);
    }
    return p;
  }

  releaseOutputForSplit(splitId: string): void {
    if (this.splits.delete(splitId)) this.update();
  }

  private mainTakesPart(): boolean {
    return this.mainUsed || this.splits.size === 0;
  }

  /** The combined watermark and idleness over the outputs taking part. */
  update(): void {
    if (this.deferUpdate || this.batch) return;
    let min = Number.POSITIVE_INFINITY;
    let allIdle = true;
    if (this.mainTakesPart() && !this.main.idle) {
      allIdle = false;
      min = this.main.watermark;
    }
    for (const p of this.splits.values()) {
      if (p.idle) continue;
      allIdle = false;
      if (p.watermark < min) min = p.watermark;
    }
    if (allIdle) {
      if (!this.idle) {
        this.idle = true;
        this.out.emitWatermarkStatus(true);
      }
      return;
    }
    if (this.idle) {
      this.idle = false;
      this.out.emitWatermarkStatus(false);
    }
    if (min > this.current) {
      this.current = min;
      this.out.emitWatermark(min);
    }
  }

  /** The end of a bounded input (or a drain): event time is complete. */
  emitMaxWatermark(): void {
    if (this.current === MAX_WATERMARK) return;
    if (this.idle) {
      this.idle = false;
      this.out.emitWatermarkStatus(false);
    }
    this.current = MAX_WATERMARK;
    this.out.emitWatermark(MAX_WATERMARK);
  }

  /** The input ended: the generators flush what they hold. */
  endInput(): void {
    if (!this.batch) this.periodicEmit();
  }

  close(): void {
    this.closed = true;
    this.cancelTimer?.();
  }
}
