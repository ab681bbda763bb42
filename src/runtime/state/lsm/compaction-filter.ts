/**
 * The compaction filter of the lsm backend (Flink's RocksDB TTL compaction filter): when the
 * backend compacts, every entry of a state that installed a filter (TTL
 * cleanupInRocksdbCompactFilter) is passed through it; an entry the filter drops is deleted and an
 * entry it shortens (expired list elements, map entries) is rewritten, before LevelDB compacts, so
 * the compaction leaves no trace of them in the table files.
 *
 * LevelDB's own background compactions run in native code and cannot call JavaScript, so the
 * filter runs as a pass on the backend's queue, a chunk at a time with no read open across a write
 * (see LsmDatabase.withImage). Keys with changes in memory are skipped: their newer values win.
 */
import type { StateKind } from '../../../api/state.js';
import { importValue } from '../state-objects.js';
import type { LsmInternals } from './internals.js';
import { META_PREFIX, decodeEntryKey, fromBuf, toBuf } from './key-codec.js';
import { encodeValue, packr } from './tables.js';

/** A filter of one compaction pass over a state's stored values: undefined drops the entry, another value replaces it. */
export type CompactionFilter = (stored: unknown) => unknown;

const CHUNK = 1000;

/** On the queue: applies the filters of `filterOf` (by state name) to every entry; returns the number of entries deleted. */
export async function runCompactionFilters(b: LsmInternals, filterOf: (name: string) => CompactionFilter | undefined): Promise<number> {
  const filters = new Map<number, { kind: StateKind; f: CompactionFilter }>();
  for (const t of b.tables.byId.values()) {
    const f = filterOf(t.name);
    if (f !== undefined) filters.set(t.id, { kind: t.kind, f });
  }
  if (filters.size === 0) return 0;
  const db = b.store.db;
  let deleted = 0;
  let rewritten = 0;
  let after: Buffer | undefined = undefined;
  for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
    b.store.check();
    const it = db.iterator(after !== undefined ? { gt: after, lt: toBuf(META_PREFIX) } : { lt: toBuf(META_PREFIX) });
    let entries: [Buffer, Buffer][];
    try {
      entries = await it.nextv(CHUNK);
    } finally {
      await it.close();
    }
    if (entries.length === 0) break;
    after = entries[entries.length - 1]![0];
    const batch = db.batch();
    let changes = 0;
    for (const [k, v] of entries) {
      const s = fromBuf(k);
      const d = decodeEntryKey(s);
      const filter = filters.get(d.stateId);
      if (filter === undefined || b.cache.busy(s.slice(0, d.prefixLength))) continue;
      const stored: unknown = packr.unpack(v);
      const kept = filter.f(stored);
      if (kept === stored) continue;
      const value = kept === undefined ? undefined : importValue(filter.kind, kept);
      if (value === undefined) {
        batch.del(k);
        deleted++;
      } else batch.put(k, encodeValue(value));
      changes++;
    }
    if (changes > 0) await batch.write();
    else await batch.close();
    rewritten += changes;
  }
  if (rewritten > 0) {
    b.cache.count = Math.max(0, b.cache.count - deleted);
    const batch = db.batch();
    b.tables.metaOps(batch, b.cache.count);
    await batch.write();
    b.afterBulkLoad();
  }
  return deleted;
}
