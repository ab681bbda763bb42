/**
 * FileSink.jsonLines(dir): each record becomes one JSON line. A part file is written as a hidden
 * `.<name>.inprogress` file and becomes visible under `<name>` when it is committed (renamed).
 * Writes are buffered; write() returns a promise only when the buffer is full (backpressure).
 *
 * - Without checkpointing each subtask writes one part file, `part-<subtask>-<attempt>.jsonl`,
 *   committed at end of input or close.
 * - With checkpointing the sink is exactly-once (two-phase commit): at each checkpoint barrier the
 *   in-progress file is closed and becomes pending (`prepareCommit`; the pending file is kept in the
 *   checkpoint), and the committer renames it when the checkpoint completes, or when the job restores
 *   from that checkpoint. Part files are `part-<subtask>-<attempt>-<counter>.jsonl`; the counter is
 *   checkpointed, so names never collide across checkpoints, attempts or a job resumed from a
 *   retained checkpoint. A new attempt deletes the in-progress files this subtask left behind (what
 *   they held is replayed from the checkpoint).
 */
import fs from 'node:fs';
import { access, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { WeirError } from '../../errors.js';
import { canonicalLocation, ensureDir, fileIoError, isRemote } from '../../fs/index.js';
import { s3PartWriter, commitS3Part, discardS3Uploads } from './s3-part-files.js';
import type { Committer, Sink, SinkWriter, SinkWriterContext } from '../../api/sink.js';

/** Characters buffered before a write is started: one syscall per ~64 KiB, not per record. */
const FLUSH_CHARS = 64 * 1024;
/** Characters buffered while a write is in flight before write() makes the task wait. */
const MAX_PENDING_CHARS = 1024 * 1024;

/**
 * A part file closed for commit: plain data, so a committer in another thread or after a restore
 * can commit it. On S3 it is a pending multipart upload (`upload`), completed by the commit.
 */
export interface PendingPartFile {
  inProgressPath: string;
  finalPath: string;
  upload?: { uploadId: string; parts: { n: number; etag: string }[] };
}

export class FileSink<T = unknown> implements Sink<T, PendingPartFile, number> {
  /** Absolute, resolved against the program's working directory when the sink was built. */
  readonly dir: string;

  private constructor(
    dir: string,
    private readonly encode: (record: T) => string,
    private readonly extension: string,
  ) {
    if (typeof dir !== 'string' || dir === '') throw new WeirError('WEIR_BAD_PIPELINE', 'FileSink needs an output directory path');
    this.dir = isRemote(dir) || dir.startsWith('file:') ? canonicalLocation(dir) : path.resolve(process.cwd(), dir);
  }

  /** One JSON document per line, in part files under `dir` (created if missing). */
  static jsonLines<T = unknown>(dir: string): FileSink<T> {
    return new FileSink<T>(dir, jsonLine, 'jsonl');
  }

  /** `restoredState`: the part counters of the restored checkpoint; numbering goes on after them. */
  async createWriter(ctx: SinkWriterContext, restoredState?: number[]): Promise<SinkWriter<T, PendingPartFile, number>> {
    if (isRemote(this.dir)) {
      // Object stores: part files are multipart uploads, visible only once completed (Flink's S3 RecoverableWriter).
      if (ctx.checkpointing)
        await discardS3Uploads(this.dir, ctx.subtaskIndex, ctx.attempt, ctx.restoredCheckpointId !== undefined, this.extension);
      const counter = Math.max(0, ...(restoredState ?? []).filter((n) => Number.isSafeInteger(n)));
      return s3PartWriter<T>(this.encode, this.dir, ctx, this.extension, counter);
    }
    await ensureDir(this.dir);
    // A directory the task cannot write to (read-only file system, permissions) fails it now, naming the directory.
    await access(this.dir, fs.constants.W_OK).catch((e: unknown) => {
      throw fileIoError(e, 'FileSink cannot write to the directory', this.dir, 'WEIR_IO');
    });
    if (ctx.checkpointing) {
      await this.discardInProgress(ctx.subtaskIndex, ctx.attempt, ctx.restoredCheckpointId !== undefined);
      const counter = Math.max(0, ...(restoredState ?? []).filter((n) => Number.isSafeInteger(n)));
      return new TwoPhaseFileSinkWriter<T>(
        this.encode,
        this.dir,
        `part-${ctx.subtaskIndex}-${ctx.attempt}-`,
        `.${this.extension}`,
        counter,
      );
    }
    const name = `part-${ctx.subtaskIndex}-${ctx.attempt}.${this.extension}`;
    return new FileSinkWriter<T>(this.encode, path.join(this.dir, `.${name}.inprogress`), path.join(this.dir, name));
  }

  createCommitter(): Committer<PendingPartFile> {
    return {
      async commit(files: PendingPartFile[]): Promise<void> {
        for (const f of files) await commitPendingFile(f);
      },
    };
  }

  /**
   * In-progress files of this subtask left by earlier attempts (all of them after a restore: the
   * pending files of the restored checkpoint were committed before the writer is created), so
   * what is left was never part of a completed checkpoint, and its records are replayed.
   */
  private async discardInProgress(subtask: number, attempt: number, restored: boolean): Promise<void> {
    const re = new RegExp(`^\\.part-${subtask}-(\\d+)-\\d+\\.${this.extension}\\.inprogress$`);
    const names = await readdir(this.dir).catch((e: unknown) => {
      throw fileIoError(e, 'FileSink cannot list the directory', this.dir);
    });
    for (const name of names) {
      const m = re.exec(name);
      if (m && (restored || Number(m[1]) < attempt)) await rm(path.join(this.dir, name), { force: true });
    }
  }

  describe(): string {
    return `FileSink(${this.dir})`;
  }

  outputLocation(): string {
    return this.dir;
  }

  validate(): void {
    if (isRemote(this.dir)) return;
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(this.dir);
    } catch {
      return; // created by the writers
    }
    if (!st.isDirectory())
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `FileSink output ${this.dir} exists and is not a directory: give FileSink.jsonLines() a directory path`,
      );
  }
}

function jsonLine(record: unknown): string {
  const json = JSON.stringify(record);
  return (json === undefined ? 'null' : json) + '\n';
}

class FileSinkWriter<T> implements SinkWriter<T> {
  private part: InProgressPartFile | undefined;
  private done = false;

  constructor(
    private readonly encode: (record: T) => string,
    private readonly inProgressPath: string,
    private readonly finalPath: string,
  ) {}

  write(element: T): void | Promise<void> {
    if (this.done) throw new WeirError('WEIR_INTERNAL', `FileSink writer for ${this.finalPath} was written to after it was finished`);
    // Opened on the first record: a subtask that receives nothing leaves no file, as in Flink.
    this.part ??= new InProgressPartFile(this.inProgressPath, this.finalPath);
    return this.part.append(this.encode(element));
  }

  async flush(endOfInput: boolean): Promise<void> {
    if (!this.part) return;
    if (!endOfInput) return this.part.persist();
    await this.finish();
  }

  async close(): Promise<void> {
    if (this.done || !this.part) return;
    if (this.part.failed) {
      this.done = true;
      await this.part.abort();
      return;
    }
    await this.finish();
  }

  private async finish(): Promise<void> {
    if (this.done || !this.part) return;
    this.done = true;
    const pending = await this.part.closeForCommit();
    await commitPendingFile(pending);
  }
}

/**
 * The exactly-once writer: one in-progress part file at a time, closed at each checkpoint barrier
 * (prepareCommit) and made visible only by the committer. flush(true) writes the rest but commits
 * nothing (the final checkpoint does); close() never commits.
 */
class TwoPhaseFileSinkWriter<T> implements SinkWriter<T, PendingPartFile, number> {
  private part: InProgressPartFile | undefined;

  constructor(
    private readonly encode: (record: T) => string,
    private readonly dir: string,
    private readonly prefix: string,
    private readonly suffix: string,
    /** The next part file's number; restored, so names never repeat along a chain of restores. */
    private counter: number,
  ) {}

  snapshotState(): number[] {
    return [this.counter];
  }

  write(element: T): void | Promise<void> {
    if (!this.part) {
      const name = `${this.prefix}${this.counter++}${this.suffix}`;
      this.part = new InProgressPartFile(path.join(this.dir, `.${name}.inprogress`), path.join(this.dir, name));
    }
    return this.part.append(this.encode(element));
  }

  async flush(): Promise<void> {
    await this.part?.persist();
  }

  /** Closes the current part file (if any record went into it) for commit; later records start a new one. */
  prepareCommit(): Promise<PendingPartFile[]> | PendingPartFile[] {
    const part = this.part;
    if (!part) return [];
    this.part = undefined;
    return part.closeForCommit().then((p) => [p]);
  }

  async close(): Promise<void> {
    const part = this.part;
    this.part = undefined;
    // Not part of any checkpoint: left hidden, deleted by the next attempt.
    await part?.abort();
  }
}

/** Makes a pending part file visible under its final name; idempotent, so a commit may be retried. */
export async function commitPendingFile(p: PendingPartFile): Promise<void> {
  if (p.upload) return commitS3Part(p);
  try {
    await rename(p.inProgressPath, p.finalPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && (await stat(p.finalPath).catch(() => undefined))) return;
    throw fileIoError(e, 'FileSink cannot commit', p.finalPath);
  }
}

/**
 * The open part file: records are appended to a string buffer that is written out in large
 * chunks, one write in flight at a time (writes to one file must stay in order).
 */
class InProgressPartFile {
  private pending = '';
  private inflight: Promise<void> | undefined;
  private fh: FileHandle | undefined;
  private error: unknown;
  /** Bytes durably handed to the file so far (a resumable position for a later 2PC version). */
  private written = 0;

  constructor(
    readonly inProgressPath: string,
    readonly finalPath: string,
  ) {}

  get failed(): boolean {
    return this.error !== undefined;
  }

  append(s: string): void | Promise<void> {
    if (this.error !== undefined) throw this.error;
    this.pending += s;
    if (this.pending.length < FLUSH_CHARS) return;
    if (!this.inflight) {
      this.startWrite();
      return;
    }
    if (this.pending.length < MAX_PENDING_CHARS) return;
    return this.waitForRoom();
  }

  /** Everything appended so far is in the file (not yet fsynced). */
  async persist(): Promise<void> {
    while (this.error === undefined && (this.inflight || this.pending.length > 0)) {
      if (!this.inflight) this.startWrite();
      await this.inflight;
    }
    if (this.error !== undefined) throw this.error;
  }

  /** Writes the rest, syncs and closes the file; the result can be committed. */
  async closeForCommit(): Promise<PendingPartFile> {
    await this.persist();
    const fh =
      this.fh ??
      (await open(this.inProgressPath, 'w').catch((e: unknown) => {
        throw fileIoError(e, 'FileSink cannot write', this.inProgressPath);
      }));
    this.fh = undefined;
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { inProgressPath: this.inProgressPath, finalPath: this.finalPath };
  }

  /** Gives up after a failure: closes the file and leaves the hidden in-progress file behind. */
  async abort(): Promise<void> {
    this.pending = '';
    if (this.inflight) await this.inflight;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  private async waitForRoom(): Promise<void> {
    while (this.inflight && this.pending.length >= MAX_PENDING_CHARS) await this.inflight;
    if (this.error !== undefined) throw this.error;
  }

  private startWrite(): void {
    const data = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    this.inflight = this.writeAll(data).then(
      () => {
        this.inflight = undefined;
        if (this.pending.length >= FLUSH_CHARS) this.startWrite();
      },
      (e: unknown) => {
        this.inflight = undefined;
        this.error = fileIoError(e, 'FileSink cannot write', this.inProgressPath);
      },
    );
  }

  private async writeAll(data: Buffer): Promise<void> {
    this.fh ??= await open(this.inProgressPath, 'w');
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.fh.write(data, off, data.length - off, this.written + off);
      off += bytesWritten;
    }
    this.written += data.length;
  }
}
