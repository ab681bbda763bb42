/**
 * Time-to-live for keyed state (Flink's TtlStateFactory): a TTL state wraps a state of the same
 * name and kind whose values carry their timestamp, `[value, lastAccess]` (each list element and
 * each map value, the reduced value, the accumulator). Both backends store such values as they
 * store any other, so TTL works on each, in checkpoints and savepoints alike. `snapshotFilter`
 * drops expired values from full snapshots (cleanupFullSnapshot).
 */
import type { AggregateFunction } from '../../api/functions.js';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type AggregatingState,
  type ListState,
  type MapState,
  type ReducingState,
  type State,
  type StateDescriptor,
  type ValueState,
} from '../../api/state.js';
import type { StateTtlConfig } from '../../api/state-ttl.js';
import { bindMethod } from '../operators/user-function.js';

type Stamped = [value: unknown, ts: number];

/** Added to a TTL aggregating state, stamps its accumulator with the current time and leaves it as it is (OnReadAndWrite reads). */
const TOUCH: unique symbol = Symbol('weir.ttl.touch');

class Ttl {
  readonly returnExpired: boolean;
  readonly onRead: boolean;
  constructor(
    readonly config: StateTtlConfig,
    /** Incremental cleanup: called on each state access. */
    readonly onAccess: () => void,
  ) {
    this.returnExpired = config.stateVisibility === 'ReturnExpiredIfNotCleanedUp';
    this.onRead = config.updateType === 'OnReadAndWrite';
  }
  now(): number {
    return this.config.timeProvider();
  }
  expired(s: Stamped, now = this.now()): boolean {
    return s[1] + this.config.ttl <= now;
  }
}

/** The descriptor of the wrapped state: same name and kind; functions work on stamped values. */
export function ttlInnerDescriptor(d: StateDescriptor, now: () => number): StateDescriptor {
  switch (d.kind) {
    case 'value':
      return new ValueStateDescriptor<Stamped>(d.name);
    case 'list':
      return new ListStateDescriptor<Stamped>(d.name);
    case 'map':
      return new MapStateDescriptor<unknown, Stamped>(d.name);
    case 'reducing': {
      const reduce = bindMethod<(a: unknown, b: unknown) => unknown>(
        (d as ReducingStateDescriptor<unknown>).reduceFunction,
        'reduce',
        `The reduce function of state '${d.name}'`,
      );
      return new ReducingStateDescriptor<Stamped>(d.name, (a, b) => [reduce(a[0], b[0]), b[1]]);
    }
    case 'aggregating': {
      const agg = (d as AggregatingStateDescriptor<unknown, unknown, unknown>).aggregateFunction;
      const wrapped: AggregateFunction<unknown, Stamped, Stamped> = {
        createAccumulator: () => [agg.createAccumulator(), now()],
        add: (v, acc) => [v === TOUCH ? acc[0] : agg.add(v, acc[0]), now()],
        getResult: (acc) => [agg.getResult(acc[0]), acc[1]],
        merge: (a, b) => [agg.merge(a[0], b[0]), Math.max(a[1], b[1])],
      };
      return new AggregatingStateDescriptor<unknown, Stamped, Stamped>(d.name, wrapped);
    }
  }
}

/** The user's state over the stamped `inner` state. */
export function createTtlState(d: StateDescriptor, inner: State, config: StateTtlConfig, onAccess: () => void): State {
  const ttl = new Ttl(config, onAccess);
  switch (d.kind) {
    case 'value':
      return new TtlValueState(ttl, inner as ValueState<Stamped>, (d as ValueStateDescriptor<unknown>).defaultValue);
    case 'list':
      return new TtlListState(ttl, inner as ListState<Stamped>);
    case 'map':
      return new TtlMapState(ttl, inner as MapState<unknown, Stamped>);
    case 'reducing':
      return new TtlReducingState(ttl, inner as ReducingState<Stamped>);
    case 'aggregating':
      return new TtlAggregatingState(ttl, inner as AggregatingState<unknown, Stamped>);
  }
}

/** Removes expired values of one key's stamped state; true when something is left. */
export function cleanupExpired(kind: StateDescriptor['kind'], inner: State, config: StateTtlConfig, now: number): void {
  const expired = (s: Stamped): boolean => s[1] + config.ttl <= now;
  if (kind === 'list') {
    const l = inner as ListState<Stamped>;
    const all = l.get();
    const live = all.filter((s) => !expired(s));
    if (live.length !== all.length) l.update(live);
  } else if (kind === 'map') {
    const m = inner as MapState<unknown, Stamped>;
    for (const [k, s] of m.entries()) if (expired(s)) m.remove(k);
  } else {
    const s = inner as ValueState<Stamped> | ReducingState<Stamped> | AggregatingState<unknown, Stamped> as {
      get?(): Stamped | undefined;
      value?(): Stamped | undefined;
    };
    const v = s.value ? s.value() : s.get!();
    if (v !== undefined && expired(v)) inner.clear();
  }
}

/** cleanupFullSnapshot: an exported (snapshot) value without its expired parts; undefined drops the entry. */
export function snapshotFilter(kind: StateDescriptor['kind'], config: StateTtlConfig): (exported: unknown) => unknown {
  return (exported) => {
    const now = config.timeProvider();
    const live = (s: Stamped): boolean => s[1] + config.ttl > now;
    if (kind === 'list') {
      const l = (exported as Stamped[]).filter(live);
      return l.length > 0 ? l : undefined;
    }
    if (kind === 'map') {
      const m = (exported as [unknown, Stamped][]).filter(([, s]) => live(s));
      return m.length > 0 ? m : undefined;
    }
    return live(exported as Stamped) ? exported : undefined;
  };
}

/**
 * cleanupInRocksdbCompactFilter: the filter of one compaction pass over a state's stored values
 * (the same shape as exported ones); the clock is read again every `queryTimeAfterNumEntries` entries.
 */
export function compactionFilter(kind: StateDescriptor['kind'], config: StateTtlConfig): (stored: unknown) => unknown {
  const every = config.cleanupStrategies.compactionFilter?.queryTimeAfterNumEntries ?? 1000;
  let seen = 0;
  let now = config.timeProvider();
  return (stored) => {
    if (++seen % every === 0) now = config.timeProvider();
    const live = (s: Stamped): boolean => s[1] + config.ttl > now;
    if (kind === 'list' || kind === 'map') {
      const all = stored as Stamped[] | [unknown, Stamped][];
      const kept = kind === 'list' ? (all as Stamped[]).filter(live) : (all as [unknown, Stamped][]).filter(([, s]) => live(s));
      if (kept.length === all.length) return stored;
      return kept.length > 0 ? kept : undefined;
    }
    return live(stored as Stamped) ? stored : undefined;
  };
}

class TtlValueState implements ValueState<unknown> {
  constructor(
    private readonly ttl: Ttl,
    private readonly inner: ValueState<Stamped>,
    private readonly defaultValue: unknown,
  ) {}
  value(): unknown {
    this.ttl.onAccess();
    const s = this.inner.value();
    if (s === undefined) return this.defaultValue;
    const now = this.ttl.now();
    if (this.ttl.expired(s, now)) {
      if (this.ttl.returnExpired) return s[0];
      this.inner.clear();
      return this.defaultValue;
    }
    if (this.ttl.onRead) this.inner.update([s[0], now]);
    return s[0];
  }
  update(value: unknown): void {
    this.ttl.onAccess();
    if (value === undefined || value === null) this.inner.clear();
    else this.inner.update([value, this.ttl.now()]);
  }
  clear(): void {
    this.inner.clear();
  }
}

class TtlListState implements ListState<unknown> {
  constructor(
    private readonly ttl: Ttl,
    private readonly inner: ListState<Stamped>,
  ) {}
  get(): unknown[] {
    this.ttl.onAccess();
    const all = this.inner.get();
    const now = this.ttl.now();
    const live = this.ttl.returnExpired ? all : all.filter((s) => !this.ttl.expired(s, now));
    if (this.ttl.onRead && live.length > 0) this.inner.update(live.map((s) => [s[0], now]));
    else if (live.length !== all.length) this.inner.update(live);
    return live.map((s) => s[0]);
  }
  add(value: unknown): void {
    this.ttl.onAccess();
    this.inner.add([value, this.ttl.now()]);
  }
  addAll(values: Iterable<unknown>): void {
    this.ttl.onAccess();
    const now = this.ttl.now();
    this.inner.addAll([...values].map((v): Stamped => [v, now]));
  }
  update(values: Iterable<unknown>): void {
    this.ttl.onAccess();
    const now = this.ttl.now();
    this.inner.update([...values].map((v): Stamped => [v, now]));
  }
  clear(): void {
    this.inner.clear();
  }
}

class TtlMapState implements MapState<unknown, unknown> {
  constructor(
    private readonly ttl: Ttl,
    private readonly inner: MapState<unknown, Stamped>,
  ) {}
  /** The live entries (expired ones removed unless they may be returned), refreshed on read. */
  private live(): [unknown, Stamped][] {
    this.ttl.onAccess();
    const now = this.ttl.now();
    const out: [unknown, Stamped][] = [];
    for (const [k, s] of this.inner.entries()) {
      if (this.ttl.expired(s, now) && !this.ttl.returnExpired) this.inner.remove(k);
      else {
        if (this.ttl.onRead) this.inner.put(k, [s[0], now]);
        out.push([k, s]);
      }
    }
    return out;
  }
  get(key: unknown): unknown {
    this.ttl.onAccess();
    const s = this.inner.get(key);
    if (s === undefined) return undefined;
    const now = this.ttl.now();
    if (this.ttl.expired(s, now)) {
      if (this.ttl.returnExpired) return s[0];
      this.inner.remove(key);
      return undefined;
    }
    if (this.ttl.onRead) this.inner.put(key, [s[0], now]);
    return s[0];
  }
  put(key: unknown, value: unknown): void {
    this.ttl.onAccess();
    this.inner.put(key, [value, this.ttl.now()]);
  }
  putAll(entries: Iterable<[unknown, unknown]> | Map<unknown, unknown>): void {
    this.ttl.onAccess();
    const now = this.ttl.now();
    const stamped: [unknown, Stamped][] = [];
    for (const [k, v] of entries) stamped.push([k, [v, now]]);
    this.inner.putAll(stamped);
  }
  remove(key: unknown): void {
    this.ttl.onAccess();
    this.inner.remove(key);
  }
  contains(key: unknown): boolean {
    return this.get(key) !== undefined;
  }
  entries(): [unknown, unknown][] {
    return this.live().map(([k, s]) => [k, s[0]]);
  }
  keys(): unknown[] {
    return this.live().map(([k]) => k);
  }
  values(): unknown[] {
    return this.live().map(([, s]) => s[0]);
  }
  isEmpty(): boolean {
    return this.live().length === 0;
  }
  clear(): void {
    this.inner.clear();
  }
}

class TtlReducingState implements ReducingState<unknown> {
  constructor(
    private readonly ttl: Ttl,
    private readonly inner: ReducingState<Stamped>,
  ) {}
  get(): unknown {
    this.ttl.onAccess();
    const s = this.inner.get();
    if (s === undefined) return undefined;
    const now = this.ttl.now();
    if (this.ttl.expired(s, now)) {
      if (this.ttl.returnExpired) return s[0];
      this.inner.clear();
      return undefined;
    }
    if (this.ttl.onRead) {
      this.inner.clear();
      this.inner.add([s[0], now]);
    }
    return s[0];
  }
  add(value: unknown): void {
    this.ttl.onAccess();
    const s = this.inner.get();
    const now = this.ttl.now();
    // An expired value is not combined with new ones (it would outlive its TTL).
    if (s !== undefined && this.ttl.expired(s, now)) this.inner.clear();
    this.inner.add([value, now]);
  }
  clear(): void {
    this.inner.clear();
  }
}

class TtlAggregatingState implements AggregatingState<unknown, unknown> {
  constructor(
    private readonly ttl: Ttl,
    private readonly inner: AggregatingState<unknown, Stamped>,
  ) {}
  get(): unknown {
    this.ttl.onAccess();
    const s = this.inner.get();
    if (s === undefined) return undefined;
    if (this.ttl.expired(s)) {
      if (this.ttl.returnExpired) return s[0];
      this.inner.clear();
      return undefined;
    }
    if (this.ttl.onRead) this.inner.add(TOUCH); // the accumulator as it is, stamped now
    return s[0];
  }
  add(value: unknown): void {
    this.ttl.onAccess();
    const s = this.inner.get();
    if (s !== undefined && this.ttl.expired(s)) this.inner.clear();
    this.inner.add(value);
  }
  clear(): void {
    this.inner.clear();
  }
}
