/**
 * Keys of the LSM state backend in LevelDB. A key is a binary string (one char per byte, latin1)
 *
 *   [key group: 2 bytes BE] [user key] [state id: 2 bytes BE] [namespace]
 *
 * so LevelDB orders entries by (key group, key, state, namespace): a key-group range is one
 * contiguous range (restore filtering, rescaling) and every state of one key, in every namespace,
 * is one contiguous range (what prefetch loads). The key and the namespace are self-delimiting
 * (a tag byte, then a fixed width or a varint length), so no key's bytes are a prefix of another's.
 * Metadata lives after every key group, under the prefix 0xFFFF (maxParallelism is at most 32768).
 */
import { WeirError } from '../../../errors.js';
import type { NormalizedKey } from '../keyed-state-backend.js';
import { isObjectNormKey } from '../state-objects.js';

export { isObjectNormKey };

/** maxParallelism above this would let key groups reach the metadata prefix. */
export const LSM_MAX_PARALLELISM = 32768;
/** Prefix of metadata entries (state table descriptions, entry count). */
export const META_PREFIX = '\xff\xff';
export const META_STATE = META_PREFIX + 'S';
export const META_COUNT = META_PREFIX + 'N';
export const META_MAX_PARALLELISM = META_PREFIX + 'P';
/**
 * A key range above every key (data and metadata), so that no table file's [smallest, largest]
 * overlaps it: compacting it makes LevelDB flush its memtable and compact nothing else.
 */
export const EMPTY_RANGE: [string, string] = ['\xff\xff\xff', '\xff\xff\xff\x00'];

// eslint-disable-next-line no-control-regex -- ASCII includes the control characters
const ASCII = /^[\x00-\x7f]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const f64 = new Float64Array(1);
const f64bytes = new Uint8Array(f64.buffer);

export function u16(n: number): string {
  return String.fromCharCode((n >>> 8) & 255, n & 255);
}

export function readU16(s: string, pos: number): number {
  return (s.charCodeAt(pos) << 8) | s.charCodeAt(pos + 1);
}

function varint(n: number): string {
  let out = '';
  while (n >= 128) {
    out += String.fromCharCode((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  return out + String.fromCharCode(n);
}

function readVarint(s: string, pos: number): [number, number] {
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    const c = s.charCodeAt(pos++);
    if (Number.isNaN(c)) break;
    n += (c & 127) * mul;
    if (c < 128) return [n, pos];
    mul *= 128;
  }
  throw new WeirError('WEIR_INTERNAL', 'Corrupt key in the lsm state backend: bad varint');
}

/** A string as length-prefixed UTF-8 ('s'), or as UTF-16 ('w') when it holds lone surrogates. */
export function encodeString(str: string): string {
  if (ASCII.test(str)) return 's' + varint(str.length) + str;
  if (!LONE_SURROGATE.test(str)) {
    const b = Buffer.from(str, 'utf8');
    return 's' + varint(b.length) + b.toString('latin1');
  }
  const b = Buffer.from(str, 'utf16le');
  return 'w' + varint(b.length) + b.toString('latin1');
}

/** The encoding of a normalised key (see normalizeKey): every kind it produces has its own tag. */
export function encodeKey(nk: NormalizedKey): string {
  switch (typeof nk) {
    case 'string':
      return encodeString(nk);
    case 'number': {
      // -0 and 0 are one key (as in a Map); every NaN is the same NaN
      f64[0] = nk === 0 ? 0 : Number.isNaN(nk) ? NaN : nk;
      let out = 'n';
      for (let i = 7; i >= 0; i--) out += String.fromCharCode(f64bytes[i]!);
      return out;
    }
    case 'bigint': {
      const d = nk.toString();
      return 'b' + varint(d.length) + d;
    }
    case 'boolean':
      return nk ? 'T' : 'F';
    case 'undefined':
      return 'U';
    default:
      if (nk === null) return 'N';
      throw new WeirError('WEIR_STATE_ACCESS', `A key of type ${typeof nk} cannot be a state key`);
  }
}

/** Decodes the key or namespace that starts at `pos`; returns it and the position after it. */
export function decodeKey(s: string, pos: number): [NormalizedKey, number] {
  const tag = s[pos++];
  switch (tag) {
    case 's':
    case 'w':
    case 'b': {
      const [len, p] = readVarint(s, pos);
      const raw = s.slice(p, p + len);
      const v =
        tag === 'b'
          ? BigInt(raw)
          : tag === 'w'
            ? Buffer.from(raw, 'latin1').toString('utf16le')
            : ASCII.test(raw)
              ? raw
              : Buffer.from(raw, 'latin1').toString('utf8');
      return [v, p + len];
    }
    case 'n': {
      for (let i = 7; i >= 0; i--) f64bytes[i] = s.charCodeAt(pos++);
      return [f64[0]!, pos];
    }
    case 'T':
      return [true, pos];
    case 'F':
      return [false, pos];
    case 'U':
      return [undefined, pos];
    case 'N':
      return [null, pos];
    default:
      throw new WeirError('WEIR_INTERNAL', `Corrupt key in the lsm state backend: unknown tag ${JSON.stringify(tag)}`);
  }
}

/** [key group][key]: the prefix every entry of one key shares. */
export function keyPrefix(keyGroup: number, nk: NormalizedKey): string {
  return u16(keyGroup) + encodeKey(nk);
}

export interface DecodedEntryKey {
  keyGroup: number;
  nk: NormalizedKey;
  /** Length of [key group][key]. */
  prefixLength: number;
  stateId: number;
  namespace: string;
}

export function decodeEntryKey(s: string): DecodedEntryKey {
  const keyGroup = readU16(s, 0);
  const [nk, p] = decodeKey(s, 2);
  const stateId = readU16(s, p);
  const [ns] = decodeKey(s, p + 2);
  return { keyGroup, nk, prefixLength: p, stateId, namespace: ns as string };
}

/**
 * The key a program sees for a normalised key read back from disk: object keys are rebuilt from
 * their canonical JSON (an equal plain object or array, not the first instance seen).
 */
export function originalKey(nk: NormalizedKey): unknown {
  return isObjectNormKey(nk) ? JSON.parse(nk.slice(2)) : nk;
}

/** The smallest string greater than every string that starts with `prefix`, for range ends. */
export function prefixEnd(prefix: string): string {
  let i = prefix.length - 1;
  while (i >= 0 && prefix.charCodeAt(i) === 255) i--;
  if (i < 0) return prefix + '\xff'.repeat(8); // unreachable for our prefixes
  return prefix.slice(0, i) + String.fromCharCode(prefix.charCodeAt(i) + 1);
}

export function toBuf(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

export function fromBuf(b: Uint8Array): string {
  return (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('latin1');
}
