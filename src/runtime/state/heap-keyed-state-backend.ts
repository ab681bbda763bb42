/**
 * Heap keyed state (Flink's HashMapStateBackend): values live as JS objects in
 * Map<stateName, Map<namespace, Map<normalizedKey, value>>>; key groups are computed only at
 * snapshot time. Empty values (cleared state, empty lists and maps) are removed at once so state never leaks.
 *
 * Checkpoints do not stop the task for long (`snapshotEncoded`): the synchronous part only copies
 * the key lists; entries are then exported and MessagePack-encoded in chunks between the task's own
 * work, copy-on-write: while a snapshot runs, the first write, removal or read of a mutable value
 * (a list, a map, an object) of a key saves that key's value as it was, so the snapshot shows the
 * state of the barrier whatever the task does meanwhile.
 */
import { WeirError } from '../../errors.js';
import { assignToKeyGroup, normalizeKey } from '../../graph/key-groups.js';
import { packEntryChunk, type EncodedEntries } from './snapshot-encoding.js';
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
import { VOID_NAMESPACE, stateKindMismatch, type KeyedStateBackend, type NamespacedState } from './keyed-state-backend.js';

export type NormalizedKey = ReturnType<typeof normalizeKey>;

/** Inclusive range of key groups, as keyGroupRangeForSubtask returns. */
export interface KeyGroupRange {
  start: number;
  end: number;
}

/**
 * One entry of a snapshot. `value` is plain data: a list is an array, a map is an array of
 * [key, value] pairs, reducing/aggregating hold the reduced value / the accumulator.
 */
export type HeapStateEntry = [keyGroup: number, key: unknown, namespace: string, value: unknown];

/** Values are shared with the live state (no deep copy): serialize before the next record is processed. */
export interface HeapStateSnapshot {
  states: { name: string; kind: StateKind; entries: HeapStateEntry[] }[];
}

/** One state of a snapshot encoded in chunks: `chunks` concatenated are the MessagePack encodings of `count` entries. */
export type EncodedStateEntries = EncodedEntries;

/** A snapshot taken with snapshotEncoded: its size is known at once, its encoding comes later. */
export interface EncodedHeapSnapshot {
  entries: number;
  states: Promise<EncodedStateEntries[]>;
}

const ABSENT: unique symbol = Symbol('absent');
type Captured = { key: unknown; value: unknown } | typeof ABSENT;

/** The values a running snapshot saved before the task changed them, by table, namespace, key. */
class SnapshotCopies {
  readonly saved = new Map<StateTable, Map<string, Map<NormalizedKey, Captured>>>();
  /** Namespace maps the snapshot has encoded entirely: later changes to them need no copy. */
  readonly done = new Set<Map<NormalizedKey, unknown>>();
  cancelled = false;
}

/** Entries encoded per chunk, between which the task runs: a few milliseconds of work each. */
const SNAPSHOT_CHUNK = 16384;

function yieldToTask(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Object keys normalise to '\u0000j' + canonical JSON; only those need their original kept. */
function isObjectNormKey(nk: NormalizedKey): nk is string {
  return typeof nk === 'string' && nk.charCodeAt(0) === 0 && nk.charCodeAt(1) === 106;
}

/** MapState storage: values by normalised user key; original object keys kept aside. */
class MapData {
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
}

class StateTable {
  readonly data = new Map<string, Map<NormalizedKey, unknown>>();
  descriptor: StateDescriptor | undefined = undefined;
  reduce: ((a: unknown, b: unknown) => unknown) | undefined = undefined;
  agg: AggregateFunction<unknown, unknown, unknown> | undefined = undefined;
  /** Created by a restore: its kind is the one the savepoint or checkpoint holds. */
  restored = false;
  constructor(
    readonly name: string,
    readonly kind: StateKind,
  ) {}
}

export class HeapKeyedStateBackend implements KeyedStateBackend {
  readonly maxParallelism: number;
  private readonly operatorName: string | undefined;
  private readonly operatorUid: string | undefined;
  private readonly tables = new Map<string, StateTable>();
  /** States bound to the VOID namespace, one per name, so repeated getState() calls are cheap. */
  private readonly voidStates = new Map<string, State>();
  /** Original object keys with the number of (state, namespace) entries that hold them. */
  private readonly objectKeys = new Map<string, { key: unknown; refs: number }>();
  /** Snapshots being encoded (copy-on-write while any is). */
  private readonly copies = new Set<SnapshotCopies>();

  private hasKey = false;
  private currentKey: unknown = undefined;
  /** @internal read by the state objects on every access. */
  nk: NormalizedKey = undefined;
  private keyGroup = -1;

  constructor(opts: { maxParallelism: number; operatorName?: string; operatorUid?: string }) {
    if (!Number.isInteger(opts.maxParallelism) || opts.maxParallelism <= 0) {
      throw new WeirError('WEIR_INTERNAL', `maxParallelism must be a positive integer, got ${opts.maxParallelism}`);
    }
    this.maxParallelism = opts.maxParallelism;
    this.operatorName = opts.operatorName;
    this.operatorUid = opts.operatorUid;
  }

  setCurrentKey(key: unknown): void {
    this.currentKey = key;
    this.nk = normalizeKey(key);
    this.keyGroup = -1;
    this.hasKey = true;
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  /** The normalised current key (what timers deduplicate on), without normalising again. */
  getCurrentNormalizedKey(): NormalizedKey {
    return this.nk;
  }

  getCurrentKeyGroup(): number {
    if (!this.hasKey) throw this.noKeyError('the key group');
    if (this.keyGroup < 0) this.keyGroup = assignToKeyGroup(this.nk, this.maxParallelism);
    return this.keyGroup;
  }

  getState<S extends State>(descriptor: StateDescriptor<S>): S {
    const cached = this.voidStates.get(descriptor.name);
    if (cached !== undefined) {
      this.table(descriptor); // checks the kind, picks up a newer descriptor
      return cached as S;
    }
    const s = this.createState(this.table(descriptor));
    this.voidStates.set(descriptor.name, s);
    return s as unknown as S;
  }

  getPartitionedState<S extends State>(descriptor: StateDescriptor<S>): NamespacedState<S> {
    return new HeapNamespacedState<S>(this.createState(this.table(descriptor)) as unknown as S & HeapState);
  }

  getKeys(stateName: string, namespace: string = VOID_NAMESPACE): unknown[] {
    const m = this.tables.get(stateName)?.data.get(namespace);
    if (m === undefined) return [];
    const out: unknown[] = [];
    for (const nk of m.keys()) out.push(this.originalKey(nk));
    return out;
  }

  numEntries(): number {
    let n = 0;
    for (const t of this.tables.values()) for (const m of t.data.values()) n += m.size;
    return n;
  }

  dispose(): void {
    for (const c of this.copies) c.cancelled = true;
    this.copies.clear();
    this.tables.clear();
    this.voidStates.clear();
    this.objectKeys.clear();
    this.hasKey = false;
    this.currentKey = undefined;
    this.nk = undefined;
  }

  /** Every entry of every state as plain data, tagged with its key group. */
  snapshot(): HeapStateSnapshot {
    const states: HeapStateSnapshot['states'] = [];
    const kgCache = new Map<NormalizedKey, number>();
    for (const t of this.tables.values()) {
      const entries: HeapStateEntry[] = [];
      for (const [ns, m] of t.data) {
        for (const [nk, v] of m) {
          let kg = kgCache.get(nk);
          if (kg === undefined) {
            kg = assignToKeyGroup(nk, this.maxParallelism);
            kgCache.set(nk, kg);
          }
          entries.push([kg, this.originalKey(nk), ns, exportValue(t.kind, v)]);
        }
      }
      if (entries.length > 0) states.push({ name: t.name, kind: t.kind, entries });
    }
    return { states };
  }

  /**
   * The state as of this call, encoded asynchronously (what a checkpoint writes; the same entries
   * as snapshot()). This call only lists the keys; the entries are exported and encoded
   * `SNAPSHOT_CHUNK` at a time, yielding to the event loop in between, while copy-on-write keeps
   * what the task changes meanwhile out of the snapshot.
   */
  snapshotEncoded(): EncodedHeapSnapshot {
    const parts: { t: StateTable; ns: string; m: Map<NormalizedKey, unknown>; keys: NormalizedKey[] }[] = [];
    let entries = 0;
    for (const t of this.tables.values()) {
      for (const [ns, m] of t.data) {
        parts.push({ t, ns, m, keys: Array.from(m.keys()) });
        entries += m.size;
      }
    }
    if (entries === 0) return { entries: 0, states: Promise.resolve([]) };
    const copies = new SnapshotCopies();
    this.copies.add(copies);
    const states = (async (): Promise<EncodedStateEntries[]> => {
      const out: EncodedStateEntries[] = [];
      let current: EncodedStateEntries | undefined;
      let batch: HeapStateEntry[] = [];
      const flush = (): void => {
        if (batch.length === 0) return;
        current!.chunks.push(packEntryChunk(batch));
        current!.count += batch.length;
        batch = [];
      };
      try {
        for (const p of parts) {
          if (current?.name !== p.t.name) {
            flush();
            current = { name: p.t.name, kind: p.t.kind, count: 0, chunks: [] };
            out.push(current);
          }
          let saved = copies.saved.get(p.t)?.get(p.ns);
          for (let i = 0; i < p.keys.length; i++) {
            const nk = p.keys[i]!;
            const c = saved?.get(nk);
            if (c === ABSENT) continue;
            let key: unknown;
            let value: unknown;
            if (c !== undefined) {
              key = c.key;
              value = c.value;
            } else {
              const v = p.m.get(nk);
              if (v === undefined) continue;
              key = this.originalKey(nk);
              value = exportValue(p.t.kind, v);
            }
            batch.push([assignToKeyGroup(nk, this.maxParallelism), key, p.ns, value]);
            if (batch.length >= SNAPSHOT_CHUNK) {
              flush();
              await yieldToTask();
              if (copies.cancelled)
                throw new WeirError('WEIR_CHECKPOINT', 'the state backend was disposed while a snapshot was being written');
              saved = copies.saved.get(p.t)?.get(p.ns);
            }
          }
          copies.done.add(p.m);
        }
        flush();
        return out.filter((st) => st.count > 0);
      } finally {
        this.copies.delete(copies);
      }
    })();
    return { entries, states };
  }

  /**
   * Before the task changes (or may change in place) the value of `nk` in `ns`, each running
   * snapshot that has not encoded it yet keeps a copy of it as it was.
   */
  private saveForSnapshots(t: StateTable, ns: string, m: Map<NormalizedKey, unknown> | undefined, nk: NormalizedKey): void {
    for (const c of this.copies) {
      if (m !== undefined && c.done.has(m)) continue;
      let byNs = c.saved.get(t);
      if (byNs === undefined) c.saved.set(t, (byNs = new Map()));
      let byKey = byNs.get(ns);
      if (byKey === undefined) byNs.set(ns, (byKey = new Map()));
      if (byKey.has(nk)) continue;
      const v = m?.get(nk);
      byKey.set(nk, v === undefined ? ABSENT : { key: this.originalKey(nk), value: copyForSnapshot(t.kind, v) });
    }
  }

  /**
   * Adds the entries of `snapshot` whose key group lies in `range` (all when omitted). Key groups
   * are those recorded in the snapshot, so maxParallelism must not change across a restore.
   */
  restore(snapshot: HeapStateSnapshot, range?: KeyGroupRange): void {
    for (const s of snapshot.states) {
      const t = this.tableFor(s.name, s.kind, true);
      t.restored = true;
      for (const [kg, key, ns, value] of s.entries) {
        if (range !== undefined && (kg < range.start || kg > range.end)) continue;
        const imported = importValue(s.kind, value);
        if (imported === undefined) continue;
        this.putFor(t, ns, normalizeKey(key), key, imported);
      }
    }
  }

  // ---- internal access used by the state objects ----

  /** @internal */
  read(t: StateTable, ns: string): unknown {
    if (!this.hasKey) throw this.noKeyError(`state '${t.name}'`);
    const m = t.data.get(ns);
    if (m === undefined) return undefined;
    const v = m.get(this.nk);
    // A list, map or object may be changed in place by the caller: a running snapshot copies it first.
    if (this.copies.size > 0 && v !== null && typeof v === 'object') this.saveForSnapshots(t, ns, m, this.nk);
    return v;
  }

  /** @internal `value` must not be undefined (use remove). */
  write(t: StateTable, ns: string, value: unknown): void {
    if (!this.hasKey) throw this.noKeyError(`state '${t.name}'`);
    if (this.copies.size > 0) this.saveForSnapshots(t, ns, t.data.get(ns), this.nk);
    this.putFor(t, ns, this.nk, this.currentKey, value);
  }

  /** @internal */
  remove(t: StateTable, ns: string): void {
    if (!this.hasKey) throw this.noKeyError(`state '${t.name}'`);
    const m = t.data.get(ns);
    if (m === undefined) return;
    const nk = this.nk;
    if (this.copies.size > 0) this.saveForSnapshots(t, ns, m, nk);
    if (m.delete(nk)) {
      if (m.size === 0) t.data.delete(ns);
      if (isObjectNormKey(nk)) this.unrefKey(nk);
    }
  }

  private putFor(t: StateTable, ns: string, nk: NormalizedKey, key: unknown, value: unknown): void {
    let m = t.data.get(ns);
    if (m === undefined) {
      m = new Map();
      t.data.set(ns, m);
    }
    if (isObjectNormKey(nk) && !m.has(nk)) {
      const e = this.objectKeys.get(nk);
      if (e === undefined) this.objectKeys.set(nk, { key, refs: 1 });
      else e.refs++;
    }
    m.set(nk, value);
  }

  private unrefKey(nk: string): void {
    const e = this.objectKeys.get(nk);
    if (e !== undefined && --e.refs <= 0) this.objectKeys.delete(nk);
  }

  private originalKey(nk: NormalizedKey): unknown {
    if (isObjectNormKey(nk)) {
      const e = this.objectKeys.get(nk);
      if (e !== undefined) return e.key;
    }
    return nk;
  }

  private noKeyError(what: string): WeirError {
    return new WeirError(
      'WEIR_STATE_ACCESS',
      `Keyed state needs a keyed stream: ${what} was used where there is no current key. Call keyBy() before the operator that uses state or timers.`,
      this.operatorName !== undefined ? { operator: this.operatorName } : {},
    );
  }

  private tableFor(name: string, kind: StateKind, restoring = false): StateTable {
    let t = this.tables.get(name);
    if (t === undefined) {
      t = new StateTable(name, kind);
      this.tables.set(name, t);
    } else if (t.kind !== kind) {
      throw stateKindMismatch(name, restoring ? kind : t.kind, restoring ? t.kind : kind, restoring || t.restored, {
        name: this.operatorName,
        uid: this.operatorUid,
      });
    }
    return t;
  }

  private table(d: StateDescriptor): StateTable {
    const t = this.tableFor(d.name, d.kind);
    if (t.descriptor !== d) {
      t.descriptor = d;
      if (d.kind === 'reducing')
        t.reduce = bindMethod<(a: unknown, b: unknown) => unknown>(
          (d as ReducingStateDescriptor<unknown>).reduceFunction,
          'reduce',
          `The reduce function of state '${d.name}'`,
        );
      else if (d.kind === 'aggregating') t.agg = (d as AggregatingStateDescriptor<unknown, unknown, unknown>).aggregateFunction;
    }
    return t;
  }

  private createState(t: StateTable): HeapState {
    switch (t.kind) {
      case 'value':
        return new HeapValueState(this, t, (t.descriptor as ValueStateDescriptor<unknown>).defaultValue);
      case 'list':
        return new HeapListState(this, t);
      case 'map':
        return new HeapMapState(this, t);
      case 'reducing':
        return new HeapReducingState(this, t);
      case 'aggregating':
        return new HeapAggregatingState(this, t);
    }
  }
}

function exportValue(kind: StateKind, v: unknown): unknown {
  if (kind === 'list') return (v as unknown[]).slice();
  if (kind === 'map') return (v as MapData).entries();
  return v;
}

/** exportValue, detached from the live value (which the task is about to change). */
function copyForSnapshot(kind: StateKind, v: unknown): unknown {
  if (kind === 'list' || kind === 'map') return exportValue(kind, v);
  if (v === null || typeof v !== 'object') return v;
  // The common state value is a flat record: a shallow copy is exact and ~10× cheaper than a clone.
  if (Object.getPrototypeOf(v) === Object.prototype) {
    let flat = true;
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== null && typeof x === 'object') {
        flat = false;
        break;
      }
    }
    if (flat) return { ...(v as Record<string, unknown>) };
  }
  try {
    return structuredClone(v);
  } catch {
    return v; // not cloneable (functions inside): not serialisable either, the checkpoint reports it
  }
}

function importValue(kind: StateKind, v: unknown): unknown {
  if (kind === 'list') {
    const a = Array.isArray(v) ? v.slice() : [];
    return a.length > 0 ? a : undefined;
  }
  if (kind === 'map') {
    const md = new MapData();
    for (const [k, x] of v as [unknown, unknown][]) md.set(k, x);
    return md.vals.size > 0 ? md : undefined;
  }
  return v === null ? undefined : v;
}

/** A state object: bound to one table; `ns` is switched by HeapNamespacedState. */
abstract class HeapState implements State {
  ns: string = VOID_NAMESPACE;
  constructor(
    readonly b: HeapKeyedStateBackend,
    readonly t: StateTable,
  ) {}
  clear(): void {
    this.b.remove(this.t, this.ns);
  }
  /** Moves the values of `sources` into `target` for the current key. */
  abstract merge(target: string, sources: string[]): void;
}

class HeapValueState extends HeapState implements ValueState<unknown> {
  private readonly defaultIsObject: boolean;
  constructor(
    b: HeapKeyedStateBackend,
    t: StateTable,
    private readonly defaultValue: unknown,
  ) {
    super(b, t);
    this.defaultIsObject = defaultValue !== null && typeof defaultValue === 'object';
  }
  value(): unknown {
    const v = this.b.read(this.t, this.ns);
    if (v !== undefined) return v;
    // a fresh copy so that mutating the returned default does not change it for every key
    return this.defaultIsObject ? structuredClone(this.defaultValue) : this.defaultValue;
  }
  update(value: unknown): void {
    if (value === undefined || value === null) this.b.remove(this.t, this.ns);
    else this.b.write(this.t, this.ns, value);
  }
  merge(): void {
    throw new WeirError(
      'WEIR_STATE_ACCESS',
      `ValueState '${this.t.name}' cannot be merged: merging windows need list, reducing or aggregating state.`,
    );
  }
}

class HeapListState extends HeapState implements ListState<unknown> {
  get(): unknown[] {
    const a = this.b.read(this.t, this.ns) as unknown[] | undefined;
    return a === undefined ? [] : a.slice();
  }
  add(value: unknown): void {
    const a = this.b.read(this.t, this.ns) as unknown[] | undefined;
    if (a === undefined) this.b.write(this.t, this.ns, [value]);
    else a.push(value);
  }
  addAll(values: Iterable<unknown>): void {
    let a = this.b.read(this.t, this.ns) as unknown[] | undefined;
    for (const v of values) {
      if (a === undefined) {
        a = [v];
        this.b.write(this.t, this.ns, a);
      } else a.push(v);
    }
  }
  update(values: Iterable<unknown>): void {
    const a = Array.from(values);
    if (a.length === 0) this.b.remove(this.t, this.ns);
    else this.b.write(this.t, this.ns, a);
  }
  merge(target: string, sources: string[]): void {
    let acc = readAt(this, target) as unknown[] | undefined;
    for (const s of sources) {
      if (s === target) continue;
      const v = takeAt(this, s) as unknown[] | undefined;
      if (v === undefined) continue;
      if (acc === undefined) acc = v;
      else for (const x of v) acc.push(x);
    }
    if (acc !== undefined) writeAt(this, target, acc);
  }
}

class HeapMapState extends HeapState implements MapState<unknown, unknown> {
  private data(): MapData | undefined {
    return this.b.read(this.t, this.ns) as MapData | undefined;
  }
  get(key: unknown): unknown {
    return this.data()?.vals.get(normalizeKey(key));
  }
  put(key: unknown, value: unknown): void {
    let md = this.data();
    if (md === undefined) {
      md = new MapData();
      this.b.write(this.t, this.ns, md);
    }
    md.set(key, value);
  }
  putAll(entries: Iterable<[unknown, unknown]> | Map<unknown, unknown>): void {
    for (const [k, v] of entries) this.put(k, v);
  }
  remove(key: unknown): void {
    const md = this.data();
    if (md === undefined) return;
    md.delete(key);
    if (md.vals.size === 0) this.b.remove(this.t, this.ns);
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
    let acc = readAt(this, target) as MapData | undefined;
    for (const s of sources) {
      if (s === target) continue;
      const v = takeAt(this, s) as MapData | undefined;
      if (v === undefined) continue;
      if (acc === undefined) acc = v;
      else for (const [k, x] of v.entries()) acc.set(k, x);
    }
    if (acc !== undefined) writeAt(this, target, acc);
  }
}

class HeapReducingState extends HeapState implements ReducingState<unknown> {
  get(): unknown {
    return this.b.read(this.t, this.ns);
  }
  add(value: unknown): void {
    const cur = this.b.read(this.t, this.ns);
    const next = cur === undefined ? value : this.t.reduce!(cur, value);
    if (next === undefined || next === null) this.b.remove(this.t, this.ns);
    else this.b.write(this.t, this.ns, next);
  }
  merge(target: string, sources: string[]): void {
    let acc = readAt(this, target);
    for (const s of sources) {
      if (s === target) continue;
      const v = takeAt(this, s);
      if (v === undefined) continue;
      acc = acc === undefined ? v : this.t.reduce!(acc, v);
    }
    if (acc !== undefined) writeAt(this, target, acc);
  }
}

class HeapAggregatingState extends HeapState implements AggregatingState<unknown, unknown> {
  get(): unknown {
    const acc = this.b.read(this.t, this.ns);
    return acc === undefined ? undefined : this.t.agg!.getResult(acc);
  }
  add(value: unknown): void {
    const agg = this.t.agg!;
    let acc = this.b.read(this.t, this.ns);
    if (acc === undefined) acc = agg.createAccumulator();
    this.b.write(this.t, this.ns, agg.add(value, acc));
  }
  merge(target: string, sources: string[]): void {
    let acc = readAt(this, target);
    for (const s of sources) {
      if (s === target) continue;
      const v = takeAt(this, s);
      if (v === undefined) continue;
      acc = acc === undefined ? v : this.t.agg!.merge(acc, v);
    }
    if (acc !== undefined) writeAt(this, target, acc);
  }
}

// Namespace-explicit helpers for merging (the state's own namespace is left as it is).
function readAt(s: HeapState, ns: string): unknown {
  return s.b.read(s.t, ns);
}
function takeAt(s: HeapState, ns: string): unknown {
  const v = s.b.read(s.t, ns);
  if (v !== undefined) s.b.remove(s.t, ns);
  return v;
}
function writeAt(s: HeapState, ns: string, v: unknown): void {
  s.b.write(s.t, ns, v);
}

class HeapNamespacedState<S extends State> implements NamespacedState<S> {
  constructor(readonly state: S & HeapState) {}
  setNamespace(namespace: string): void {
    this.state.ns = namespace;
  }
  mergeNamespaces(target: string, sources: string[]): void {
    this.state.merge(target, sources);
  }
}
