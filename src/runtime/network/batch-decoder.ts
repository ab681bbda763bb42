/** Decodes the record batches BatchEncoder (buffer-codec.ts) writes, in the order they were encoded. */
import { Unpackr } from 'msgpackr';
import {
  ANNOUNCE,
  COL_ASCII,
  COL_F64,
  COL_I32,
  COL_PACKED,
  COL_UTF8,
  KIND_MSGPACK,
  SCALAR,
  TS_NONE,
  TS_SOME,
  literal,
  type Build,
  type NativeBuffer,
  type Timestamps,
} from './batch-layout.js';

/**
 * Generated record builders by key signature, shared by every channel of this thread: one hidden
 * class per record shape for all decoded records (whichever channel they came through), so the
 * operators that read them stay monomorphic.
 */
const compiledBuilders = new Map<string, Build>();

function compileBuild(keys: string[]): Build {
  const sig = keys.join('\u0000');
  let build = compiledBuilders.get(sig);
  if (build === undefined) {
    build = generateBuild(keys);
    compiledBuilders.set(sig, build);
  }
  return build;
}

function generateBuild(keys: string[]): Build {
  return new Function(
    `return function build(n, columns) {
${keys.map((_, j) => `  const c${j} = columns[${j}];`).join('\n')}
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { ${keys.map((k, j) => `${literal(k)}: c${j}[i]`).join(', ')} };
  return out;
};`,
  )() as Build;
}

export class BatchDecoder {
  private readonly unpackr = new Unpackr({ sequential: true });
  private readonly shapes: { keys: string[]; build: Build }[] = [];
  private columns: unknown[][] = [];

  decode(input: Uint8Array): [unknown[], Timestamps] {
    if (input[0] === KIND_MSGPACK) return this.unpackr.unpack(input.subarray(1)) as [unknown[], Timestamps];
    // Column views need the buffer 8-aligned; buffers that came through a byte stream may not be.
    const b = (input.byteOffset & 7) === 0 ? input : input.slice();
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength) as NativeBuffer;
    const u32 = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
    let pos = 4;
    const n = u32[pos >> 2]!;
    pos += 4;
    let id = u32[pos >> 2]!;
    pos += 4;
    if (id !== SCALAR && (id & ANNOUNCE) !== 0) {
      id &= ~ANNOUNCE;
      const len = u32[pos >> 2]!;
      pos += 4;
      const keys = JSON.parse(buf.utf8Slice(pos, pos + len)) as string[];
      pos += len;
      this.shapes[id] = { keys, build: compileBuild(keys) };
    }

    let timestamps: Timestamps = null;
    const tsMode = buf[pos++]!;
    if (tsMode !== TS_NONE) {
      let presentAt = -1;
      if (tsMode === TS_SOME) {
        presentAt = pos;
        pos += n;
      }
      pos = (pos + 7) & ~7;
      const f = new Float64Array(b.buffer, b.byteOffset + pos, n);
      timestamps = new Array<number | undefined>(n);
      if (presentAt < 0) for (let i = 0; i < n; i++) timestamps[i] = f[i];
      else for (let i = 0; i < n; i++) timestamps[i] = buf[presentAt + i] === 1 ? f[i] : undefined;
      pos += n * 8;
    }

    if (id === SCALAR) {
      const col = new Array<unknown>(n);
      this.readColumn(buf, b, u32, pos, n, col);
      return [col, timestamps];
    }
    const shape = this.shapes[id];
    if (shape === undefined) throw new Error(`network buffer refers to record shape ${id}, which this channel never announced`);
    const k = shape.keys.length;
    const cols = this.columns;
    while (cols.length < k) cols.push([]);
    for (let j = 0; j < k; j++) pos = this.readColumn(buf, b, u32, pos, n, cols[j]!);
    const out = shape.build(n, cols);
    for (let j = 0; j < k; j++) cols[j]!.length = 0;
    return [out, timestamps];
  }

  /** Reads one column into `col`; returns the position after it. */
  private readColumn(buf: NativeBuffer, b: Uint8Array, u32: Uint32Array, pos: number, n: number, col: unknown[]): number {
    const type = buf[pos++];
    if (type === COL_I32) {
      pos = (pos + 3) & ~3;
      const a = new Int32Array(b.buffer, b.byteOffset + pos, n);
      for (let i = 0; i < n; i++) col[i] = a[i];
      return pos + n * 4;
    }
    if (type === COL_F64) {
      pos = (pos + 7) & ~7;
      const f = new Float64Array(b.buffer, b.byteOffset + pos, n);
      for (let i = 0; i < n; i++) col[i] = f[i];
      return pos + n * 8;
    }
    if (type === COL_ASCII || type === COL_UTF8) {
      pos = (pos + 3) & ~3;
      const lengths = pos >> 2;
      pos += n * 4;
      if (type === COL_ASCII) {
        for (let i = 0; i < n; i++) {
          const end = pos + u32[lengths + i]!;
          col[i] = buf.latin1Slice(pos, end);
          pos = end;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const end = pos + u32[lengths + i]!;
          col[i] = buf.utf8Slice(pos, end);
          pos = end;
        }
      }
      return pos;
    }
    if (type === COL_PACKED) {
      pos = (pos + 3) & ~3;
      const len = u32[pos >> 2]!;
      pos += 4;
      const arr = this.unpackr.unpack(b.subarray(pos, pos + len)) as unknown[];
      for (let i = 0; i < n; i++) col[i] = arr[i];
      return pos + len;
    }
    throw new Error(`network buffer has an unknown column type ${String(type)}`);
  }
}
