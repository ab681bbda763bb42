/**
 * FileSource.lines(path): a bounded source of the text lines (UTF-8, \n or \r\n) of a file or of
 * every visible regular file under a directory, one split per file, files in name order. Readers
 * read chunks asynchronously and keep the byte offset of the next unread line exact, so a
 * checkpoint resumes mid-file.
 */
import fs from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeirError } from '../../errors.js';
import { S3FileSystem, canonicalLocation, getFileSystem, isRemote } from '../../fs/index.js';
import type {
  Boundedness,
  InputStatus,
  ReaderOutput,
  Source,
  SourceReader,
  SourceReaderContext,
  SourceSplit,
  SplitEnumeratorContext,
} from '../../api/source.js';
import {
  AvailabilitySignal,
  DEFAULT_BATCH_SIZE,
  SplitAssignments,
  StaticSplitEnumerator,
  type StaticEnumState,
} from '../base/split-reader.js';
import { SplitOutputs } from '../base/split-outputs.js';

/** One file: `offset` is the byte offset of the next unread line, `line` its 0-based line number. */
export interface FileSourceSplit extends SourceSplit {
  path: string;
  offset: number;
  line: number;
}

export interface FileSourceOptions {
  /** Bytes per read (default 256 KiB). Small values are for tests. */
  chunkSize?: number;
}

const DEFAULT_CHUNK_SIZE = 256 * 1024;

export class FileSource implements Source<string, FileSourceSplit, StaticEnumState<FileSourceSplit>> {
  readonly boundedness: Boundedness = 'BOUNDED';
  /** Absolute, resolved against the program's working directory when the source was built. */
  readonly path: string;
  readonly chunkSize: number;

  private constructor(p: string, options: FileSourceOptions) {
    if (typeof p !== 'string' || p === '') throw new WeirError('WEIR_BAD_PIPELINE', 'FileSource.lines() needs a file or directory path');
    this.path = isRemote(p) ? canonicalLocation(p) : path.resolve(process.cwd(), p.startsWith('file:') ? fileURLToPath(p) : p);
    const chunk = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunk) || chunk < 1)
      throw new WeirError('WEIR_BAD_PIPELINE', `FileSource: chunkSize must be a positive integer, got ${chunk}`);
    this.chunkSize = chunk;
  }

  /** The lines of a file, or of all visible files under a directory (recursively, in name order). */
  static lines(p: string, options: FileSourceOptions = {}): FileSource {
    return new FileSource(p, options);
  }

  validate(): void {
    // An object store is checked when the enumerator lists it (the client may not reach it).
    if (!isRemote(this.path) && !fs.existsSync(this.path)) throw notFound(this.path);
  }

  createEnumerator(
    ctx: SplitEnumeratorContext<FileSourceSplit>,
    restored?: StaticEnumState<FileSourceSplit>,
  ): StaticSplitEnumerator<FileSourceSplit> {
    return new StaticSplitEnumerator(ctx, restored, async () =>
      (await listFiles(this.path)).map((f) => ({ splitId: f, path: f, offset: 0, line: 0 })),
    );
  }

  createReader(ctx: SourceReaderContext): SourceReader<string, FileSourceSplit> {
    return new FileLineReader(ctx, this.chunkSize);
  }

  describe(): string {
    return `FileSource(${this.path})`;
  }
}

function notFound(p: string, cause?: unknown): WeirError {
  return new WeirError(
    'WEIR_INPUT_NOT_FOUND',
    `Input path ${p} does not exist: check the path given to FileSource.lines() (relative paths are resolved against the directory the program runs in)`,
    {},
    { cause },
  );
}

/** Hidden and "_"-prefixed entries are skipped, as Flink's default file filter does (in-progress and marker files). */
function isHidden(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/** The regular files at `root` (itself, if it is a file), sorted by path. */
export async function listFiles(root: string): Promise<string[]> {
  if (isRemote(root)) return listRemoteFiles(root);
  let st: fs.Stats;
  try {
    st = await stat(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(root, e);
    throw e;
  }
  if (st.isFile()) return [root];
  if (!st.isDirectory()) return [];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (isHidden(e.name)) continue;
      const full = path.join(dir, e.name);
      let isFile = e.isFile();
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        const t = await stat(full).catch(() => undefined);
        isFile = t?.isFile() ?? false;
        isDir = t?.isDirectory() ?? false;
      }
      if (isFile) out.push(full);
      else if (isDir) await walk(full);
    }
  };
  await walk(root);
  // Relative paths compare as the user sees them: a/b before a0 (path separator sorts first).
  const rel = (f: string) => path.relative(root, f).split(path.sep);
  return out.sort((a, b) => compareSegments(rel(a), rel(b)));
}

/** The objects at an s3:// location: the object itself, or every visible object under the prefix. */
async function listRemoteFiles(root: string): Promise<string[]> {
  const fs = getFileSystem(root);
  const st = await fs.stat(root);
  if (!st) throw notFound(root);
  if (!st.isDir) return [root];
  const all = fs instanceof S3FileSystem ? await fs.listRecursive(root) : [];
  return all
    .filter((f) => !f.name.split('/').some(isHidden))
    .sort((a, b) => compareSegments(a.name.split('/'), b.name.split('/')))
    .map((f) => f.path);
}

function compareSegments(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Reads one split at a time. `buf` holds [carry | new bytes]: the carry is the incomplete last
 * line of the previous read, so lines are cut at '\n' bytes (which never occur inside a UTF-8
 * multi-byte sequence) and only complete lines are decoded. At most one read is in flight and
 * at most about two chunks of decoded lines wait, so memory stays bounded whatever the file size.
 */
class FileLineReader implements SourceReader<string, FileSourceSplit> {
  private current: FileSourceSplit | undefined;
  private closed = false;
  private readonly signal = new AvailabilitySignal();
  private readonly splits: SplitAssignments<FileSourceSplit>;
  /** Each file split emits through its own output (per-split watermarks). */
  private readonly outputs = new SplitOutputs<string>();

  // State of the current split.
  private fh: FileHandle | undefined;
  private buf: Buffer;
  private carryLen = 0;
  /** File offset of buf[0]. */
  private bufFileOffset = 0;
  /** File offset of the next byte to read. */
  private readPos = 0;
  private eof = false;
  private reading: Promise<void> | undefined;
  private error: unknown;
  /** Decoded lines not emitted yet (from idx), and the file offset just after each. */
  private lines: string[] = [];
  private ends: number[] = [];
  private idx = 0;
  /** File offset just after the last decoded line. */
  private decodedEnd = 0;

  constructor(
    private readonly ctx: SourceReaderContext,
    private readonly chunkSize: number,
  ) {
    this.buf = Buffer.allocUnsafe(chunkSize);
    this.splits = new SplitAssignments<FileSourceSplit>(ctx, this.signal);
  }

  start(): void {
    if (!this.current && this.splits.pending.length === 0) this.splits.request();
  }

  pollNext(output: ReaderOutput<string>): InputStatus {
    let emitted = 0;
    for (;;) {
      if (this.error !== undefined) throw this.error;
      const split = this.current;
      if (!split) {
        const next = this.splits.next();
        if (!next) {
          if (this.splits.noMoreSplits) return emitted > 0 ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
          this.splits.request();
          return emitted > 0 ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
        }
        this.openSplit(next);
        this.outputs.added(next.splitId);
        this.outputs.sync(output);
        continue;
      }
      const avail = this.lines.length - this.idx;
      if (avail > 0) {
        const n = Math.min(avail, DEFAULT_BATCH_SIZE - emitted);
        const lines = this.lines;
        const end = this.idx + n;
        const out = this.outputs.get(split.splitId, output);
        for (let i = this.idx; i < end; i++) out.collect(lines[i] as string);
        this.idx = end;
        split.offset = this.ends[end - 1] as number;
        split.line += n;
        emitted += n;
        if (this.idx === lines.length) {
          this.lines = [];
          this.ends = [];
          this.idx = 0;
        }
        this.maybeRead();
        if (emitted >= DEFAULT_BATCH_SIZE) return 'MORE_AVAILABLE';
        continue;
      }
      if (this.eof && !this.reading) {
        this.outputs.finished(split.splitId);
        this.finishSplit();
        this.outputs.sync(output);
        continue;
      }
      this.maybeRead();
      return emitted > 0 ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
    }
  }

  isAvailable(): Promise<void> {
    let ready: boolean;
    if (this.error !== undefined) ready = true;
    else if (this.current) ready = this.lines.length > this.idx || (this.eof && !this.reading);
    else ready = this.splits.ready;
    return ready ? Promise.resolve() : this.signal.wait();
  }

  addSplits(splits: FileSourceSplit[]): void {
    this.splits.add(splits);
  }

  notifyNoMoreSplits(): void {
    this.splits.noMore();
  }

  snapshotState(): FileSourceSplit[] {
    const out: FileSourceSplit[] = [];
    if (this.current) out.push({ ...this.current });
    for (const s of this.splits.pending) out.push({ ...s });
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.signal.notify();
    // An in-flight read still uses the handle; it closes it when it sees `closed`.
    if (this.reading) return;
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
  }

  private openSplit(split: FileSourceSplit): void {
    this.current = split;
    this.carryLen = 0;
    this.bufFileOffset = split.offset;
    this.readPos = split.offset;
    this.decodedEnd = split.offset;
    this.eof = false;
    this.lines = [];
    this.ends = [];
    this.idx = 0;
    this.maybeRead();
  }

  private finishSplit(): void {
    const fh = this.fh;
    this.fh = undefined;
    if (fh) void fh.close().catch(() => undefined);
    this.current = undefined;
    if (this.splits.pending.length === 0) this.splits.request();
  }

  /** Starts the next read unless one is in flight, the file is done, or a chunk's worth of lines already waits. */
  private maybeRead(): void {
    const split = this.current;
    if (!split || this.reading || this.eof || this.closed) return;
    if (this.decodedEnd - split.offset >= this.chunkSize) return;
    this.reading = this.readChunk(split).then(
      () => {
        this.reading = undefined;
        if (this.closed) this.releaseAfterClose();
        this.signal.notify();
      },
      (e: unknown) => {
        this.reading = undefined;
        if (this.closed) this.releaseAfterClose();
        this.error =
          (e as NodeJS.ErrnoException)?.code === 'ENOENT'
            ? notFound(split.path, e)
            : new WeirError('WEIR_JOB_FAILED', `FileSource cannot read ${split.path}: ${(e as Error)?.message ?? e}`, {}, { cause: e });
        this.signal.notify();
      },
    );
  }

  private releaseAfterClose(): void {
    const fh = this.fh;
    this.fh = undefined;
    if (fh) void fh.close().catch(() => undefined);
  }

  private async readChunk(split: FileSourceSplit): Promise<void> {
    const remote = isRemote(split.path);
    if (!remote && !this.fh) this.fh = await open(split.path, 'r');
    if (this.closed) return;
    // A line longer than the buffer: grow it so every read still has about a chunk of room.
    if (this.buf.length - this.carryLen < Math.ceil(this.chunkSize / 2)) {
      const bigger = Buffer.allocUnsafe(this.carryLen + this.chunkSize);
      this.buf.copy(bigger, 0, 0, this.carryLen);
      this.buf = bigger;
    }
    const len = Math.min(this.chunkSize, this.buf.length - this.carryLen);
    let bytesRead: number;
    if (remote) {
      // Ranged GETs of a chunk each: the position is all a split's checkpoint needs.
      const chunk = await getFileSystem(split.path).readRange(split.path, this.readPos, len);
      chunk.copy(this.buf, this.carryLen);
      bytesRead = chunk.length;
    } else {
      ({ bytesRead } = await this.fh!.read(this.buf, this.carryLen, len, this.readPos));
    }
    if (this.closed || this.current !== split) return;
    this.readPos += bytesRead;
    this.decode(bytesRead);
  }

  /** Cuts the complete lines out of buf[0 .. carryLen + n) and keeps the rest as the new carry. */
  private decode(n: number): void {
    const buf = this.buf;
    const dataEnd = this.carryLen + n;
    if (this.idx > 0) {
      this.lines = this.lines.slice(this.idx);
      this.ends = this.ends.slice(this.idx);
      this.idx = 0;
    }
    const lines = this.lines;
    const ends = this.ends;
    const base = this.bufFileOffset;
    const view = n > 0 ? buf.subarray(0, dataEnd) : buf;
    let start = 0;
    if (n > 0) {
      let nl = view.indexOf(10, this.carryLen);
      while (nl !== -1) {
        const end = nl > start && view[nl - 1] === 13 ? nl - 1 : nl;
        lines.push(this.decodeLine(view, start, end, base + start));
        ends.push(base + nl + 1);
        start = nl + 1;
        nl = view.indexOf(10, start);
      }
    } else {
      // End of file: what is left is a last line without a newline.
      this.eof = true;
      if (this.carryLen > 0) {
        const end = view[this.carryLen - 1] === 13 ? this.carryLen - 1 : this.carryLen;
        lines.push(this.decodeLine(view, 0, end, base));
        ends.push(base + this.carryLen);
        start = this.carryLen;
      }
    }
    const rest = dataEnd - start;
    if (rest > 0 && start > 0) buf.copy(buf, 0, start, dataEnd);
    this.carryLen = n > 0 ? rest : 0;
    this.bufFileOffset = base + start;
    if (ends.length > 0) this.decodedEnd = ends[ends.length - 1] as number;
  }

  private decodeLine(buf: Buffer, start: number, end: number, fileOffset: number): string {
    // A UTF-8 byte order mark at the start of a file is not part of the first line.
    if (fileOffset === 0 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    return buf.toString('utf8', start, end);
  }
}
