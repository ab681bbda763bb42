/**
 * The head of a source chain (Flink's SourceOperator): owns the SourceReader of this subtask,
 * registers it with the split enumerator, forwards split assignments to it, and emits what it
 * reads into the chain. The task drives it with pollNext() while the outputs have room.
 */
import type { InputStatus, ReaderOutput, Source, SourceOutput, SourceReader, SourceSplit } from '../../api/source.js';
import { MAX_WATERMARK } from '../../api/time.js';
import type { OperatorSpec } from '../../api/transformation.js';
import type { OperatorContext, OperatorStateSnapshot, Output, RestoredOperatorState, SourceOperatorLike } from './operator.js';
import { SourceWatermarks } from './source-watermarks.js';
import { describeConnector, setupTimeoutMs, withSetupTimeout } from './setup-timeout.js';
import { closeFunction, openFunction } from './user-function.js';

const READER_STATE = 'SourceReaderState';

export interface SplitChannel {
  /** Tells the enumerator this reader exists. */
  register(): void;
  requestSplit(): void;
}

export class SourceOperator implements SourceOperatorLike, ReaderOutput<unknown> {
  readonly isSource = true as const;
  private reader: SourceReader<unknown, SourceSplit> | undefined;
  private readonly source: Source<unknown>;
  private readonly out: Output;
  /** The program's watermark strategy, run inside the source (per split) as in Flink. */
  private readonly watermarks: SourceWatermarks | undefined;
  private plainRecords = 0;
  /** Without a strategy, split outputs are this operator itself (records keep the reader's timestamps). */
  private readonly plainSplitOutput: SourceOutput<unknown> = { collect: (r, ts) => this.collect(r, ts) };
  /** Splits of the restored checkpoint, handed to the reader when it is created. */
  private restoredSplits: SourceSplit[] = [];

  constructor(
    private readonly ctx: OperatorContext,
    spec: Extract<OperatorSpec, { type: 'source' }>,
    private readonly splits: SplitChannel,
  ) {
    this.source = spec.source;
    this.out = ctx.output;
    if (spec.watermarkStrategy) this.watermarks = new SourceWatermarks(ctx, spec.watermarkStrategy);
  }

  get bounded(): boolean {
    return this.source.boundedness === 'BOUNDED';
  }

  /** The reader's splits (with their positions) of the restored checkpoint come back to this subtask. */
  initializeState(restored: RestoredOperatorState | undefined): void {
    this.restoredSplits = (restored?.get(READER_STATE) ?? []) as SourceSplit[];
  }

  async open(): Promise<void> {
    await openFunction(this.source, this.ctx.runtimeContext);
    await withSetupTimeout(describeConnector(this.source, 'the source'), setupTimeoutMs(this.ctx.config), async () => {
      const reader = this.source.createReader({
        subtaskIndex: this.ctx.subtask,
        parallelism: this.ctx.parallelism,
        sendSplitRequest: () => this.splits.requestSplit(),
      });
      this.reader = reader;
      if (this.restoredSplits.length > 0) reader.addSplits(this.restoredSplits);
      this.restoredSplits = [];
      await reader.start();
    });
    this.watermarks?.open();
    this.splits.register();
  }

  get recordsOut(): number {
    return this.plainRecords + (this.watermarks?.count ?? 0);
  }

  collect(record: unknown, timestamp?: number): void {
    if (this.watermarks) this.watermarks.collect(record, timestamp);
    else {
      this.plainRecords++;
      this.out.collect(record, timestamp);
    }
  }
  createOutputForSplit(splitId: string): SourceOutput<unknown> {
    return this.watermarks ? this.watermarks.createOutputForSplit(splitId) : this.plainSplitOutput;
  }
  releaseOutputForSplit(splitId: string): void {
    this.watermarks?.releaseOutputForSplit(splitId);
  }

  pollNext(): InputStatus {
    return this.reader!.pollNext(this);
  }
  isAvailable(): Promise<void> {
    return this.reader!.isAvailable();
  }
  addSplits(splits: SourceSplit[]): void {
    this.reader!.addSplits(splits);
  }
  notifyNoMoreSplits(): void {
    this.reader!.notifyNoMoreSplits();
  }

  /** The reader's unfinished splits with their positions (Flink's SourceReaderState, a split-redistributed list). */
  snapshotState(checkpointId: number): OperatorStateSnapshot {
    return { [READER_STATE]: { mode: 'split', items: this.reader!.snapshotState(checkpointId) } };
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.reader?.notifyCheckpointComplete?.(checkpointId);
  }

  processElement(): void {
    throw new Error('a source operator has no inputs');
  }
  /** Only the end of event time comes from outside a source (a bounded input ended, or a drain). */
  processWatermark(watermark: number): void {
    if (this.watermarks) {
      if (watermark === MAX_WATERMARK) this.watermarks.emitMaxWatermark();
    } else this.out.emitWatermark(watermark);
  }
  endInput(): void {
    this.watermarks?.endInput();
  }
  finish(): void {}
  async close(): Promise<void> {
    this.watermarks?.close();
    await this.reader?.close();
    await closeFunction(this.source);
  }
}
