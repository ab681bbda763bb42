/**
 * Sinks (Flink's Sink V2): one SinkWriter per parallel subtask. `write` may return a promise
 * when the sink is slow; the task waits for it before the next record, which is how a slow
 * sink backpressures the job.
 */
export interface SinkWriterContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly jobId: string;
  readonly attempt: number;
}

export interface SinkWriter<T> {
  write(element: T, timestamp: number | undefined): void | Promise<void>;
  /** Makes everything written so far durable/visible; `endOfInput` when no more records follow. */
  flush(endOfInput: boolean): void | Promise<void>;
  close(): void | Promise<void>;
}

export interface Sink<T> {
  createWriter(ctx: SinkWriterContext): SinkWriter<T> | Promise<SinkWriter<T>>;
  /** Short description for the plan, e.g. `FileSink(output/)`. */
  describe(): string;
  /** Where the output goes, for the CLI to tell the user after a run (a path or URL). */
  outputLocation?(): string | undefined;
  validate?(): void;
}
