/**
 * A Sink that checksums what it receives instead of storing it (results are never materialized).
 * Each subtask keeps a running Checksum (or the last row hash per key, for changelog results) and,
 * at the end of its input, writes it as one small JSON file `part-<subtask>.json` under `dir`; the
 * benchmark adds the parts up (checksums are sums, so parts combine in any order).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sink, SinkWriter, SinkWriterContext } from 'weir';
import { Checksum, UpsertChecksum, type ChecksumValue } from './checksum.js';

export class ChecksumSink<T> implements Sink<T> {
  constructor(
    private readonly dir: string,
    private readonly hash: (row: T) => number,
    private readonly upsertKey?: (row: T) => unknown,
  ) {}

  createWriter(ctx: SinkWriterContext): SinkWriter<T> {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `part-${ctx.subtaskIndex}.json`);
    return this.upsertKey ? new UpsertWriter(file, this.hash, this.upsertKey) : new AppendWriter(file, this.hash);
  }

  describe(): string {
    return `ChecksumSink(${this.dir})`;
  }

  outputLocation(): string {
    return this.dir;
  }
}

class AppendWriter<T> implements SinkWriter<T> {
  private readonly sum = new Checksum();
  constructor(
    private readonly file: string,
    private readonly hash: (row: T) => number,
  ) {}
  write(element: T): void {
    this.sum.add(this.hash(element));
  }
  flush(endOfInput: boolean): void {
    if (endOfInput) writeFileSync(this.file, JSON.stringify(this.sum.value()));
  }
  close(): void {}
}

class UpsertWriter<T> implements SinkWriter<T> {
  private readonly rows = new UpsertChecksum();
  constructor(
    private readonly file: string,
    private readonly hash: (row: T) => number,
    private readonly key: (row: T) => unknown,
  ) {}
  write(element: T): void {
    this.rows.put(this.key(element), this.hash(element));
  }
  flush(endOfInput: boolean): void {
    if (endOfInput) writeFileSync(this.file, JSON.stringify(this.rows.checksum().value()));
  }
  close(): void {}
}

/** Adds up the parts the subtasks wrote. */
export function readChecksum(dir: string): Checksum {
  const total = new Checksum();
  for (const f of readdirSync(dir)) {
    if (f.startsWith('part-') && f.endsWith('.json')) total.merge(JSON.parse(readFileSync(join(dir, f), 'utf8')) as ChecksumValue);
  }
  return total;
}
