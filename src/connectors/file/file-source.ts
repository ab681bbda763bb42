/**
 * FileSource.lines(path): a bounded source of the text lines (UTF-8, \n or \r\n) of a file or of
 * every visible regular file under a directory, one split per file, files in name order. Readers
 * read chunks asynchronously and keep the byte offset of the next unread line exact, so a
 * checkpoint resumes mid-file.
 */
import fs from 'node:fs';

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeirError } from '../../errors.js';
import { canonicalLocation, isRemote } from '../../fs/index.js';
import type { Boundedness, Source, SourceReader, SourceReaderContext, SourceSplit, SplitEnumeratorContext } from '../../api/source.js';
import { StaticSplitEnumerator, type StaticEnumState } from '../base/split-reader.js';

import { FileLineReader } from './file-line-reader.js';
import { listFiles, notFound } from './file-listing.js';

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
