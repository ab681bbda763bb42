/**
 * Keys → key groups → subtasks (Flink's KeyGroupRangeAssignment). A key always lands in the same
 * key group for a given maxParallelism, whatever the parallelism; a subtask owns a contiguous range
 * of key groups, which is what lets state be rescaled. Equal keys must normalise equally: strings
 * and numbers are used as they are, other values by their canonical JSON.
 */

export const DEFAULT_MAX_PARALLELISM = 128;

/** Primitive keys unchanged; objects and arrays become a canonical JSON string (sorted fields). */
export function normalizeKey(key: unknown): string | number | boolean | bigint | null | undefined {
  if (key === null || typeof key !== 'object') return key as string | number | boolean | bigint | null | undefined;
  return '\u0000j' + canonicalJson(key);
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  const keys = Object.keys(v as object).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((v as Record<string, unknown>)[k])).join(',') + '}';
}

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Murmur3 (32 bit) over the UTF-16 code units of a string. */
export function hashString(s: string): number {
  let h = 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mix(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h = mix(h, s.charCodeAt(i));
  return fmix(h, n * 2);
}

/** A stable 32-bit hash of a normalised key. */
export function hashKey(k: ReturnType<typeof normalizeKey>): number {
  switch (typeof k) {
    case 'string':
      return hashString(k);
    case 'number':
      if (Number.isInteger(k) && k >= -2147483648 && k <= 2147483647) return fmix(mix(0, k | 0), 4);
      return hashString('\u0000n' + String(k));
    case 'bigint':
      return hashString('\u0000b' + k.toString());
    case 'boolean':
      return k ? 1231 : 1237;
    default:
      return 0;
  }
}

export function assignToKeyGroup(normalizedKey: ReturnType<typeof normalizeKey>, maxParallelism: number): number {
  return hashKey(normalizedKey) % maxParallelism;
}

/** The subtask that owns a key group: Flink's computeOperatorIndexForKeyGroup. */
export function operatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The key groups [start, end] (inclusive) a subtask owns: Flink's computeKeyGroupRangeForOperatorIndex. */
export function keyGroupRangeForSubtask(maxParallelism: number, parallelism: number, subtask: number): { start: number; end: number } {
  const start = Math.floor((subtask * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((subtask + 1) * maxParallelism - 1) / parallelism);
  return { start, end };
}

export function subtaskForKey(key: unknown, maxParallelism: number, parallelism: number): number {
  return operatorIndexForKeyGroup(maxParallelism, parallelism, assignToKeyGroup(normalizeKey(key), maxParallelism));
}
