/**
 * Which producer subtasks connect to which consumer subtasks on an edge (Flink's
 * DistributionPattern). ALL_TO_ALL for hash, rebalance, broadcast, shuffle and global; POINTWISE for
 * forward (i → i) and rescale (each producer feeds a contiguous group of consumers, or a group of
 * producers feeds one consumer).
 */
import type { PartitionerKind } from './graph-schema.js';

export type { PartitionerKind };

export function isPointwise(kind: PartitionerKind): boolean {
  return kind === 'forward' || kind === 'rescale';
}

/** Consumer subtasks connected to producer `i`, in subpartition order. */
export function consumersOf(kind: PartitionerKind, producers: number, consumers: number, i: number): number[] {
  if (!isPointwise(kind)) return range(0, consumers);
  if (producers === consumers) return [i];
  if (producers < consumers) {
    const start = Math.floor((i * consumers) / producers);
    const end = Math.floor(((i + 1) * consumers) / producers);
    return range(start, end);
  }
  return [Math.floor((i * consumers) / producers)];
}

/** Producer subtasks connected to consumer `j`, in input-channel order. */
export function producersOf(kind: PartitionerKind, producers: number, consumers: number, j: number): number[] {
  if (!isPointwise(kind)) return range(0, producers);
  const out: number[] = [];
  for (let i = 0; i < producers; i++) if (consumersOf(kind, producers, consumers, i).includes(j)) out.push(i);
  return out;
}

function range(a: number, b: number): number[] {
  const r: number[] = [];
  for (let i = a; i < b; i++) r.push(i);
  return r;
}
