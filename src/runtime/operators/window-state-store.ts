/**
 * The state stores a ProcessWindowFunction's context offers (Flink's windowState() and
 * globalState()), and the namespaced state triggers get through their context: keyed state of the
 * current key, scoped to a window (by its namespace) or to the key alone.
 */
import type { KeyedStateStore } from '../../api/functions.js';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  State,
  StateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from '../../api/state.js';
import type { KeyedStateBackend, NamespacedState } from '../state/keyed-state-backend.js';

/** Namespaced state by descriptor name, switched to `namespace` on every access. */
export class NamespacedStates {
  namespace = '';
  private readonly states = new Map<string, NamespacedState<State>>();
  constructor(private readonly backend: KeyedStateBackend) {}
  handle(descriptor: StateDescriptor): NamespacedState<State> {
    let s = this.states.get(descriptor.name);
    if (s === undefined) {
      s = this.backend.getPartitionedState(descriptor);
      this.states.set(descriptor.name, s);
    }
    return s;
  }
  get<S extends State>(descriptor: StateDescriptor<S>): S {
    const s = this.handle(descriptor);
    s.setNamespace(this.namespace);
    return s.state as S;
  }
}

/** windowState(): the current window's state. */
export class WindowStateStore implements KeyedStateStore {
  constructor(private readonly states: NamespacedStates) {}
  getState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    return this.states.get(d);
  }
  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    return this.states.get(d);
  }
  getMapState<K, V>(d: MapStateDescriptor<K, V>): MapState<K, V> {
    return this.states.get(d);
  }
  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.states.get(d);
  }
  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.states.get(d);
  }
}

/** globalState(): the key's state, shared by all its windows. */
export class GlobalStateStore implements KeyedStateStore {
  constructor(private readonly backend: KeyedStateBackend) {}
  getState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    return this.backend.getState(d);
  }
  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    return this.backend.getState(d);
  }
  getMapState<K, V>(d: MapStateDescriptor<K, V>): MapState<K, V> {
    return this.backend.getState(d);
  }
  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.backend.getState(d);
  }
  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.backend.getState(d);
  }
}
