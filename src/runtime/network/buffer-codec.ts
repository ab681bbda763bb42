/**
 * Serialises record batches for one channel. Encoder and decoder are per channel and sequential:
 * what a buffer needs to describe once (a record shape, a MessagePack structure) is described in
 * the first buffer that uses it and referenced afterwards, so the decoder must see buffers in the
 * order they were encoded (channels guarantee that).
 *
 * Two layouts:
 * - Columnar, when every record of the batch is a number, every record is a string, or every
 *   record is a plain object with the same keys in the same order (the common case: records built
 *   by the same function). Each field becomes a column: numbers as int32 when they all are (they
 *   decode to small integers again, not to boxed doubles) else as float64 (exact, -0 and NaN
 *   included), strings as UTF-8 bytes with their lengths, anything else (nested objects, arrays,
 *   null, booleans, mixed types) as one MessagePack array. Encoding reads fields with a reader
 *   generated per shape, decoding builds records with a constructor generated per shape, so
 *   decoded records share one hidden class.
 * - MessagePack of `[values, timestamps]` (shared structures, msgpackr's records) for everything
 *   else: mixed shapes, class instances, Dates, Maps, typed arrays.
 *
 * Both layouts check that class instances (in a record, its fields and their fields) are of
 * registered classes (record-classes.ts): the columnar one in the fields it packs as MessagePack
 * (checkFieldColumn).
 *
 * Both layouts give back what MessagePack gave back before: plain objects for plain objects (with
 * their keys in order), the same numbers and strings, undefined where a field was undefined.
 */
import { Packr } from 'msgpackr';
import { checkFieldColumn, checkRecordClasses } from '../serialization/record-classes.js';
import {
  ANNOUNCE,
  COL_ASCII,
  COL_F64,
  COL_I32,
  COL_PACKED,
  COL_UTF8,
  KIND_COLUMNAR,
  KIND_MSGPACK,
  MAX_KEYS,
  MAX_SHAPES,
  OBJECT_PROTO,
  SCALAR,
  TS_ALL,
  TS_NONE,
  TS_SOME,
  literal,
  type NativeBuffer,
  type Timestamps,
} from './batch-layout.js';

export { BatchDecoder } from './batch-decoder.js';

// ------------------------------------------------------------------------------------------------
// Encoding

/**
 * The scratch buffer every encoder of this thread writes into (encoding is synchronous and never
 * re-entered), with typed views for aligned column writes.
 */
class Scratch {
  buf: NativeBuffer;
  f64: Float64Array;
  u32: Uint32Array;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafeSlow(size) as NativeBuffer;
    this.f64 = new Float64Array(this.buf.buffer, this.buf.byteOffset, this.buf.length >> 3);
    this.u32 = new Uint32Array(this.buf.buffer, this.buf.byteOffset, this.buf.length >> 2);
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(this.pos + n);
  }

  private grow(min: number): void {
    let size = this.buf.length * 2;
    while (size < min) size *= 2;
    const old = this.buf;
    this.buf = Buffer.allocUnsafeSlow(size) as NativeBuffer;
    old.copy(this.buf, 0, 0, this.pos);
    this.f64 = new Float64Array(this.buf.buffer, this.buf.byteOffset, this.buf.length >> 3);
    this.u32 = new Uint32Array(this.buf.buffer, this.buf.byteOffset, this.buf.length >> 2);
  }

  u8(x: number): void {
    this.ensure(1);
    this.buf[this.pos++] = x;
  }

  /** Pads to a multiple of `a` (a power of two; the scratch buffer itself is 8-aligned). */
  align(a: number): void {
    const p = (this.pos + a - 1) & ~(a - 1);
    this.ensure(p - this.pos);
    this.pos = p;
  }

  u32At(x: number): void {
    this.align(4);
    this.ensure(4);
    this.u32[this.pos >> 2] = x;
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A copy of what was written, in its own ArrayBuffer (so it can be transferred), starting at offset 0. */
  take(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }
}

const scratch = new Scratch(1 << 16);

interface EncoderShape {
  id: number;
  announced: boolean;
  keys: string[];
  /** Whether `v` is a plain object with exactly these own enumerable keys, in this order. */
  matches: (v: unknown) => boolean;
  /** Copies the fields of values[0..n) into the columns. */
  read: (values: unknown[], n: number, columns: unknown[][]) => void;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === OBJECT_PROTO || p === null;
}

/** The keys of a record that can go columnar, or undefined. */
function shapeKeys(v: unknown): string[] | undefined {
  if (!isPlainObject(v)) return undefined;
  const keys: string[] = [];
  for (const k in v) {
    // '__proto__' would mean something else in the generated object literal
    if (keys.length === MAX_KEYS || k === '__proto__') return undefined;
    keys.push(k);
  }
  return keys;
}

/** Generated field readers by key signature, shared by every channel of this thread. */
const compiledReaders = new Map<string, Pick<EncoderShape, 'matches' | 'read'>>();

function compileShape(id: number, keys: string[]): EncoderShape {
  const sig = keys.join('\u0000');
  let fns = compiledReaders.get(sig);
  if (fns === undefined) {
    fns = compileReaders(keys);
    compiledReaders.set(sig, fns);
  }
  return { id, announced: false, keys, matches: fns.matches, read: fns.read };
}

function compileReaders(keys: string[]): Pick<EncoderShape, 'matches' | 'read'> {
  const n = keys.length;
  const matches = new Function(
    'keys',
    'proto',
    `return function matches(v) {
  if (typeof v !== 'object' || v === null) return false;
  const p = Object.getPrototypeOf(v);
  if (p !== proto && p !== null) return false;
  let i = 0;
  for (const k in v) { if (i === ${n} || k !== keys[i]) return false; i++; }
  return i === ${n};
};`,
  )(keys, OBJECT_PROTO) as EncoderShape['matches'];
  const read = new Function(
    `return function read(values, n, columns) {
${keys.map((_, j) => `  const c${j} = columns[${j}];`).join('\n')}
  for (let i = 0; i < n; i++) {
    const v = values[i];
${keys.map((k, j) => `    c${j}[i] = v[${literal(k)}];`).join('\n')}
  }
};`,
  )() as EncoderShape['read'];
  return { matches, read };
}

export class BatchEncoder {
  private readonly packr = new Packr({ sequential: true });
  private readonly shapes = new Map<string, EncoderShape>();
  private last: EncoderShape | undefined;
  private columns: unknown[][] = [];

  /** Returns a buffer that owns its memory (safe to transfer to another thread). */
  encode(values: unknown[], timestamps: Timestamps): Uint8Array {
    const n = values.length;
    const s = scratch;
    s.pos = 0;
    if (n > 0) {
      const first = values[0];
      if (typeof first === 'number' || typeof first === 'string') {
        if (this.allSameScalar(values, n, typeof first)) return this.encodeColumnar(values, n, timestamps, undefined);
      } else {
        const shape = this.shapeOf(values, n);
        if (shape !== undefined) return this.encodeColumnar(values, n, timestamps, shape);
      }
    }
    for (let i = 0; i < n; i++) checkRecordClasses(values[i], 'A record');
    s.u8(KIND_MSGPACK);
    s.bytes(this.packr.pack([values, timestamps]));
    return s.take();
  }

  private allSameScalar(values: unknown[], n: number, type: string): boolean {
    for (let i = 1; i < n; i++) if (typeof values[i] !== type) return false;
    return true;
  }

  /** The shape every record of the batch has, if they share one. */
  private shapeOf(values: unknown[], n: number): EncoderShape | undefined {
    let shape = this.last;
    if (shape === undefined || !shape.matches(values[0])) {
      const keys = shapeKeys(values[0]);
      if (keys === undefined) return undefined;
      const sig = keys.join('\u0000');
      shape = this.shapes.get(sig);
      if (shape === undefined) {
        if (this.shapes.size >= MAX_SHAPES) return undefined;
        shape = compileShape(this.shapes.size, keys);
        this.shapes.set(sig, shape);
      }
    }
    const matches = shape.matches;
    for (let i = 1; i < n; i++) if (!matches(values[i])) return undefined;
    this.last = shape;
    return shape;
  }

  private encodeColumnar(values: unknown[], n: number, timestamps: Timestamps, shape: EncoderShape | undefined): Uint8Array {
    const s = scratch;
    s.u8(KIND_COLUMNAR);
    s.u32At(n);
    if (shape === undefined) s.u32At(SCALAR);
    else if (shape.announced) s.u32At(shape.id);
    else {
      shape.announced = true;
      s.u32At(shape.id | ANNOUNCE);
      const json = JSON.stringify(shape.keys);
      s.align(4);
      s.ensure(4 + json.length * 3);
      const at = s.pos;
      s.pos += 4;
      const len = s.buf.utf8Write(json, s.pos);
      s.u32[at >> 2] = len;
      s.pos += len;
    }
    this.writeTimestamps(timestamps, n);
    if (shape === undefined) {
      this.writeColumn(values, n);
    } else {
      const k = shape.keys.length;
      const cols = this.columns;
      while (cols.length < k) cols.push([]);
      shape.read(values, n, cols);
      for (let j = 0; j < k; j++) {
        this.writeColumn(cols[j]!, n);
        cols[j]!.length = 0;
      }
    }
    return s.take();
  }

  private writeTimestamps(ts: Timestamps, n: number): void {
    const s = scratch;
    let present = 0;
    if (ts !== null) for (let i = 0; i < n; i++) if (ts[i] !== undefined) present++;
    if (present === 0) {
      s.u8(TS_NONE);
      return;
    }
    s.u8(present === n ? TS_ALL : TS_SOME);
    if (present !== n) {
      s.ensure(n);
      for (let i = 0; i < n; i++) s.buf[s.pos + i] = ts![i] === undefined ? 0 : 1;
      s.pos += n;
    }
    s.align(8);
    s.ensure(n * 8);
    const f = s.f64;
    const base = s.pos >> 3;
    for (let i = 0; i < n; i++) f[base + i] = ts![i] ?? 0;
    s.pos += n * 8;
  }

  private writeColumn(col: unknown[], n: number): void {
    const s = scratch;
    const t = typeof col[0];
    let type = t === 'number' ? COL_F64 : t === 'string' ? COL_ASCII : COL_PACKED;
    if (type !== COL_PACKED) {
      for (let i = 1; i < n; i++) {
        if (typeof col[i] !== t) {
          type = COL_PACKED;
          break;
        }
      }
    }
    if (type === COL_F64) {
      let int32 = true;
      for (let i = 0; i < n; i++) {
        const x = col[i] as number;
        if ((x | 0) !== x || (x === 0 && 1 / x < 0)) {
          int32 = false;
          break;
        }
      }
      if (int32) {
        s.u8(COL_I32);
        s.align(4);
        s.ensure(n * 4);
        const u = s.u32;
        const base = s.pos >> 2;
        // the bits of the int32 (decoded with an Int32Array view)
        for (let i = 0; i < n; i++) u[base + i] = col[i] as number;
        s.pos += n * 4;
      } else {
        s.u8(COL_F64);
        s.align(8);
        s.ensure(n * 8);
        const f = s.f64;
        const base = s.pos >> 3;
        for (let i = 0; i < n; i++) f[base + i] = col[i] as number;
        s.pos += n * 8;
      }
    } else if (type === COL_ASCII) {
      // [type][pad][byte length × n][bytes]; the type becomes UTF-8 if any string is not ASCII
      const typeAt = s.pos;
      s.u8(COL_ASCII);
      s.align(4);
      s.ensure(n * 4);
      const lengths = s.pos >> 2;
      s.pos += n * 4;
      let ascii = true;
      for (let i = 0; i < n; i++) {
        const str = col[i] as string;
        const len = str.length;
        s.ensure(len * 3);
        let b: number;
        if (len < 16) {
          // short strings: a JS loop beats the native call
          const buf = s.buf;
          const at = s.pos;
          let j = 0;
          for (; j < len; j++) {
            const c = str.charCodeAt(j);
            if (c >= 0x80) break;
            buf[at + j] = c;
          }
          b = j === len ? len : buf.utf8Write(str, at);
        } else b = s.buf.utf8Write(str, s.pos);
        if (b !== len) ascii = false;
        s.u32[lengths + i] = b;
        s.pos += b;
      }
      if (!ascii) s.buf[typeAt] = COL_UTF8;
    } else {
      // Only fields that are not all numbers or all strings are checked for class instances.
      checkFieldColumn(col, n);
      s.u8(COL_PACKED);
      const packed = this.packr.pack(n === col.length ? col : col.slice(0, n));
      s.u32At(packed.length);
      s.bytes(packed);
    }
  }
}
