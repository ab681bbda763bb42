/**
 * partitionCustom's partitioner spec (Flink's Partitioner + KeySelector), and the refusal of
 * iterate(), which Flink deprecated in 1.19 and removed in 2.0.
 */
import { WeirError } from '../errors.js';
import type { KeySelector } from './functions.js';
import type { PartitionerSpec } from './transformation.js';

/** Flink's Partitioner: the index of the subtask for a key, in [0, numPartitions). */
export type Partitioner<K> = ((key: K, numPartitions: number) => number) | { partition(key: K, numPartitions: number): number };

export function customPartitioner<T, K>(partitioner: Partitioner<K>, keySelector: KeySelector<T, K> | (keyof T & string)): PartitionerSpec {
  const p =
    typeof partitioner === 'function'
      ? partitioner
      : partitioner !== null && typeof partitioner === 'object' && typeof partitioner.partition === 'function'
        ? (k: K, n: number) => partitioner.partition(k, n)
        : undefined;
  if (p === undefined)
    throw new WeirError(
      'WEIR_BAD_PIPELINE',
      'partitionCustom needs a Partitioner (a function or an object with partition(key, numPartitions))',
    );
  const ks: KeySelector<T, K> | undefined =
    typeof keySelector === 'function'
      ? keySelector
      : typeof keySelector === 'string'
        ? (v: T) => (v as Record<string, unknown>)[keySelector] as K
        : undefined;
  if (ks === undefined) throw new WeirError('WEIR_BAD_PIPELINE', 'partitionCustom needs a key selector function or a field name');
  return {
    kind: 'custom',
    partitioner: p as (key: unknown, numPartitions: number) => number,
    keySelector: ks as KeySelector<unknown, unknown>,
  };
}

export function iterationUnsupported(): WeirError {
  return new WeirError(
    'WEIR_ITERATION_UNSUPPORTED',
    'DataStream.iterate() is not supported: streaming iterations were deprecated in Flink 1.19 and removed in Flink 2.0, which Weir follows. ' +
      'Feed records back with keyed state and timers (a KeyedProcessFunction), or run the iteration as successive jobs.',
  );
}
