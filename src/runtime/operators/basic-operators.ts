/**
 * Stateless one-input operators: map, filter, flatMap. Each binds its user function once and
 * calls it directly per record; records keep their timestamps; watermarks pass through.
 */
import type { Collector } from '../../api/functions.js';
import type { OperatorSpec } from '../../api/transformation.js';
import type { OperatorContext, Output, StreamOperator } from './operator.js';
import { bindMethod, closeFunction, openFunction } from './user-function.js';

export abstract class OneInputOperator implements StreamOperator {
  protected readonly out: Output;
  constructor(
    protected readonly ctx: OperatorContext,
    protected readonly userFunction: unknown,
  ) {
    this.out = ctx.output;
  }
  async open(): Promise<void> {
    await openFunction(this.userFunction, this.ctx.runtimeContext);
  }
  abstract processElement(value: unknown, timestamp: number | undefined, input: number): void;
  processWatermark(watermark: number): void {
    this.out.emitWatermark(watermark);
  }
  endInput(): void {}
  finish(): void {}
  async close(): Promise<void> {
    await closeFunction(this.userFunction);
  }
}

/** Sets the keyed backend's current key before user code when the operator runs on a KeyedStream. */
function keyedPrologue(ctx: OperatorContext): ((value: unknown) => void) | undefined {
  const ks = ctx.keySelectors[0];
  const backend = ctx.keyedStateBackend;
  if (!ks || !backend) return undefined;
  return (value) => backend.setCurrentKey(ks(value));
}

export class MapOperator extends OneInputOperator {
  private readonly fn: (v: unknown) => unknown;
  private readonly setKey: ((value: unknown) => void) | undefined;
  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'map' }>) {
    super(ctx, spec.fn);
    this.fn = bindMethod(spec.fn, 'map', 'map function');
    this.setKey = keyedPrologue(ctx);
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    if (this.setKey) this.setKey(value);
    this.out.collect(this.fn(value), timestamp);
  }
}

export class FilterOperator extends OneInputOperator {
  private readonly fn: (v: unknown) => boolean;
  private readonly setKey: ((value: unknown) => void) | undefined;
  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'filter' }>) {
    super(ctx, spec.fn);
    this.fn = bindMethod(spec.fn, 'filter', 'filter function');
    this.setKey = keyedPrologue(ctx);
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    if (this.setKey) this.setKey(value);
    if (this.fn(value)) this.out.collect(value, timestamp);
  }
}

/** The Collector given to flatMap: forwards with the input record's timestamp. */
class TimestampedCollector implements Collector<unknown> {
  timestamp: number | undefined = undefined;
  constructor(private readonly out: Output) {}
  collect(value: unknown): void {
    this.out.collect(value, this.timestamp);
  }
}

export class FlatMapOperator extends OneInputOperator {
  private readonly fn: (v: unknown, out: Collector<unknown>) => void;
  private readonly collector: TimestampedCollector;
  private readonly setKey: ((value: unknown) => void) | undefined;
  constructor(ctx: OperatorContext, spec: Extract<OperatorSpec, { type: 'flatMap' }>) {
    super(ctx, spec.fn);
    this.fn = bindMethod(spec.fn, 'flatMap', 'flatMap function');
    this.collector = new TimestampedCollector(ctx.output);
    this.setKey = keyedPrologue(ctx);
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    if (this.setKey) this.setKey(value);
    this.collector.timestamp = timestamp;
    this.fn(value, this.collector);
  }
}
