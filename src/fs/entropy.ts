/**
 * Entropy injection (Flink's EntropyInjector): with `s3.entropy.key` set, a checkpoint directory
 * such as s3://bucket/_entropy_/checkpoints has the key replaced by `s3.entropy.length` random
 * characters in the paths of state data files (spreading them over S3's key-space partitions),
 * and removed from every other path (_metadata, shared files), so metadata stays at a path that
 * can be found again.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigLookup } from './index.js';
import { isRemote } from './path.js';

export interface Entropy {
  key: string;
  length: number;
}

/** The entropy settings of a configuration, for S3 locations only. */
export function entropyOf(location: string, get: ConfigLookup): Entropy | undefined {
  const key = get('s3.entropy.key');
  if (typeof key !== 'string' || key === '' || !isRemote(location)) return undefined;
  const length = Number(get('s3.entropy.length') ?? 4);
  return { key, length: Number.isFinite(length) && length > 0 ? length : 4 };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** The path of a data file: the entropy key replaced by random characters. */
export function injectEntropy(location: string, entropy: Entropy | undefined): string {
  if (!entropy || !location.includes(entropy.key)) return location;
  const bytes = randomBytes(entropy.length);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return location.replace(entropy.key, s);
}

/** Any other path: the entropy key (and the slash after it) removed. */
export function removeEntropy(location: string, entropy: Entropy | undefined): string {
  if (!entropy || !location.includes(entropy.key)) return location;
  return location.replace(`${entropy.key}/`, '').replace(entropy.key, '');
}
