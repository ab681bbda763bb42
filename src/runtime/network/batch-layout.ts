/**
 * The layout of a network buffer's record batch, shared by BatchEncoder (buffer-codec.ts) and
 * BatchDecoder (batch-decoder.ts): batch kinds, column types, timestamp modes, shape ids.
 */
/** Buffer's native string codecs (present on every Node Buffer; not in @types/node). */
export interface NativeBuffer extends Buffer {
  utf8Write(s: string, offset: number, length?: number): number;
  latin1Write(s: string, offset: number, length?: number): number;
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

export const KIND_MSGPACK = 0;
export const KIND_COLUMNAR = 1;

export const COL_F64 = 0;
export const COL_ASCII = 1;
export const COL_UTF8 = 2;
export const COL_PACKED = 3;
export const COL_I32 = 4;

export const TS_NONE = 0;
export const TS_ALL = 1;
export const TS_SOME = 2;

/** Shape id of a batch of scalar records (numbers or strings): one column, no keys. */
export const SCALAR = 0x7fffffff;
export const ANNOUNCE = 0x80000000;

/** Records with more keys than this, and channels with more shapes than this, use MessagePack. */
export const MAX_KEYS = 64;
export const MAX_SHAPES = 256;

export const OBJECT_PROTO = Object.prototype;

export type Timestamps = (number | undefined)[] | null;

/** Property keys as JavaScript string literals: generated code never contains a key as code. */
export const literal = (k: string): string => JSON.stringify(k);

/** Builds n records of one shape from its columns (generated per key signature). */
export type Build = (n: number, columns: unknown[][]) => unknown[];
