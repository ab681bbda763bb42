/**
 * FileSource's reader: the lines of one file split at a time, read in chunks, with the byte offset
 * of the next unread line kept exact for checkpoints.
 */

import { open, type FileHandle } from 'node:fs/promises';

import { WeirError } from '../../errors.js';
import { getFileSystem, isRemote } from '../../fs/index.js';
import type { InputStatus, ReaderOutput, SourceReader, SourceReaderContext } from '../../api/source.js';
import { AvailabilitySignal, DEFAULT_BATCH_SIZE, SplitAssignments } from '../base/split-reader.js';
import { SplitOutputs } from '../base/split-outputs.js';
import type { FileSourceSplit } from './file-source.js';
import { notFound } from './file-listing.js';

/**
 * Reads one split at a time. `buf` holds [carry | new bytes]: the carry is the incomplete last
 * line of the previous read, so lines are cut at '\n' bytes (which never occur inside a UTF-8
 * multi-byte sequence) and only complete lines are decoded. At most one read is in flight and
 * at most about two chunks of decoded lines wait, so memory stays bounded whatever the file size.
 */
export class FileLineReader implements SourceReader<string, FileSourceSplit> {
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
