/**
 * Routes one operator output to the subpartitions of one job edge (Flink's RecordWriter +
 * ChannelSelector). Records go to one subpartition chosen by the partitioner (or all, for
 * broadcast); events always go to all. Available only while every subpartition is.
 */
import type { KeySelector } from '../../api/functions.js';
import { assignToKeyGroup, normalizeKey, operatorIndexForKeyGroup } from '../../graph/key-groups.js';
import type { PartitionerKind } from '../../graph/distribution.js';
import { WeirError } from '../../errors.js';
import type { ChannelEvent } from './events.js';
import type { ResultSubpartition } from './result-subpartition.js';

export class RecordWriter {
  private next: number;
  recordsOut = 0;
  /** Hash edges: the subpartition of each key group (computed once instead of per record). */
  private readonly route: Int32Array | undefined;
  /** Custom edges: the subpartition of each consumer subtask. */
  private readonly target: Int32Array | undefined;

  constructor(
    readonly subpartitions: ResultSubpartition[],
    /** Consumer subtask index of each subpartition (hash routing needs it). */
    consumerIndexes: number[],
    private readonly kind: PartitionerKind,
    private readonly keySelector: KeySelector<unknown, unknown> | undefined,
    consumerParallelism: number,
    private readonly maxParallelism: number,
    producerIndex: number,
    /** partitionCustom: the user's partitioner(key, numPartitions). */
    private readonly custom?: (key: unknown, numPartitions: number) => number,
  ) {
    this.next = producerIndex % Math.max(1, subpartitions.length);
    if (kind === 'custom') this.target = consumerTargets(consumerIndexes, consumerParallelism);
    if ((kind === 'hash' || kind === 'custom') && subpartitions.length !== consumerParallelism) {
      throw new Error(`hash edge must connect to all ${consumerParallelism} consumers, got ${subpartitions.length}`);
    }
    if (kind === 'hash') {
      this.route = new Int32Array(maxParallelism);
      for (let kg = 0; kg < maxParallelism; kg++) {
        const target = operatorIndexForKeyGroup(maxParallelism, consumerParallelism, kg);
        this.route[kg] = consumerIndexes[target] === target ? target : consumerIndexes.indexOf(target);
      }
    }
  }

  emit(value: unknown, timestamp: number | undefined): void {
    this.recordsOut++;
    const subs = this.subpartitions;
    switch (this.kind) {
      case 'hash': {
        const kg = assignToKeyGroup(normalizeKey(this.keySelector!(value)), this.maxParallelism);
        subs[this.route![kg]!]!.add(value, timestamp);
        return;
      }
      case 'custom': {
        const key = this.keySelector!(value);
        const p = this.custom!(key, this.target!.length);
        if (!Number.isInteger(p) || p < 0 || p >= this.target!.length) {
          throw new WeirError(
            'WEIR_USER_FUNCTION',
            `partitionCustom: the partitioner returned ${String(p)} for key ${String(key)}; it must be an integer in [0, ${this.target!.length})`,
          );
        }
        subs[this.target![p]!]!.add(value, timestamp);
        return;
      }
      case 'broadcast':
        for (let i = 0; i < subs.length; i++) subs[i]!.add(value, timestamp);
        return;
      case 'shuffle':
        subs[Math.floor(Math.random() * subs.length)]!.add(value, timestamp);
        return;
      case 'global':
      case 'forward':
        subs[0]!.add(value, timestamp);
        return;
      default: {
        // rebalance / rescale: round robin over the connected consumers
        subs[this.next]!.add(value, timestamp);
        this.next = this.next + 1 === subs.length ? 0 : this.next + 1;
      }
    }
  }

  broadcastEvent(ev: ChannelEvent): void {
    for (const s of this.subpartitions) s.addEvent(ev);
  }

  flush(): void {
    for (const s of this.subpartitions) s.flush();
  }

  isAvailable(): boolean {
    for (const s of this.subpartitions) if (!s.isAvailable()) return false;
    return true;
  }
}

function consumerTargets(consumerIndexes: number[], consumerParallelism: number): Int32Array {
  const t = new Int32Array(consumerParallelism);
  for (let c = 0; c < consumerParallelism; c++) t[c] = consumerIndexes.indexOf(c);
  return t;
}
