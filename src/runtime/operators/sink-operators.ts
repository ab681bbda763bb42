/**
 * Operators that end a pipeline: a Sink's writer, print() and the executeAndCollect() sink. A slow
 * sink returns a promise from write(); the operator hands it to the task (`block`), which waits for
 * it before the next record, so the slowness reaches the sources as backpressure.
 */
import type { OperatorSpec } from '../../api/transformation.js';
import type { SinkWriter } from '../../api/sink.js';
import type { OperatorContext, StreamOperator } from './operator.js';
import { closeFunction, openFunction } from './user-function.js';

export type Blocker = (pending: Promise<unknown>) => void;

export class SinkWriterOperator implements StreamOperator {
  private writer: SinkWriter<unknown> | undefined;
  constructor(
    private readonly ctx: OperatorContext,
    private readonly spec: Extract<OperatorSpec, { type: 'sink' }>,
    private readonly block: Blocker,
  ) {}
  async open(): Promise<void> {
    await openFunction(this.spec.sink, this.ctx.runtimeContext);
    this.writer = await this.spec.sink.createWriter({
      subtaskIndex: this.ctx.subtask,
      parallelism: this.ctx.parallelism,
      jobId: this.ctx.jobId,
      attempt: this.ctx.attempt,
    });
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    const r = this.writer!.write(value, timestamp);
    if (r !== undefined && typeof (r as Promise<void>).then === 'function') this.block(r);
  }
  processWatermark(): void {}
  endInput(): void {}
  async finish(): Promise<void> {
    await this.writer?.flush(true);
  }
  async close(): Promise<void> {
    await this.writer?.close();
    await closeFunction(this.spec.sink);
  }
}

/** print(): one line per record, `subtask> ` prefixed when parallel (as Flink), written in batches. */
export class PrintOperator implements StreamOperator {
  private lines: string[] = [];
  private readonly prefix: string;
  private readonly stream: NodeJS.WriteStream;
  private cancel: (() => void) | undefined;
  constructor(
    private readonly ctx: OperatorContext,
    spec: Extract<OperatorSpec, { type: 'print' }>,
  ) {
    const sub = ctx.parallelism > 1 ? `${ctx.subtask + 1}> ` : '';
    this.prefix = spec.prefix ? `${spec.prefix}:${sub || ' '}` : sub;
    this.stream = spec.toStderr ? process.stderr : process.stdout;
  }
  open(): void {}
  processElement(value: unknown): void {
    this.lines.push(this.prefix + format(value));
    if (this.lines.length >= 1024) this.flush();
    else if (!this.cancel) {
      const pts = this.ctx.processingTimeService;
      this.cancel = pts.registerTimer(pts.getCurrentProcessingTime() + 50, () => this.flush());
    }
  }
  private flush(): void {
    this.cancel?.();
    this.cancel = undefined;
    if (this.lines.length === 0) return;
    this.stream.write(this.lines.join('\n') + '\n');
    this.lines = [];
  }
  processWatermark(): void {}
  endInput(): void {}
  finish(): void {
    this.flush();
  }
  close(): void {
    this.flush();
  }
}

export function format(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return value.toString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** executeAndCollect(): ships records in batches to the JobMaster, which hands them to the client. */
export class CollectOperator implements StreamOperator {
  private batch: unknown[] = [];
  constructor(
    private readonly spec: Extract<OperatorSpec, { type: 'collect' }>,
    private readonly send: (collectId: string, values: unknown[]) => void,
  ) {}
  open(): void {}
  processElement(value: unknown): void {
    this.batch.push(value);
    if (this.batch.length >= 4096) this.flush();
  }
  private flush(): void {
    if (this.batch.length === 0) return;
    this.send(this.spec.collectId, this.batch);
    this.batch = [];
  }
  processWatermark(): void {}
  endInput(): void {}
  finish(): void {
    this.flush();
  }
  close(): void {}
}
