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
import { join } from 'node:path';
import { packEntryChunk, packKeyedStateChunks, type EncodedEntries } from './snapshot-encoding.js';
import { readLsmCheckpoint } from './lsm/backend.js';
import type { StateKind } from '../../api/state.js';
import { AbstractKeyedStateBackend, type BackendIdentity } from './abstract-keyed-state-backend.js';
import {
  VOID_NAMESPACE,
  type HeapStateEntry,
  type HeapStateSnapshot,
  type KeyGroupRange,
  type KeyedStateBackend,
  type KeyedStateBackendSnapshot,
  type NormalizedKey,
  type RestoredKeyedState,
  type RestoreRequest,
  type SnapshotRequest,
} from './keyed-state-backend.js';
import { exportValue, importValue, isObjectNormKey, StateTable } from './state-objects.js';

export type { HeapStateEntry, HeapStateSnapshot, KeyGroupRange, NormalizedKey } from './keyed-state-backend.js';

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
  readonly saved = new Map<HeapStateTable, Map<string, Map<NormalizedKey, Captured>>>();
  /** Namespace maps the snapshot has encoded entirely: later changes to them need no copy. */
  readonly done = new Set<Map<NormalizedKey, unknown>>();
  cancelled = false;
}

/** Entries encoded per chunk, between which the task runs: a few milliseconds of work each. */
const SNAPSHOT_CHUNK = 16384;

function yieldToTask(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** A state's values by namespace and normalised key; the handle of a namespace is the namespace. */
class HeapStateTable extends StateTable<string> {
  readonly data = new Map<string, Map<NormalizedKey, unknown>>();
  constructor(
    name: string,
    kind: StateKind,
    private readonly b: HeapKeyedStateBackend,
  ) {
    super(name, kind);
  }
  handle(ns: string): string {
    return ns;
  }
  read(ns: string): unknown {
    const b = this.b;
    if (!b.hasKey) throw b.noKeyError(`state '${this.name}'`);
    const m = this.data.get(ns);
    if (m === undefined) return undefined;
    const v = m.get(b.nk);
    // A list, map or object may be changed in place by the caller: a running snapshot copies it first.
    if (b.copies.size > 0 && v !== null && typeof v === 'object') b.saveForSnapshots(this, ns, m, b.nk);
    return v;
  }
  write(ns: string, value: unknown): void {
    const b = this.b;
    if (!b.hasKey) throw b.noKeyError(`state '${this.name}'`);
    if (b.copies.size > 0) b.saveForSnapshots(this, ns, this.data.get(ns), b.nk);
    b.putFor(this, ns, b.nk, b.getCurrentKey(), value);
  }
  remove(ns: string): void {
    const b = this.b;
    if (!b.hasKey) throw b.noKeyError(`state '${this.name}'`);
    const m = this.data.get(ns);
    if (m === undefined) return;
    const nk = b.nk;
    if (b.copies.size > 0) b.saveForSnapshots(this, ns, m, nk);
    if (m.delete(nk)) {
      if (m.size === 0) this.data.delete(ns);
      if (isObjectNormKey(nk)) b.unrefKey(nk);
    }
  }
  changed(): void {
    // the live value is the stored one; read() let running snapshots copy it first
  }
}

export class HeapKeyedStateBackend extends AbstractKeyedStateBackend<HeapStateTable> implements KeyedStateBackend {
  /** Original object keys with the number of (state, namespace) entries that hold them. */
  private readonly objectKeys = new Map<string, { key: unknown; refs: number }>();
  /** @internal Snapshots being encoded (copy-on-write while any is). */
  readonly copies = new Set<SnapshotCopies>();

  constructor(opts: BackendIdentity) {
    super(opts);
  }

  protected newTable(name: string, kind: StateKind): HeapStateTable {
    return new HeapStateTable(name, kind, this);
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
    this.objectKeys.clear();
    this.resetStates();
  }

  /** Every entry of every state as plain data, tagged with its key group. */
  canonicalSnapshot(): HeapStateSnapshot {
    const states: HeapStateSnapshot['states'] = [];
    const kgCache = new Map<NormalizedKey, number>();
    for (const t of this.tables.values()) {
      const entries: HeapStateEntry[] = [];
      const ttlFilter = this.ttl.filter(t.name);
      for (const [ns, m] of t.data) {
        for (const [nk, v] of m) {
          let kg = kgCache.get(nk);
          if (kg === undefined) {
            kg = assignToKeyGroup(nk, this.maxParallelism);
            kgCache.set(nk, kg);
          }
          const value = ttlFilter ? ttlFilter(exportValue(t.kind, v)) : exportValue(t.kind, v);
          if (value === undefined) continue; // expired (TTL cleanupFullSnapshot)
          entries.push([kg, this.originalKey(nk), ns, value]);
        }
      }
      if (entries.length > 0) states.push({ name: t.name, kind: t.kind, entries });
    }
    return { states };
  }

  /**
   * The state as of this call, encoded asynchronously (what a checkpoint writes; the same entries
   * as canonicalSnapshot()). This call only lists the keys; the entries are exported and encoded
   * `SNAPSHOT_CHUNK` at a time, yielding to the event loop in between, while copy-on-write keeps
   * what the task changes meanwhile out of the snapshot.
   */
  snapshotEncoded(): EncodedHeapSnapshot {
    const parts: { t: HeapStateTable; ns: string; m: Map<NormalizedKey, unknown>; keys: NormalizedKey[] }[] = [];
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
          const ttlFilter = this.ttl.filter(p.t.name);
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
            if (ttlFilter !== undefined && (value = ttlFilter(value)) === undefined) continue; // expired (TTL cleanupFullSnapshot)
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

  /** Checkpoints and savepoints alike: the entries of snapshotEncoded() with the timers. */
  snapshot(_request: SnapshotRequest): KeyedStateBackendSnapshot {
    const snapshot = this.snapshotEncoded();
    return {
      empty: snapshot.entries === 0,
      data: (timerBytes) => snapshot.states.then((states) => packKeyedStateChunks(states, timerBytes)),
    };
  }

  notifyCheckpointComplete(): void {}

  notifyCheckpointAborted(): void {}

  /** Canonical entries as they are; an lsm incremental checkpoint's entries are read through a temporary lsm backend. */
  async restoreState(parts: readonly RestoredKeyedState[], request: RestoreRequest): Promise<void> {
    const { range, sharedDir } = request;
    for (const p of parts) {
      const descriptor = p.lsm?.files[0];
      if (descriptor === undefined) continue;
      const opts = { maxParallelism: this.maxParallelism, range, searchDirs: [sharedDir] };
      this.restore(await readLsmCheckpoint(join(sharedDir, descriptor), { ...opts, operatorName: this.operatorName }), range);
    }
    for (const p of parts) if (p.states.length > 0) this.restore({ states: p.states }, range);
  }

  /**
   * Before the task changes (or may change in place) the value of `nk` in `ns`, each running
   * snapshot that has not encoded it yet keeps a copy of it as it was.
   */
  /** @internal */
  saveForSnapshots(t: HeapStateTable, ns: string, m: Map<NormalizedKey, unknown> | undefined, nk: NormalizedKey): void {
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
      for (const [kg, key, ns, value] of s.entries) {
        if (range !== undefined && (kg < range.start || kg > range.end)) continue;
        const imported = importValue(s.kind, value);
        if (imported === undefined) continue;
        this.putFor(t, ns, normalizeKey(key), key, imported);
      }
    }
  }

  /** @internal */
  putFor(t: HeapStateTable, ns: string, nk: NormalizedKey, key: unknown, value: unknown): void {
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

  /** @internal */
  unrefKey(nk: string): void {
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
