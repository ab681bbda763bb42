/**
 * The contract between a task and the operators of its chain (Flink's StreamOperator).
 * A task calls its operators from one thread only (the mailbox loop): records, watermarks,
 * timers and end-of-input never overlap. Chained operators call each other through `Output`.
 * Timestamps are event-time milliseconds or `undefined` when a record has none.
 */
import type { OutputTag } from '../../api/output-tag.js';
import type { KeySelector, RuntimeContext } from '../../api/functions.js';
import type { MetricGroup } from '../../api/metrics.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { TimerServiceManager } from './timer-service.js';

export interface Output<T = unknown> {
  collect(value: T, timestamp: number | undefined): void;
  /** Emits to the side output named by `tag`; dropped if nothing consumes it. */
  collectSide(tag: OutputTag, value: unknown, timestamp: number | undefined): void;
  emitWatermark(watermark: number): void;
  /** Idle outputs are left out of downstream watermark minimums until they are active again. */
  emitWatermarkStatus(idle: boolean): void;
}

/** Schedules work on the task's mailbox thread at a processing time; returns a cancel function. */
export interface ProcessingTimeService {
  getCurrentProcessingTime(): number;
  registerTimer(time: number, callback: (time: number) => void): () => void;
}

export type RuntimeMode = 'STREAMING' | 'BATCH';

export interface OperatorContext {
  readonly jobId: string;
  readonly operatorId: string;
  readonly operatorName: string;
  readonly subtask: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly attempt: number;
  readonly runtimeMode: RuntimeMode;
  /** Where this operator's records go (the next chained operator, or the network). */
  readonly output: Output;
  /** The operator's metric group (Flink's OperatorMetricGroup). */
  readonly metricGroup?: MetricGroup;
  readonly processingTimeService: ProcessingTimeService;
  /** Key selector per input (undefined for a non-keyed input); keyed operators set the backend's key with it. */
  readonly keySelectors: readonly (KeySelector<unknown, unknown> | undefined)[];
  /** Present for operators on a keyed stream. */
  readonly keyedStateBackend: KeyedStateBackend | undefined;
  /** Present for operators on a keyed stream. */
  readonly timerServiceManager: TimerServiceManager | undefined;
  /** The context user functions see (getState, subtask index, ...). */
  readonly runtimeContext: RuntimeContext;
  /** Job configuration values (already validated). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Set when the job takes checkpoints. */
  readonly checkpointingMode?: 'EXACTLY_ONCE' | 'AT_LEAST_ONCE';
}

/**
 * An operator's non-keyed state in a snapshot (Flink's operator ListState / UnionListState), by
 * name. On restore, `split` lists are divided among the subtasks (each keeps its own at the same
 * parallelism) and `union` lists go whole to every subtask. Items are plain data; a promise lets
 * the asynchronous part of the checkpoint finish them (a sink closing its part file), but what they
 * will hold must be fixed when snapshotState returns.
 */
export type OperatorStateSnapshot = Record<string, { mode: 'split' | 'union'; items: unknown[] | Promise<unknown[]> }>;

/** The operator lists restored for this subtask, by name. */
export interface RestoredOperatorState {
  readonly checkpointId: number;
  get(name: string): unknown[] | undefined;
}

export interface StreamOperator {
  /** Opens user functions; called once before any record. */
  open(): void | Promise<void>;
  /**
   * `input` is 0 for one-input operators, 0 or 1 for the two inputs of connect(). Synchronous: an
   * operator that must wait (a sink's write) hands the promise to the task's `block`.
   */
  processElement(value: unknown, timestamp: number | undefined, input: number): void;
  /** The watermark of one input advanced (already the minimum over that input's channels). */
  processWatermark(watermark: number, input: number): void;
  /** One input ended (all its channels delivered end-of-partition). */
  endInput(input: number): void | Promise<void>;
  /** All inputs ended: emit what is still held (BATCH results, pending windows); then close follows. */
  finish(): void | Promise<void>;
  close(): void | Promise<void>;

  // Checkpointing (all optional: an operator without them has no operator state; keyed state is the task's).

  /** Before open(): the operator state restored for this subtask, or undefined on a fresh start. */
  initializeState?(restored: RestoredOperatorState | undefined): void | Promise<void>;
  /** Synchronous part of a checkpoint, between two records: what the operator must keep. */
  snapshotState?(checkpointId: number): OperatorStateSnapshot | undefined;
  /** Checkpoint `checkpointId` completed everywhere (two-phase-commit sinks commit now). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  notifyCheckpointAborted?(checkpointId: number): void;
}

/** Identifies operators that are the first of a chain and read records from a source reader. */
export interface SourceOperatorLike extends StreamOperator {
  readonly isSource: true;
}
