/**
 * Operators that end a pipeline: a Sink's writer, print() and the executeAndCollect() sink. A slow
 * sink returns a promise from write(); the operator hands it to the task (`block`), which waits for
 * it before the next record, so the slowness reaches the sources as backpressure.
 */
import type { OperatorSpec } from '../../api/transformation.js';
import type { Committer, SinkWriter } from '../../api/sink.js';
import type { OperatorContext, OperatorStateSnapshot, RestoredOperatorState, StreamOperator } from './operator.js';
import { describeConnector, setupTimeoutMs, withSetupTimeout } from './setup-timeout.js';
import { closeFunction, openFunction } from './user-function.js';

export type Blocker = (pending: Promise<unknown>) => void;

/** Operator-state names of the sink writer operator. */
const COMMITTABLES = 'committables';
const WRITER_STATE = 'writer-state';

/** Committables of one checkpoint, as kept in the sink operator's state until committed. */
type CheckpointCommittables = [checkpointId: number, committables: unknown[]];

/**
 * The sink's writer and, for two-phase-commit sinks, its committer (Flink's SinkWriterOperator and
 * CommitterOperator, chained into one). At a barrier the writer is flushed and its committables
 * prepared; they stay in this operator's state until the checkpoint completes and the committer
 * has committed them, so a restore from any checkpoint commits (again, idempotently) what it holds.
 */
export class SinkWriterOperator implements StreamOperator {
  private writer: SinkWriter<unknown> | undefined;
  private committer: Committer<unknown> | undefined;
  /** Prepared committables by checkpoint, not committed yet (a promise while the writer finishes them). */
  private readonly uncommitted = new Map<number, Promise<unknown[]>>();
  private restored: RestoredOperatorState | undefined;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly spec: Extract<OperatorSpec, { type: 'sink' }>,
    private readonly block: Blocker,
  ) {}

  private get twoPhase(): boolean {
    return this.ctx.checkpointingMode !== undefined && typeof this.spec.sink.createCommitter === 'function';
  }

  async initializeState(restored: RestoredOperatorState | undefined): Promise<void> {
    this.restored = restored;
    if (!this.twoPhase) return;
    this.committer = await this.spec.sink.createCommitter!();
    // What the restored checkpoint prepared is part of it: commit it before writing anything new.
    const pending = (restored?.get(COMMITTABLES) ?? []) as CheckpointCommittables[];
    const all = pending.flatMap(([, c]) => c);
    if (all.length > 0) await this.committer.commit(all);
  }

  async open(): Promise<void> {
    await openFunction(this.spec.sink, this.ctx.runtimeContext);
    const writerState = this.restored?.get(WRITER_STATE);
    const sink = this.spec.sink;
    this.writer = await withSetupTimeout(describeConnector(sink, 'the sink'), setupTimeoutMs(this.ctx.config), () =>
      sink.createWriter(
        {
          subtaskIndex: this.ctx.subtask,
          parallelism: this.ctx.parallelism,
          jobId: this.ctx.jobId,
          attempt: this.ctx.attempt,
          checkpointing: this.ctx.checkpointingMode !== undefined,
          ...(this.restored ? { restoredCheckpointId: this.restored.checkpointId } : {}),
        },
        ...(writerState ? [writerState] : []),
      ),
    );
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

  snapshotState(checkpointId: number): OperatorStateSnapshot {
    const w = this.writer!;
    const flushed = Promise.resolve(w.flush(false));
    const out: OperatorStateSnapshot = {};
    if (w.snapshotState) out[WRITER_STATE] = { mode: 'split', items: w.snapshotState(checkpointId) };
    if (this.twoPhase && w.prepareCommit) {
      // Synchronously, as the flush: what the committables hold is fixed before the next record.
      const committables = w.prepareCommit(checkpointId);
      const prepared = Promise.all([flushed, committables]).then(([, c]) => c);
      // Keep the promise handled; a failure fails the checkpoint through `items` below.
      prepared.catch(() => undefined);
      this.uncommitted.set(checkpointId, prepared);
    }
    const entries = [...this.uncommitted];
    out[COMMITTABLES] = {
      mode: 'split',
      items: flushed.then(() =>
        Promise.all(entries.map(async ([id, p]): Promise<CheckpointCommittables> => [id, await p])).then((xs) =>
          xs.filter(([, c]) => c.length > 0),
        ),
      ),
    };
    return out;
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    if (!this.committer) return;
    const due = [...this.uncommitted].filter(([id]) => id <= checkpointId);
    if (due.length === 0) return;
    const committables: unknown[] = [];
    for (const [, p] of due) for (const c of await p) committables.push(c);
    if (committables.length > 0) await this.committer.commit(committables);
    // Only now: a checkpoint taken while committing still holds them (and commits them again on restore).
    for (const [id] of due) this.uncommitted.delete(id);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    // What an aborted checkpoint prepared goes with the next completed one (its records are not replayed).
    void checkpointId;
  }

  async close(): Promise<void> {
    try {
      await this.writer?.close();
      await this.committer?.close?.();
    } finally {
      await closeFunction(this.spec.sink);
    }
  }
}

/**
 * print(): one line per record, `subtask> ` prefixed when parallel (as Flink), written in batches by
 * the TaskManager's process (`write`), which receives them before the task's FINISHED report.
 */
export class PrintOperator implements StreamOperator {
  private lines: string[] = [];
  private readonly prefix: string;
  private readonly toStderr: boolean;
  private cancel: (() => void) | undefined;
  constructor(
    private readonly ctx: OperatorContext,
    spec: Extract<OperatorSpec, { type: 'print' }>,
    private readonly write: (text: string, toStderr: boolean) => void,
  ) {
    const sub = ctx.parallelism > 1 ? `${ctx.subtask + 1}> ` : '';
    // Flink's PrintSinkOutputWriter: `id> ` at parallelism 1, `id:N> ` when parallel, `N> ` without an id
    this.prefix = spec.prefix ? (ctx.parallelism > 1 ? `${spec.prefix}:${ctx.subtask + 1}> ` : `${spec.prefix}> `) : sub;
    this.toStderr = spec.toStderr;
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
    this.write(this.lines.join('\n') + '\n', this.toStderr);
    this.lines = [];
  }
  processWatermark(): void {}
  endInput(): void {}
  finish(): void {
    this.flush();
  }
  snapshotState(): undefined {
    this.flush();
    return undefined;
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

/**
 * executeAndCollect(): ships records in batches to the JobMaster, which hands them to the client.
 * With a limit, the records up to it are shipped as soon as they are there (the JobMaster then ends
 * the job) and later ones are dropped.
 */
export class CollectOperator implements StreamOperator {
  private batch: unknown[] = [];
  private remaining: number;
  constructor(
    private readonly spec: Extract<OperatorSpec, { type: 'collect' }>,
    private readonly send: (collectId: string, values: unknown[]) => void,
  ) {
    this.remaining = spec.limit ?? Infinity;
  }
  open(): void {}
  processElement(value: unknown): void {
    if (this.remaining <= 0) return;
    this.batch.push(value);
    this.remaining--;
    if (this.batch.length >= 4096 || this.remaining === 0) this.flush();
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
  /** Everything collected before the barrier reaches the JobMaster before this subtask's acknowledgement. */
  snapshotState(): undefined {
    this.flush();
    return undefined;
  }
  close(): void {}
}
