/**
 * FileSink part files on S3: each part file is a multipart upload whose parts are sent while
 * records come in. With checkpointing the upload is closed at each checkpoint barrier and becomes
 * a committable (upload id and part ETags, kept in the checkpoint); the committer completes it
 * when the checkpoint completes (or after a restore from it), so the object appears exactly once.
 * A new attempt aborts the uploads this subtask left that no completed checkpoint refers to.
 * Without checkpointing each subtask's one part file is completed at end of input.
 */
import type { SinkWriter, SinkWriterContext } from '../../api/sink.js';
import { WeirError } from '../../errors.js';
import { S3RecoverableWriter, baseName, getFileSystem, joinPath, type S3FileSystem, type S3MultipartStream } from '../../fs/index.js';
import type { PendingPartFile } from './file-sink.js';

function writerFor(dir: string): S3RecoverableWriter {
  return new S3RecoverableWriter(getFileSystem(dir) as S3FileSystem);
}

/** Completes a pending part file's upload (idempotent). */
export async function commitS3Part(p: PendingPartFile): Promise<void> {
  await writerFor(p.finalPath).commit({ target: p.finalPath, uploadId: p.upload!.uploadId, parts: p.upload!.parts });
}

/**
 * Aborts this subtask's pending uploads left by earlier attempts (all of them after a restore: the
 * restored checkpoint's committables were completed before the writer is created).
 */
export async function discardS3Uploads(dir: string, subtask: number, attempt: number, restored: boolean, extension: string): Promise<void> {
  const w = writerFor(dir);
  const re = new RegExp(`^part-${subtask}-(\\d+)-\\d+\\.${extension}$`);
  for (const u of await w.pending(joinPath(dir, `part-${subtask}-`))) {
    const m = re.exec(baseName(u.target));
    if (m && (restored || Number(m[1]) < attempt)) await w.abort(u);
  }
}

export function s3PartWriter<T>(
  encode: (record: T) => string,
  dir: string,
  ctx: SinkWriterContext,
  extension: string,
  counter: number,
): SinkWriter<T, PendingPartFile, number> {
  return ctx.checkpointing
    ? new TwoPhaseS3Writer<T>(encode, writerFor(dir), dir, `part-${ctx.subtaskIndex}-${ctx.attempt}-`, `.${extension}`, counter)
    : new S3Writer<T>(encode, writerFor(dir), joinPath(dir, `part-${ctx.subtaskIndex}-${ctx.attempt}.${extension}`));
}

/** Exactly-once: one upload at a time, closed at each barrier (prepareCommit), completed by the committer. */
class TwoPhaseS3Writer<T> implements SinkWriter<T, PendingPartFile, number> {
  private readonly part = new OpenPart();

  constructor(
    private readonly encode: (record: T) => string,
    private readonly writer: S3RecoverableWriter,
    private readonly dir: string,
    private readonly prefix: string,
    private readonly suffix: string,
    private counter: number,
  ) {}

  snapshotState(): number[] {
    return [this.counter];
  }

  write(element: T): void | Promise<void> {
    const line = this.encode(element);
    if (!this.part.isOpen) this.part.open(this.writer, joinPath(this.dir, `${this.prefix}${this.counter++}${this.suffix}`));
    return this.part.write(line);
  }

  async flush(): Promise<void> {
    // Parts are uploaded as they fill; the rest goes with prepareCommit.
  }

  async prepareCommit(): Promise<PendingPartFile[]> {
    const s = await this.part.take();
    if (!s) return [];
    const c = await s.closeForCommit();
    return [{ inProgressPath: c.target, finalPath: c.target, upload: { uploadId: c.uploadId, parts: c.parts } }];
  }

  async close(): Promise<void> {
    // Not part of any checkpoint: the pending upload is aborted by the next attempt.
    await (await this.part.take().catch(() => undefined))?.close();
  }
}

/** The open upload of a writer: records written while it is being created wait for it, later ones go straight to it. */
class OpenPart {
  private stream: S3MultipartStream | undefined;
  private opening: Promise<S3MultipartStream> | undefined;

  get isOpen(): boolean {
    return this.opening !== undefined;
  }

  open(writer: S3RecoverableWriter, target: string): void {
    this.opening = writer.open(target).then((s) => (this.stream = s));
    this.opening.catch(() => undefined);
  }

  write(line: string): void | Promise<void> {
    if (this.stream) return this.stream.write(line);
    return this.opening!.then((s) => s.write(line));
  }

  /** The open stream (awaited), leaving none open. */
  async take(): Promise<S3MultipartStream | undefined> {
    const p = this.opening;
    this.opening = undefined;
    this.stream = undefined;
    return p;
  }
}

/** Without checkpointing: one part file per subtask, completed at end of input or close. */
class S3Writer<T> implements SinkWriter<T> {
  private readonly part = new OpenPart();
  private done = false;

  constructor(
    private readonly encode: (record: T) => string,
    private readonly writer: S3RecoverableWriter,
    private readonly target: string,
  ) {}

  write(element: T): void | Promise<void> {
    if (this.done) throw new WeirError('WEIR_INTERNAL', `FileSink writer for ${this.target} was written to after it was finished`);
    const line = this.encode(element);
    if (!this.part.isOpen) this.part.open(this.writer, this.target);
    return this.part.write(line);
  }

  async flush(endOfInput: boolean): Promise<void> {
    if (endOfInput) await this.finish();
  }

  async close(): Promise<void> {
    await this.finish(true);
  }

  private async finish(closing = false): Promise<void> {
    if (this.done) return;
    this.done = true;
    const s = await this.part.take().catch((e: unknown) => {
      if (closing) return undefined;
      throw e;
    });
    if (!s) return;
    if (s.failed) {
      await this.writer.abort({ target: s.target, uploadId: s.uploadId });
      return;
    }
    await this.writer.commit(await s.closeForCommit());
  }
}
