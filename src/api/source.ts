/**
 * Flink's split-based source model (FLIP-27). A Source creates one SplitEnumerator, which runs
 * in the JobMaster's coordinator and hands out splits, and one SourceReader per parallel
 * subtask, which reads the splits it is given. Splits and enumerator state must be plain data
 * (they cross threads and processes and go into checkpoints).
 */
export type Boundedness = 'BOUNDED' | 'CONTINUOUS_UNBOUNDED';

export interface SourceSplit {
  readonly splitId: string;
}

export interface SplitEnumeratorContext<Split extends SourceSplit> {
  currentParallelism(): number;
  /** Subtask indexes of the readers that have registered so far. */
  registeredReaders(): number[];
  assignSplit(split: Split, subtask: number): void;
  signalNoMoreSplits(subtask: number): void;
}

export interface SplitEnumerator<Split extends SourceSplit, EnumState = unknown> {
  start(): void | Promise<void>;
  /** A reader asked for work. */
  handleSplitRequest(subtask: number): void;
  /** Splits that were assigned to a failed reader come back for reassignment. */
  addSplitsBack(splits: Split[], subtask: number): void;
  /** A reader registered. */
  addReader(subtask: number): void;
  snapshotState(checkpointId: number): EnumState;
  close?(): void | Promise<void>;
}

export type InputStatus = 'MORE_AVAILABLE' | 'NOTHING_AVAILABLE' | 'END_OF_INPUT';

/** Where a reader emits the records of one split (Flink's SourceOutput). */
export interface SourceOutput<T> {
  /** Emits a record; `timestamp` is the record's event time if the source knows it. */
  collect(record: T, timestamp?: number): void;
}

export interface ReaderOutput<T> extends SourceOutput<T> {
  /**
   * The output of one split (a Kafka partition, a file): its records get a watermark generator of
   * their own, and the source's watermark is the minimum over its splits' watermarks, leaving out
   * splits idle for the strategy's `withIdleness` (Flink's per-split watermarks). Absent where
   * nothing generates watermarks (e.g. a test driving a reader directly); readers then use this
   * output itself (see SplitOutputs in connectors/base).
   */
  createOutputForSplit?(splitId: string): SourceOutput<T>;
  /** The split is finished: its watermark no longer holds the source's back. */
  releaseOutputForSplit?(splitId: string): void;
}

export interface SourceReaderContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** Asks the enumerator for a split; the answer arrives through addSplits or notifyNoMoreSplits. */
  sendSplitRequest(): void;
}

export interface SourceReader<T, Split extends SourceSplit> {
  start(): void | Promise<void>;
  /**
   * Emits what is ready (one or more records) without blocking, and says whether more is
   * available now, nothing is available until isAvailable() resolves, or the input ended.
   * END_OF_INPUT may only be returned after notifyNoMoreSplits() and once every split is done.
   */
  pollNext(output: ReaderOutput<T>): InputStatus;
  /** Resolves when pollNext may make progress again. */
  isAvailable(): Promise<void>;
  addSplits(splits: Split[]): void;
  notifyNoMoreSplits(): void;
  /** The unfinished splits with their current positions. */
  snapshotState(checkpointId: number): Split[];
  notifyCheckpointComplete?(checkpointId: number): void;
  close(): void | Promise<void>;
}

export interface Source<T, Split extends SourceSplit = SourceSplit, EnumState = unknown> {
  readonly boundedness: Boundedness;
  createEnumerator(ctx: SplitEnumeratorContext<Split>, restored?: EnumState): SplitEnumerator<Split, EnumState>;
  createReader(ctx: SourceReaderContext): SourceReader<T, Split>;
  /** Short description for the plan, e.g. `FileSource(/data/in)`. */
  describe(): string;
  /** Checks done in the client before submission (e.g. the input path exists); throws a WeirError. */
  validate?(): void;
  /** The source's own fixed parallelism, if it has one (fromData is 1, as in Flink). */
  readonly fixedParallelism?: number;
}
