/** Key checks: an unknown key is an error that suggests the nearest known one. */
import { WeirError } from '../errors.js';
import { OPTION_KEYS, RENAMED_KEYS, isOptionKey } from './options.js';
import type { OptionKey } from './options.js';

export function checkKey(key: string, source: string): OptionKey {
  if (isOptionKey(key)) return key;
  const suggestion = suggestKey(key);
  const hint = suggestion ? ` Did you mean '${suggestion}'?` : ' See docs/configuration.md for the valid keys.';
  throw new WeirError('WEIR_CONFIG_UNKNOWN_KEY', `Unknown configuration key '${key}' (from ${source}).${hint}`);
}

/** The known key closest to a mistyped one: a renamed Flink key, a key it is the end of, or the nearest by edit distance. */
export function suggestKey(key: string): OptionKey | undefined {
  const renamed = RENAMED_KEYS[key];
  if (renamed) return renamed;
  const lower = key.toLowerCase();
  const bySuffix = OPTION_KEYS.find((k) => k.toLowerCase().endsWith('.' + lower));
  if (bySuffix) return bySuffix;
  let best: OptionKey | undefined;
  let bestDistance = Infinity;
  for (const k of OPTION_KEYS) {
    const d = levenshtein(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
