/**
 * The states of an lsm backend: each has a 2-byte id in the keys of its entries, and a metadata
 * entry (name → id, kind, whether it has namespaces) so that a database opened from a checkpoint
 * knows its states. Values are MessagePack (a map state's value as its [key, value] pairs).
 */
import { Packr } from 'msgpackr';
import { checkRecordClasses } from '../../serialization/record-classes.js';
import { WeirError } from '../../../errors.js';
import type { StateKind } from '../../../api/state.js';
import { VOID_NAMESPACE } from '../keyed-state-backend.js';
import { MapData, StateTable } from '../state-objects.js';
import type { Db, WriteBatch } from './database.js';
import { META_COUNT, META_STATE, encodeString, fromBuf, prefixEnd, readU16, toBuf, u16 } from './key-codec.js';

export const packr = new Packr({ useRecords: false, moreTypes: true });
export const encodeValue = (v: unknown): Buffer => {
  const plain = v instanceof MapData ? v.entries() : v;
  checkRecordClasses(plain, 'A state value');
  return packr.pack(plain);
};

/** What the tables read and write through: the cached entries of the current key. */
export interface LsmEntryAccess {
  read(t: LsmStateTable, suffix: string): unknown;
  write(t: LsmStateTable, suffix: string, value: unknown): void;
  remove(t: LsmStateTable, suffix: string): void;
}

interface TableMeta {
  id: number;
  kind: StateKind;
  partitioned: boolean;
}

/** A state's entries: the handle of a namespace is its key suffix ([state id][namespace]). */
export class LsmStateTable extends StateTable<string> {
  readonly sid: string;
  readonly voidSuffix: string;
  constructor(
    name: string,
    kind: StateKind,
    readonly id: number,
    /** Whether any namespace but VOID may hold values (prefetch then scans instead of point reads). */
    public partitioned: boolean,
    /** Creation order (see KeyEntry.seq); 0 when the table may hold values on disk for any key. */
    public seq: number,
    private readonly access: LsmEntryAccess,
  ) {
    super(name, kind);
    this.sid = u16(id);
    this.voidSuffix = this.sid + encodeString(VOID_NAMESPACE);
  }
  handle(ns: string): string {
    return ns === VOID_NAMESPACE ? this.voidSuffix : this.sid + encodeString(ns);
  }
  read(suffix: string): unknown {
    return this.access.read(this, suffix);
  }
  write(suffix: string, value: unknown): void {
    this.access.write(this, suffix, value);
  }
  remove(suffix: string): void {
    this.access.remove(this, suffix);
  }
  /** Values are stored serialized: a change in place is written like any other. */
  changed(suffix: string, value: unknown): void {
    this.access.write(this, suffix, value);
  }
}

/** The tables by id, and which of them have metadata not written yet. */
export class LsmTables {
  readonly byId = new Map<number, LsmStateTable>();
  private nextId = 1;
  /** Tables whose metadata the next write batch writes. */
  readonly metaDirty = new Set<LsmStateTable>();

  create(name: string, kind: StateKind, seq: number, access: LsmEntryAccess, context: { operator?: string }): LsmStateTable {
    if (this.nextId > 0xffff) throw new WeirError('WEIR_STATE_ACCESS', 'Too many states in one operator (65535)', context);
    const t = new LsmStateTable(name, kind, this.nextId++, false, seq, access);
    this.byId.set(t.id, t);
    this.metaDirty.add(t);
    return t;
  }

  /** A table's state has namespaces other than VOID. */
  partitioned(t: LsmStateTable): void {
    if (t.partitioned) return;
    t.partitioned = true;
    this.metaDirty.add(t);
  }

  /** The value of an entry read from disk, by the table its key suffix names. */
  decode(suffix: string, v: Buffer): unknown {
    const t = this.byId.get(readU16(suffix, 0));
    const x = packr.unpack(v);
    return t?.kind === 'map' ? MapData.from(x as [unknown, unknown][]) : x;
  }

  /** Adds the metadata not written yet, and the entry count, to `batch`. */
  metaOps(batch: WriteBatch, count: number): void {
    for (const t of this.metaDirty) {
      const meta: TableMeta = { id: t.id, kind: t.kind, partitioned: t.partitioned };
      batch.put(toBuf(META_STATE + Buffer.from(t.name, 'utf8').toString('latin1')), packr.pack(meta));
    }
    this.metaDirty.clear();
    batch.put(toBuf(META_COUNT), packr.pack(count));
  }

  /** The tables of this backend's own database (opened from a checkpoint), by name; and its entry count. */
  async loadOwn(db: Db, access: LsmEntryAccess): Promise<{ tables: LsmStateTable[]; count: number }> {
    const tables: LsmStateTable[] = [];
    for (const [name, m] of await readMeta(db)) {
      const t = new LsmStateTable(name, m.kind, m.id, m.partitioned, 0, access);
      t.restored = true;
      this.byId.set(m.id, t);
      this.nextId = Math.max(this.nextId, m.id + 1);
      tables.push(t);
    }
    const c = await db.get(toBuf(META_COUNT));
    return { tables, count: c === undefined ? 0 : (packr.unpack(c) as number) };
  }

  /** Maps the state ids of another database to this backend's tables (`tableFor` registers them as restored). */
  async mapOther(db: Db, tableFor: (name: string, kind: StateKind) => LsmStateTable): Promise<Map<number, LsmStateTable>> {
    const idMap = new Map<number, LsmStateTable>();
    for (const [name, m] of await readMeta(db)) {
      const t = tableFor(name, m.kind);
      if (m.partitioned && !t.partitioned) t.partitioned = true;
      this.metaDirty.add(t);
      idMap.set(m.id, t);
    }
    return idMap;
  }

  clear(): void {
    this.byId.clear();
  }
}

async function readMeta(db: Db): Promise<[string, TableMeta][]> {
  const out: [string, TableMeta][] = [];
  const it = db.iterator({ gte: toBuf(META_STATE), lt: toBuf(prefixEnd(META_STATE)) });
  try {
    for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
      const entries = await it.nextv(1000);
      if (entries.length === 0) break;
      for (const [k, v] of entries) {
        out.push([Buffer.from(fromBuf(k).slice(META_STATE.length), 'latin1').toString('utf8'), packr.unpack(v) as TableMeta]);
      }
    }
  } finally {
    await it.close();
  }
  return out;
}
