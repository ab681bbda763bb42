/**
 * Sinks (Flink's Sink V2): one SinkWriter per parallel subtask. `write` may return a promise
 * when the sink is slow; the task waits for it before the next record, which is how a slow
 * sink backpressures the job.
 *
 * Exactly-once (two-phase commit, Flink's TwoPhaseCommittingSink): a writer with `prepareCommit`
 * hands over, at each checkpoint barrier, committables for what it wrote since the previous one
 * (e.g. a closed part file); they are kept in the checkpoint and given to the sink's Committer when
 * the checkpoint completes, or after a restore from that checkpoint, so `commit` must be idempotent.
 * Nothing a writer wrote becomes visible otherwise, so a failure discards it and the records are
 * replayed from the checkpoint. Writers without prepareCommit are flushed at every checkpoint
 * (at-least-once). Without checkpointing every sink commits at end of input, as before.
 */
export interface SinkWriterContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly jobId: string;
  readonly attempt: number;
  /** True when the job takes checkpoints: a two-phase-commit writer then publishes only through its committer. */
  readonly checkpointing?: boolean;
  /** The checkpoint the writer was restored from, if any. */
  readonly restoredCheckpointId?: number;
}

export interface SinkWriter<T, CommT = unknown, WriterStateT = unknown> {
  write(element: T, timestamp: number | undefined): void | Promise<void>;
  /** Makes everything written so far durable/visible; `endOfInput` when no more records follow. */
  flush(endOfInput: boolean): void | Promise<void>;
  close(): void | Promise<void>;
  /**
   * Two-phase commit, at a checkpoint barrier (after flush(false)): the committables for what was
   * written since the last call; later records must go to something new. A promise may finish the
   * work (closing a file), but the committables' content must be fixed when this returns.
   */
  prepareCommit?(checkpointId: number): CommT[] | Promise<CommT[]>;
  /** The writer's own state to keep in the checkpoint (given back to createWriter on restore). */
  snapshotState?(checkpointId: number): WriterStateT[];
}

/** Makes committables visible (Flink's Committer); must be idempotent: a committable may be committed again after a restore. */
export interface Committer<CommT> {
  commit(committables: CommT[]): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface Sink<T, CommT = unknown, WriterStateT = unknown> {
  /** `restoredState`: what the writers of the restored checkpoint returned from snapshotState (this subtask's share). */
  createWriter(
    ctx: SinkWriterContext,
    restoredState?: WriterStateT[],
  ): SinkWriter<T, CommT, WriterStateT> | Promise<SinkWriter<T, CommT, WriterStateT>>;
  /** Two-phase-commit sinks: the committer of the committables their writers prepare. */
  createCommitter?(): Committer<CommT> | Promise<Committer<CommT>>;
  /** Short description for the plan, e.g. `FileSink(output/)`. */
  describe(): string;
  /** Where the output goes, for the CLI to tell the user after a run (a path or URL). */
  outputLocation?(): string | undefined;
  validate?(): void;
}
