/**
 * The state objects both keyed state backends hand out (ValueState, ListState, MapState,
 * ReducingState, AggregatingState), written once over a small table interface: a StateTable reads,
 * writes and removes the value of the current key in one namespace. Backends differ only in their
 * tables (heap: JS maps; lsm: a cache over LevelDB), not in what a state does.
 */
import { WeirError } from '../../errors.js';
import { normalizeKey } from '../../graph/key-groups.js';
import type { AggregateFunction } from '../../api/functions.js';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  MapState,
  ReducingState,
  ReducingStateDescriptor,
  State,
  StateDescriptor,
  StateKind,
  ValueState,
  ValueStateDescriptor,
} from '../../api/state.js';
import { bindMethod } from '../operators/user-function.js';
import { VOID_NAMESPACE, type NamespacedState, type NormalizedKey } from './keyed-state-backend.js';

/** Object keys normalise to '\u0000j' + canonical JSON; only those need their original kept. */
export function isObjectNormKey(nk: NormalizedKey): nk is string {
  return typeof nk === 'string' && nk.charCodeAt(0) === 0 && nk.charCodeAt(1) === 106;
}

/** MapState storage: values by normalised user key; original object keys kept aside. */
export class MapData {
  readonly vals = new Map<NormalizedKey, unknown>();
  objKeys: Map<string, unknown> | undefined = undefined;

  set(k: unknown, v: unknown): void {
    const nk = normalizeKey(k);
    this.vals.set(nk, v);
    if (isObjectNormKey(nk)) (this.objKeys ??= new Map()).set(nk, k);
  }
  delete(k: unknown): void {
    const nk = normalizeKey(k);
    this.vals.delete(nk);
    if (this.objKeys !== undefined && isObjectNormKey(nk)) this.objKeys.delete(nk);
  }
  original(nk: NormalizedKey): unknown {
    return this.objKeys !== undefined && isObjectNormKey(nk) ? this.objKeys.get(nk) : nk;
  }
  entries(): [unknown, unknown][] {
    const out: [unknown, unknown][] = [];
    for (const [nk, v] of this.vals) out.push([this.original(nk), v]);
    return out;
  }
  static from(pairs: [unknown, unknown][]): MapData {
    const md = new MapData();
    for (const [k, v] of pairs) md.set(k, v);
    return md;
  }
}

/** A live value as plain snapshot data: a list is an array, a map its [key, value] pairs. */
export function exportValue(kind: StateKind, v: unknown): unknown {
  if (kind === 'list') return (v as unknown[]).slice();
  if (kind === 'map') return (v as MapData).entries();
  return v;
}

/** Snapshot data as a live value; undefined when it holds nothing (an empty list or map, null). */
export function importValue(kind: StateKind, v: unknown): unknown {
  if (kind === 'list') {
    const a = Array.isArray(v) ? v.slice() : [];
    return a.length > 0 ? a : undefined;
  }
  if (kind === 'map') {
    const md = MapData.from(v as [unknown, unknown][]);
    return md.vals.size > 0 ? md : undefined;
  }
  return v === null ? undefined : v;
}

/**
 * The values of one state in a backend, for the current key. `H` is how a backend addresses a
 * namespace (computed once per namespace switch, not per access).
 */
export abstract class StateTable<H = unknown> {
  descriptor: StateDescriptor | undefined = undefined;
  reduce: ((a: unknown, b: unknown) => unknown) | undefined = undefined;
  agg: AggregateFunction<unknown, unknown, unknown> | undefined = undefined;
  /** Created by a restore: its kind is the one the savepoint or checkpoint holds. */
  restored = false;
  constructor(
    readonly name: string,
    readonly kind: StateKind,
  ) {}
  abstract handle(ns: string): H;
  /** The value of the current key, or undefined. A list, map or object may then be changed in place. */
  abstract read(h: H): unknown;
  /** `value` must not be undefined (use remove). */
  abstract write(h: H, value: unknown): void;
  abstract remove(h: H): void;
  /** A value read with read(h) was changed in place (a backend that keeps serialized values writes it). */
  abstract changed(h: H, value: unknown): void;

  /** Takes up the functions of `d` (the descriptor registered last wins, also over a restored one). */
  bind(d: StateDescriptor): void {
    if (this.descriptor === d) return;
    this.descriptor = d;
    if (d.kind === 'reducing')
      this.reduce = bindMethod<(a: unknown, b: unknown) => unknown>(
        (d as ReducingStateDescriptor<unknown>).reduceFunction,
        'reduce',
        `The reduce function of state '${d.name}'`,
      );
    else if (d.kind === 'aggregating') this.agg = (d as AggregatingStateDescriptor<unknown, unknown, unknown>).aggregateFunction;
  }
}

/** A state object bound to one table; its namespace is switched by TableNamespacedState. */
abstract class TableState<H> implements State {
  ns: string = VOID_NAMESPACE;
  h: H;
  constructor(readonly t: StateTable<H>) {
    this.h = t.handle(VOID_NAMESPACE);
  }
  setNamespace(ns: string): void {
    if (ns === this.ns) return;
    this.ns = ns;
    this.h = this.t.handle(ns);
  }
  clear(): void {
    this.t.remove(this.h);
  }
  /** Moves the values of `sources` into `target` for the current key (this state's namespace stays). */
  abstract merge(target: string, sources: string[]): void;

  /** Merges the values of `sources` into `target` with `combine` (which may change `acc` in place). */
  protected mergeWith(target: string, sources: string[], combine: (acc: unknown, v: unknown) => unknown): void {
    const th = this.t.handle(target);
    let acc = this.t.read(th);
    for (const s of sources) {
      if (s === target) continue;
      const sh = this.t.handle(s);
      const v = this.t.read(sh);
      if (v === undefined) continue;
      this.t.remove(sh);
      acc = acc === undefined ? v : combine(acc, v);
    }
    if (acc !== undefined) this.t.write(th, acc);
  }
}

class TableValueState<H> extends TableState<H> implements ValueState<unknown> {
  private readonly defaultIsObject: boolean;
  constructor(
    t: StateTable<H>,
    private readonly defaultValue: unknown,
  ) {
    super(t);
    this.defaultIsObject = defaultValue !== null && typeof defaultValue === 'object';
  }
  value(): unknown {
    const v = this.t.read(this.h);
    if (v !== undefined) return v;
    // a fresh copy so that mutating the returned default does not change it for every key
    return this.defaultIsObject ? structuredClone(this.defaultValue) : this.defaultValue;
  }
  update(value: unknown): void {
    if (value === undefined || value === null) this.t.remove(this.h);
    else this.t.write(this.h, value);
  }
  merge(): void {
    throw new WeirError(
      'WEIR_STATE_ACCESS',
      `ValueState '${this.t.name}' cannot be merged: merging windows need list, reducing or aggregating state.`,
    );
  }
}

class TableListState<H> extends TableState<H> implements ListState<unknown> {
  get(): unknown[] {
    const a = this.t.read(this.h) as unknown[] | undefined;
    return a === undefined ? [] : a.slice();
  }
  add(value: unknown): void {
    const a = this.t.read(this.h) as unknown[] | undefined;
    if (a === undefined) this.t.write(this.h, [value]);
    else {
      a.push(value);
      this.t.changed(this.h, a);
    }
  }
  addAll(values: Iterable<unknown>): void {
    const a = this.t.read(this.h) as unknown[] | undefined;
    const out = a ?? [];
    const before = out.length;
    for (const v of values) out.push(v);
    if (out.length === before) return;
    if (a === undefined) this.t.write(this.h, out);
    else this.t.changed(this.h, out);
  }
  update(values: Iterable<unknown>): void {
    const a = Array.from(values);
    if (a.length === 0) this.t.remove(this.h);
    else this.t.write(this.h, a);
  }
  merge(target: string, sources: string[]): void {
    this.mergeWith(target, sources, (acc, v) => {
      for (const x of v as unknown[]) (acc as unknown[]).push(x);
      return acc;
    });
  }
}

class TableMapState<H> extends TableState<H> implements MapState<unknown, unknown> {
  private data(): MapData | undefined {
    return this.t.read(this.h) as MapData | undefined;
  }
  get(key: unknown): unknown {
    return this.data()?.vals.get(normalizeKey(key));
  }
  put(key: unknown, value: unknown): void {
    const md = this.data();
    if (md === undefined) {
      const created = new MapData();
      created.set(key, value);
      this.t.write(this.h, created);
    } else {
      md.set(key, value);
      this.t.changed(this.h, md);
    }
  }
  putAll(entries: Iterable<[unknown, unknown]> | Map<unknown, unknown>): void {
    const md = this.data();
    const out = md ?? new MapData();
    for (const [k, v] of entries) out.set(k, v);
    if (md !== undefined) this.t.changed(this.h, out);
    else if (out.vals.size > 0) this.t.write(this.h, out);
  }
  remove(key: unknown): void {
    const md = this.data();
    if (md === undefined) return;
    md.delete(key);
    if (md.vals.size === 0) this.t.remove(this.h);
    else this.t.changed(this.h, md);
  }
  contains(key: unknown): boolean {
    return this.data()?.vals.has(normalizeKey(key)) ?? false;
  }
  entries(): [unknown, unknown][] {
    return this.data()?.entries() ?? [];
  }
  keys(): unknown[] {
    const md = this.data();
    if (md === undefined) return [];
    const out: unknown[] = [];
    for (const nk of md.vals.keys()) out.push(md.original(nk));
    return out;
  }
  values(): unknown[] {
    const md = this.data();
    return md === undefined ? [] : Array.from(md.vals.values());
  }
  isEmpty(): boolean {
    return this.data() === undefined;
  }
  merge(target: string, sources: string[]): void {
    this.mergeWith(target, sources, (acc, v) => {
      for (const [k, x] of (v as MapData).entries()) (acc as MapData).set(k, x);
      return acc;
    });
  }
}

class TableReducingState<H> extends TableState<H> implements ReducingState<unknown> {
  get(): unknown {
    return this.t.read(this.h);
  }
  add(value: unknown): void {
    const cur = this.t.read(this.h);
    const next = cur === undefined ? value : this.t.reduce!(cur, value);
    if (next === undefined || next === null) this.t.remove(this.h);
    else this.t.write(this.h, next);
  }
  merge(target: string, sources: string[]): void {
    this.mergeWith(target, sources, (acc, v) => this.t.reduce!(acc, v));
  }
}

class TableAggregatingState<H> extends TableState<H> implements AggregatingState<unknown, unknown> {
  get(): unknown {
    const acc = this.t.read(this.h);
    return acc === undefined ? undefined : this.t.agg!.getResult(acc);
  }
  add(value: unknown): void {
    const agg = this.t.agg!;
    const acc = this.t.read(this.h);
    if (acc === undefined) {
      this.t.write(this.h, agg.add(value, agg.createAccumulator()));
      return;
    }
    const next = agg.add(value, acc);
    // an accumulator changed in place is stored already: no second lookup to write it back
    if (next === acc && acc !== null && typeof acc === 'object') this.t.changed(this.h, acc);
    else this.t.write(this.h, next);
  }
  merge(target: string, sources: string[]): void {
    this.mergeWith(target, sources, (acc, v) => this.t.agg!.merge(acc, v));
  }
}

class TableNamespacedState<S extends State> implements NamespacedState<S> {
  constructor(readonly state: S & TableState<unknown>) {}
  setNamespace(namespace: string): void {
    this.state.setNamespace(namespace);
  }
  mergeNamespaces(target: string, sources: string[]): void {
    this.state.merge(target, sources);
  }
  getInternal(): unknown {
    return this.state.t.read(this.state.h);
  }
}

/** A state object of `t`'s kind, bound to the VOID namespace. */
export function createState<H>(t: StateTable<H>): State {
  switch (t.kind) {
    case 'value':
      return new TableValueState(t, (t.descriptor as ValueStateDescriptor<unknown>).defaultValue);
    case 'list':
      return new TableListState(t);
    case 'map':
      return new TableMapState(t);
    case 'reducing':
      return new TableReducingState(t);
    case 'aggregating':
      return new TableAggregatingState(t);
  }
}

/** A state object of `t`'s kind whose namespace the caller switches. */
export function createNamespacedState<S extends State>(t: StateTable): NamespacedState<S> {
  return new TableNamespacedState<S>(createState(t) as S & TableState<unknown>);
}
