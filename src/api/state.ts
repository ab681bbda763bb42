/**
 * Keyed state as programs see it (Flink's ValueState, ListState, MapState, ReducingState,
 * AggregatingState). State is scoped to the key of the record (or timer) being processed, and
 * accessed synchronously; backends guarantee the current key's state is in memory while a
 * record or timer for it is processed.
 */
import type { AggregateFunction, ReduceFunction } from './functions.js';
import { WeirError } from '../errors.js';
import type { StateTtlConfig } from './state-ttl.js';

export interface State {
  clear(): void;
}
export interface ValueState<T> extends State {
  /** The value for the current key, or the descriptor's default (undefined if none). */
  value(): T | undefined;
  update(value: T): void;
}
export interface ListState<T> extends State {
  get(): T[];
  add(value: T): void;
  addAll(values: Iterable<T>): void;
  update(values: Iterable<T>): void;
}
export interface MapState<K, V> extends State {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  putAll(entries: Iterable<[K, V]> | Map<K, V>): void;
  remove(key: K): void;
  contains(key: K): boolean;
  entries(): [K, V][];
  keys(): K[];
  values(): V[];
  isEmpty(): boolean;
}
export interface ReducingState<T> extends State {
  get(): T | undefined;
  add(value: T): void;
}
export interface AggregatingState<IN, OUT> extends State {
  get(): OUT | undefined;
  add(value: IN): void;
}

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/** Names a piece of state; the name is its identity in snapshots and savepoints. */
export abstract class StateDescriptor<S extends State = State> {
  declare readonly __state?: S;
  abstract readonly kind: StateKind;
  /** Set by enableTimeToLive. */
  ttlConfig: StateTtlConfig | undefined = undefined;
  constructor(readonly name: string) {
    if (!name) throw new Error('A state descriptor needs a non-empty name');
  }
  /** Values of this state expire (Flink's StateTtlConfig); see state-ttl.ts. */
  enableTimeToLive(ttlConfig: StateTtlConfig): void {
    if (ttlConfig === null || typeof ttlConfig !== 'object' || typeof ttlConfig.ttl !== 'number')
      throw new WeirError(
        'WEIR_BAD_PIPELINE',
        `enableTimeToLive on state '${this.name}' needs a StateTtlConfig (StateTtlConfig.newBuilder(ttl)...build())`,
      );
    this.ttlConfig = ttlConfig.isEnabled() ? ttlConfig : undefined;
  }
}
export class ValueStateDescriptor<T> extends StateDescriptor<ValueState<T>> {
  readonly kind = 'value' as const;
  constructor(
    name: string,
    readonly defaultValue?: T,
  ) {
    super(name);
  }
}
export class ListStateDescriptor<T> extends StateDescriptor<ListState<T>> {
  readonly kind = 'list' as const;
}
export class MapStateDescriptor<K, V> extends StateDescriptor<MapState<K, V>> {
  readonly kind = 'map' as const;
}
export class ReducingStateDescriptor<T> extends StateDescriptor<ReducingState<T>> {
  readonly kind = 'reducing' as const;
  constructor(
    name: string,
    readonly reduceFunction: ReduceFunction<T>,
  ) {
    super(name);
  }
}
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor<AggregatingState<IN, OUT>> {
  readonly kind = 'aggregating' as const;
  constructor(
    name: string,
    readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(name);
  }
}
