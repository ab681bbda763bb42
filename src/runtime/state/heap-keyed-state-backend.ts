/**
 * Heap keyed state (Flink's HashMapStateBackend): values live as JS objects in one row per key
 * (Map<normalizedKey, KeyRow>), a slot per state in it and namespaces inside the slot
 * (heap-state-table.ts); the current key's row is found once, in setCurrentKey. Key groups are
 * computed only at snapshot time, once per key. Empty values (cleared state, empty lists and maps) are removed at once so state never leaks.
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
import { exportValue, importValue } from './state-objects.js';
import { HeapStateTable, KeyRow, type RowHost } from './heap-state-table.js';

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

/** The values a running snapshot saved before the task changed them, by table, key, namespace. */
class SnapshotCopies {
  readonly saved = new Map<HeapStateTable, Map<NormalizedKey, Map<string, Captured>>>();
  /** Slots the snapshot has encoded entirely: later changes to them need no copy. */
  readonly done = new Set<object>();
  cancelled = false;
}

/** Entries encoded per chunk, between which the task runs: a few milliseconds of work each. */
const SNAPSHOT_CHUNK = 16384;

function yieldToTask(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export class HeapKeyedStateBackend extends AbstractKeyedStateBackend<HeapStateTable> implements KeyedStateBackend, RowHost {
  /** Every key with state, its row. */
  private readonly rows = new Map<NormalizedKey, KeyRow>();
  /** @internal The current key's row (undefined: the key holds no state yet). */
  row: KeyRow | undefined = undefined;
  private nextTableId = 0;
  /** @internal Snapshots being encoded (copy-on-write while any is). */
  readonly copies = new Set<SnapshotCopies>();

  constructor(opts: BackendIdentity) {
    super(opts);
  }

  protected newTable(name: string, kind: StateKind): HeapStateTable {
    return new HeapStateTable(name, kind, this.nextTableId++, this);
  }

  override setCurrentKey(key: unknown): void {
    super.setCurrentKey(key);
    this.row = this.rows.get(this.nk);
  }

  /** @internal */
  rowForWrite(): KeyRow {
    let row = this.row;
    if (row === undefined) {
      row = new KeyRow(this.nk, this.getCurrentKey());
      this.rows.set(row.nk, row);
      this.row = row;
    }
    return row;
  }

  /** @internal the last slot of `row` was emptied. */
  dropRow(row: KeyRow): void {
    if (this.rows.get(row.nk) === row) this.rows.delete(row.nk);
    if (this.row === row) this.row = undefined;
  }

  getKeys(stateName: string, namespace: string = VOID_NAMESPACE): unknown[] {
    const t = this.tables.get(stateName);
    if (t === undefined || t.count === 0) return [];
    const out: unknown[] = [];
    const id = t.id;
    for (const row of this.rows.values()) {
      const s = row.slots[id];
      if (s !== undefined && s.has(namespace)) out.push(row.key);
    }
    return out;
  }

  numEntries(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.count;
    return n;
  }

  dispose(): void {
    for (const c of this.copies) c.cancelled = true;
    this.copies.clear();
    this.rows.clear();
    this.row = undefined;
    this.resetStates();
  }

  private keyGroupOf(row: KeyRow): number {
    if (row.kg < 0) row.kg = assignToKeyGroup(row.nk, this.maxParallelism);
    return row.kg;
  }

  /** Every entry of every state as plain data, tagged with its key group. */
  canonicalSnapshot(): HeapStateSnapshot {
    const states: HeapStateSnapshot['states'] = [];
    for (const t of this.tables.values()) {
      const entries: HeapStateEntry[] = [];
      const ttlFilter = this.ttl.filter(t.name);
      const add = (row: KeyRow, ns: string, v: unknown): void => {
        const value = ttlFilter ? ttlFilter(exportValue(t.kind, v)) : exportValue(t.kind, v);
        if (value !== undefined) entries.push([this.keyGroupOf(row), row.key, ns, value]); // undefined: expired (TTL cleanupFullSnapshot)
      };
      if (t.count > 0) {
        for (const row of this.rows.values()) {
          const s = row.slots[t.id];
          if (s !== undefined) s.forEach((ns, v) => add(row, ns, v));
        }
      }
      if (entries.length > 0) states.push({ name: t.name, kind: t.kind, entries });
    }
    return { states };
  }

  /**
   * The state as of this call, encoded asynchronously (what a checkpoint writes; the same entries
   * as canonicalSnapshot()). This call only lists the rows; the entries are exported and encoded
   * about `SNAPSHOT_CHUNK` at a time (a key's entries of a state together), yielding to the event
   * loop in between, while copy-on-write keeps what the task changes meanwhile out of the snapshot.
   */
  snapshotEncoded(): EncodedHeapSnapshot {
    const entries = this.numEntries();
    if (entries === 0) return { entries: 0, states: Promise.resolve([]) };
    const tables = Array.from(this.tables.values()).filter((t) => t.count > 0);
    const rows = Array.from(this.rows.values());
    const copies = new SnapshotCopies();
    this.copies.add(copies);
    const states = (async (): Promise<EncodedStateEntries[]> => {
      const out: EncodedStateEntries[] = [];
      let batch: HeapStateEntry[] = [];
      try {
        for (const t of tables) {
          const current: EncodedStateEntries = { name: t.name, kind: t.kind, count: 0, chunks: [] };
          out.push(current);
          const flush = (): void => {
            if (batch.length === 0) return;
            current.chunks.push(packEntryChunk(batch));
            current.count += batch.length;
            batch = [];
          };
          const ttlFilter = this.ttl.filter(t.name);
          const add = (row: KeyRow, ns: string, key: unknown, value: unknown): void => {
            if (ttlFilter !== undefined && (value = ttlFilter(value)) === undefined) return; // expired (TTL cleanupFullSnapshot)
            batch.push([this.keyGroupOf(row), key, ns, value]);
          };
          for (let i = 0; i < rows.length; i++) {
            const row = rows[i]!;
            const saved = copies.saved.get(t)?.get(row.nk);
            const s = row.slots[t.id];
            if (s !== undefined) {
              s.forEach((ns, v) => {
                if (saved?.has(ns) !== true) add(row, ns, row.key, exportValue(t.kind, v));
              });
              copies.done.add(s);
            }
            if (saved !== undefined) for (const [ns, c] of saved) if (c !== ABSENT) add(row, ns, c.key, c.value);
            if (batch.length >= SNAPSHOT_CHUNK) {
              flush();
              await yieldToTask();
              if (copies.cancelled)
                throw new WeirError('WEIR_CHECKPOINT', 'the state backend was disposed while a snapshot was being written');
            }
          }
          flush();
        }
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
      // a checkpoint of the lsm backend restored on the heap: only then is the lsm module loaded
      const { readLsmCheckpoint } = await import('./lsm/backend.js');
      const opts = { maxParallelism: this.maxParallelism, range, searchDirs: [sharedDir] };
      this.restore(await readLsmCheckpoint(join(sharedDir, descriptor), { ...opts, operatorName: this.operatorName }), range);
    }
    for (const p of parts) if (p.states.length > 0) this.restore({ states: p.states }, range);
  }

  /**
   * Before the task changes (or may change in place) the value of `row`'s key in `ns`, each
   * running snapshot that has not encoded it yet keeps a copy of it as it was.
   */
  /** @internal */
  saveForSnapshots(t: HeapStateTable, row: KeyRow, ns: string): void {
    const s = row.slots[t.id];
    for (const c of this.copies) {
      if (s !== undefined && c.done.has(s)) continue;
      let byKey = c.saved.get(t);
      if (byKey === undefined) c.saved.set(t, (byKey = new Map()));
      let byNs = byKey.get(row.nk);
      if (byNs === undefined) byKey.set(row.nk, (byNs = new Map()));
      if (byNs.has(ns)) continue;
      const v = s?.get(ns);
      byNs.set(ns, v === undefined ? ABSENT : { key: row.key, value: copyForSnapshot(t.kind, v) });
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
        const nk = normalizeKey(key);
        let row = this.rows.get(nk);
        if (row === undefined) {
          row = new KeyRow(nk, key);
          row.kg = kg;
          this.rows.set(nk, row);
        }
        t.put(row, ns, imported);
      }
    }
    this.row = this.hasKey ? this.rows.get(this.nk) : undefined;
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
