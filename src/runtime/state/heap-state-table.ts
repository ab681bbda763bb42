/**
 * The heap backend's layout: one row per key, found once when the key is set (setCurrentKey), and
 * in it one slot per state; a slot holds the VOID namespace's value in a field and other
 * namespaces inline (the first) or in a Map by namespace. A state access is then an array index and, for a window's
 * namespace, one lookup in a small per-key map: no per-access lookup of the key, no lookup at all
 * for VOID-namespace state.
 */
import type { StateKind } from '../../api/state.js';
import { VOID_NAMESPACE, type NormalizedKey } from './keyed-state-backend.js';
import { StateTable } from './state-objects.js';

/**
 * One state's values of one key. The first other namespace sits inline (`k1`/`v1`): a key
 * usually has one window in flight at a time (tumbling windows, a session's state window), so
 * most keys need no Map of their own.
 */
export class Slot {
  /** The VOID namespace's value (undefined: none). */
  v: unknown = undefined;
  /** One namespace other than VOID and its value. */
  k1: string | undefined = undefined;
  v1: unknown = undefined;
  /** Further namespaces. */
  ns: Map<string, unknown> | undefined = undefined;
  /** Entries held (v counts as one). */
  n = 0;

  get(ns: string): unknown {
    if (ns === VOID_NAMESPACE) return this.v;
    if (this.k1 === ns) return this.v1;
    return this.ns?.get(ns);
  }

  has(ns: string): boolean {
    return this.get(ns) !== undefined;
  }

  /** Calls `fn` for every namespace with a value, VOID first. */
  forEach(fn: (ns: string, value: unknown) => void): void {
    if (this.v !== undefined) fn(VOID_NAMESPACE, this.v);
    if (this.k1 !== undefined) fn(this.k1, this.v1);
    if (this.ns !== undefined) for (const [ns, v] of this.ns) fn(ns, v);
  }
}

/** All state of one key: its original key (object keys keep their first instance), a slot per state. */
export class KeyRow {
  readonly slots: (Slot | undefined)[] = [];
  /** Slots that hold something: the row goes when none does. */
  live = 0;
  /** Key group, computed when first needed (snapshots). */
  kg = -1;
  constructor(
    readonly nk: NormalizedKey,
    readonly key: unknown,
  ) {}
}

/** What a table needs from its backend: the current key's row, created on first write. */
export interface RowHost {
  readonly hasKey: boolean;
  /** The current key's row, or undefined when the key has no state. */
  row: KeyRow | undefined;
  rowForWrite(): KeyRow;
  dropRow(row: KeyRow): void;
  /** A running snapshot keeps the value of (t, row, ns) as it was before the task changes it. */
  readonly copies: { readonly size: number };
  saveForSnapshots(t: HeapStateTable, row: KeyRow, ns: string): void;
  noKeyError(what: string): Error;
}

/** A state's values over the rows; the handle of a namespace is the namespace. */
export class HeapStateTable extends StateTable<string> {
  /** Entries over all keys and namespaces. */
  count = 0;
  constructor(
    name: string,
    kind: StateKind,
    /** Index of this state's slot in every row. */
    readonly id: number,
    private readonly b: RowHost,
  ) {
    super(name, kind);
  }
  handle(ns: string): string {
    return ns;
  }
  read(ns: string): unknown {
    const b = this.b;
    const row = b.row;
    if (row === undefined) {
      if (!b.hasKey) throw b.noKeyError(`state '${this.name}'`);
      return undefined;
    }
    const s = row.slots[this.id];
    if (s === undefined) return undefined;
    const v = s.get(ns);
    // A list, map or object may be changed in place by the caller: a running snapshot copies it first.
    if (b.copies.size > 0 && v !== null && typeof v === 'object') b.saveForSnapshots(this, row, ns);
    return v;
  }
  write(ns: string, value: unknown): void {
    const b = this.b;
    if (!b.hasKey) throw b.noKeyError(`state '${this.name}'`);
    const row = b.rowForWrite();
    if (b.copies.size > 0) b.saveForSnapshots(this, row, ns);
    this.put(row, ns, value);
  }
  /** Sets `value` (not undefined) under `ns` in `row`. */
  put(row: KeyRow, ns: string, value: unknown): void {
    let s = row.slots[this.id];
    if (s === undefined) {
      s = row.slots[this.id] = new Slot();
      row.live++;
    }
    if (ns === VOID_NAMESPACE) {
      if (s.v === undefined) {
        s.n++;
        this.count++;
      }
      s.v = value;
      return;
    }
    if (s.k1 === ns) {
      s.v1 = value;
      return;
    }
    const m = s.ns;
    if (m !== undefined && m.has(ns)) {
      m.set(ns, value);
      return;
    }
    if (s.k1 === undefined) {
      s.k1 = ns;
      s.v1 = value;
    } else (s.ns ??= new Map()).set(ns, value);
    s.n++;
    this.count++;
  }
  remove(ns: string): void {
    const b = this.b;
    const row = b.row;
    if (row === undefined) {
      if (!b.hasKey) throw b.noKeyError(`state '${this.name}'`);
      return;
    }
    const s = row.slots[this.id];
    if (s === undefined) return;
    if (ns === VOID_NAMESPACE) {
      if (s.v === undefined) return;
      if (b.copies.size > 0) b.saveForSnapshots(this, row, ns);
      s.v = undefined;
    } else if (s.k1 === ns) {
      if (b.copies.size > 0) b.saveForSnapshots(this, row, ns);
      s.k1 = undefined;
      s.v1 = undefined;
    } else {
      const m = s.ns;
      if (m === undefined || !m.has(ns)) return;
      if (b.copies.size > 0) b.saveForSnapshots(this, row, ns);
      m.delete(ns);
    }
    this.count--;
    if (--s.n > 0) return;
    row.slots[this.id] = undefined;
    if (--row.live === 0) b.dropRow(row);
  }
  changed(): void {
    // the live value is the stored one; read() let running snapshots copy it first
  }
}
