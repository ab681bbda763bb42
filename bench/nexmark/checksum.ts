/**
 * Order-insensitive result checksums. Every result row is hashed to 32 bits (murmur3 mixing over
 * its fields, in a fixed field order); a checksum is the row count and two sums modulo 2^32 of the
 * row hashes (the second of a remixed hash), so it does not depend on the order in which parallel
 * subtasks produce rows, and partial checksums of subtasks add up.
 *
 * Queries whose result is a changelog (updates per key, e.g. q4's running average per category)
 * check the final row per key instead: see UpsertChecksum.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes a number into `h`: 32-bit integers directly, other integers as two halves, other numbers by their IEEE bits. */
export function hashNum(h: number, x: number): number {
  if ((x | 0) === x) return mix(h, x);
  if (Number.isSafeInteger(x)) return mix(mix(h, x >>> 0), Math.floor(x / 4294967296) | 0);
  f64[0] = x;
  return mix(mix(h, u32[0]!), u32[1]!);
}

/**
 * Mixes a string into `h`: its length and up to ~16 of its UTF-16 code units (all of them when
 * it is short, else evenly spaced ones, always the last). Hashing every character of the long
 * padding strings Nexmark rows carry would cost more than generating them (the checksum is work
 * every implementation does, so it should stay small next to the work being compared), and a
 * sampled hash still catches truncation, reordering and most garbling.
 */
export function hashStr(h: number, s: string): number {
  const n = s.length;
  const step = n <= 16 ? 1 : n >> 4;
  for (let i = 0; i < n; i += step) h = mix(h, s.charCodeAt(i));
  if (n > 0) h = mix(h, s.charCodeAt(n - 1));
  return mix(h, n);
}

/** The finished 32-bit hash of a row built with hashNum/hashStr. */
export function hashEnd(h: number): number {
  return fmix(h);
}

export interface ChecksumValue {
  count: number;
  s1: number;
  s2: number;
}

export class Checksum implements ChecksumValue {
  count = 0;
  s1 = 0;
  s2 = 0;

  /** Adds one row, given its hash. */
  add(h: number): void {
    this.count++;
    this.s1 = (this.s1 + h) >>> 0;
    this.s2 = (this.s2 + fmix(h ^ 0x9e3779b9)) >>> 0;
  }

  merge(o: ChecksumValue): this {
    this.count += o.count;
    this.s1 = (this.s1 + o.s1) >>> 0;
    this.s2 = (this.s2 + o.s2) >>> 0;
    return this;
  }

  value(): ChecksumValue {
    return { count: this.count, s1: this.s1, s2: this.s2 };
  }

  toString(): string {
    return formatChecksum(this);
  }
}

export function formatChecksum(c: ChecksumValue): string {
  return `${c.count}:${c.s1.toString(16).padStart(8, '0')}${c.s2.toString(16).padStart(8, '0')}`;
}

/** Keeps the hash of the latest row per key; the checksum is over the final rows. */
export class UpsertChecksum {
  private readonly rows = new Map<unknown, number>();
  put(key: unknown, h: number): void {
    this.rows.set(key, h);
  }
  checksum(): Checksum {
    const c = new Checksum();
    for (const h of this.rows.values()) c.add(h);
    return c;
  }
}

/** Collects result rows of one query run, through the query's row hash. */
export interface RowSink<R> {
  emit(row: R): void;
}

/** A RowSink that checksums append rows, or final rows per key for upsert queries. */
export class ChecksumRowSink<R> implements RowSink<R> {
  private readonly append = new Checksum();
  private readonly upsert: UpsertChecksum | undefined;
  constructor(
    private readonly hash: (row: R) => number,
    private readonly keyOf?: (row: R) => unknown,
  ) {
    if (keyOf) this.upsert = new UpsertChecksum();
  }
  emit(row: R): void {
    if (this.upsert) this.upsert.put(this.keyOf!(row), this.hash(row));
    else this.append.add(this.hash(row));
  }
  checksum(): Checksum {
    return this.upsert ? this.upsert.checksum() : this.append;
  }
}
