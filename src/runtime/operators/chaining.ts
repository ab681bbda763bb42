/**
 * The outputs that connect operators (Flink's ChainingOutput, RecordWriterOutput,
 * BroadcastingOutputCollector). A chained successor is called directly; an error thrown further
 * down the chain is tagged with the operator where it happened, once, so the job's failure names
 * the right operator.
 */
import type { OutputTag } from '../../api/output-tag.js';
import { MIN_WATERMARK } from '../../api/time.js';
import { WeirError, serializeError, type SerializedError } from '../../errors.js';
import type { RecordWriter } from '../network/record-writer.js';
import type { Output, StreamOperator } from './operator.js';

/** An error thrown by an operator (user code), with the operator's name attached. */
export class OperatorFailure extends Error {
  constructor(
    readonly operatorName: string,
    readonly original: unknown,
  ) {
    super(original instanceof Error ? original.message : String(original));
    this.name = 'OperatorFailure';
  }
}

export function attribute(e: unknown, operatorName: string): OperatorFailure {
  return e instanceof OperatorFailure ? e : new OperatorFailure(operatorName, e);
}

/** A task's failure as reported: user code's errors as WEIR_USER_FUNCTION naming the operator, others as they are. */
export function describeFailure(
  e: unknown,
  ctx: { jobName: string; subtask: number; parallelism: number },
  taskName: string,
): SerializedError {
  if (e instanceof OperatorFailure) {
    const orig = e.original;
    if (orig instanceof WeirError) return serializeError(orig, orig.code, { ...ctx, operator: e.operatorName });
    const msg = orig instanceof Error ? `${orig.name === 'Error' ? '' : orig.name + ': '}${orig.message}` : String(orig);
    const err = new WeirError(
      'WEIR_USER_FUNCTION',
      `Operator '${e.operatorName}' threw: ${msg}`,
      { ...ctx, operator: e.operatorName },
      { cause: orig },
    );
    return serializeError(err);
  }
  return serializeError(e, 'WEIR_INTERNAL', { ...ctx, operator: taskName });
}

/** Feeds one input of a chained operator. */
export class ChainingOutput implements Output {
  /** Records passed on (the chained operator's numRecordsIn) and the last watermark (its input watermark). */
  count = 0;
  watermark = MIN_WATERMARK;
  constructor(
    private readonly op: StreamOperator,
    private readonly opName: string,
    private readonly input: number,
  ) {}
  collect(value: unknown, timestamp: number | undefined): void {
    this.count++;
    try {
      this.op.processElement(value, timestamp, this.input);
    } catch (e) {
      throw attribute(e, this.opName);
    }
  }
  collectSide(): void {
    // Only main records flow on a main-output edge; side outputs are routed by TaggedOutputs.
  }
  emitWatermark(watermark: number): void {
    this.watermark = watermark;
    try {
      this.op.processWatermark(watermark, this.input);
    } catch (e) {
      throw attribute(e, this.opName);
    }
  }
  emitWatermarkStatus(): void {
    // Idleness matters only across network channels (the valve); chained operators see no gaps.
  }
}

/** Sends to one job edge over the network. */
export class RecordWriterOutput implements Output {
  constructor(readonly writer: RecordWriter) {}
  collect(value: unknown, timestamp: number | undefined): void {
    this.writer.emit(value, timestamp);
  }
  collectSide(): void {}
  emitWatermark(watermark: number): void {
    this.writer.broadcastEvent({ t: 'wm', v: watermark });
  }
  emitWatermarkStatus(idle: boolean): void {
    this.writer.broadcastEvent({ t: 'status', idle });
  }
}

/** The full output of one operator: main outputs, and side outputs by tag id. */
export class OperatorOutput implements Output {
  /** Records emitted on the main output (the operator's numRecordsOut) and the last watermark (its output watermark). */
  counter = 0;
  watermark = MIN_WATERMARK;
  constructor(
    private readonly main: Output[],
    private readonly side: Map<string, Output[]>,
  ) {}
  collect(value: unknown, timestamp: number | undefined): void {
    this.counter++;
    const m = this.main;
    for (let i = 0; i < m.length; i++) m[i]!.collect(value, timestamp);
  }
  collectSide(tag: OutputTag, value: unknown, timestamp: number | undefined): void {
    const outs = this.side.get(tag.id);
    if (outs) for (const o of outs) o.collect(value, timestamp);
  }
  emitWatermark(watermark: number): void {
    this.watermark = watermark;
    for (const o of this.main) o.emitWatermark(watermark);
    for (const outs of this.side.values()) for (const o of outs) o.emitWatermark(watermark);
  }
  emitWatermarkStatus(idle: boolean): void {
    for (const o of this.main) o.emitWatermarkStatus(idle);
    for (const outs of this.side.values()) for (const o of outs) o.emitWatermarkStatus(idle);
  }
}
