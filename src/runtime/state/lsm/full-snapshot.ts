/**
 * Canonical (full) snapshots of the lsm backend: every entry as plain data in the
 * backend-independent format (savepoints, checkpoints unless incremental), read from an image of
 * the database as of the call; and their restore. Also the key listings, which scan an image too.
 */
import { WeirError } from '../../../errors.js';
import { assignToKeyGroup, normalizeKey } from '../../../graph/key-groups.js';
import { VOID_NAMESPACE, type HeapStateEntry, type HeapStateSnapshot, type KeyGroupRange } from '../keyed-state-backend.js';
import { importValue } from '../state-objects.js';
import type { Db } from './database.js';
import type { LsmInternals } from './internals.js';
import { META_PREFIX, decodeEntryKey, fromBuf, keyPrefix, originalKey, toBuf } from './key-codec.js';
import { encodeValue, packr } from './tables.js';

/** Runs `fn` on an image of the database with the changes made so far (see LsmDatabase.withImage). */
export function withImage<T>(b: LsmInternals, fn: (image: Db) => Promise<T>): Promise<T> {
  if (b.store.failure !== undefined) return Promise.reject(b.store.failure);
  return b.store.withImage(b.cache.captureForQueue(), fn);
}

/** Every entry, as of the call; the values are fresh copies. */
export async function canonicalSnapshot(b: LsmInternals): Promise<HeapStateSnapshot> {
  const byId = new Map<number, HeapStateEntry[]>();
  await withImage(b, async (image) => {
    const it = image.iterator({ lt: toBuf(META_PREFIX) });
    try {
      for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
        b.store.check();
        const batch = await it.nextv(1000);
        if (batch.length === 0) break;
        for (const [k, v] of batch) {
          const d = decodeEntryKey(fromBuf(k));
          const t = b.tables.byId.get(d.stateId);
          if (t === undefined)
            throw new WeirError('WEIR_CHECKPOINT', `The lsm state backend holds values of an unknown state (id ${d.stateId})`);
          let entries = byId.get(t.id);
          if (entries === undefined) byId.set(t.id, (entries = []));
          const f = b.ttlFilter(t.name);
          const value: unknown = f ? f(packr.unpack(v)) : packr.unpack(v);
          if (value === undefined) continue; // expired (TTL cleanupFullSnapshot)
          entries.push([d.keyGroup, originalKey(d.nk), d.namespace, value]);
        }
      }
    } finally {
      await it.close();
    }
  });
  const states: HeapStateSnapshot['states'] = [];
  for (const t of b.tables.byId.values()) {
    const entries = byId.get(t.id);
    if (entries !== undefined && entries.length > 0) states.push({ name: t.name, kind: t.kind, entries });
  }
  return { states };
}

/** Adds the entries of a canonical snapshot (from either backend) whose key group lies in `range` (all when omitted). */
export async function restoreCanonical(b: LsmInternals, snapshot: HeapStateSnapshot, range?: KeyGroupRange): Promise<void> {
  await b.cache.flush();
  await b.store.enqueue(async () => {
    const db = b.store.db;
    const pending = new Map<string, Buffer>();
    const write = async (): Promise<void> => {
      if (pending.size === 0) return;
      const keys = Array.from(pending.keys());
      const exists = await db.hasMany(keys.map(toBuf));
      const batch = db.batch();
      for (let i = 0; i < keys.length; i++) {
        if (!exists[i]) b.cache.count++;
        batch.put(toBuf(keys[i]!), pending.get(keys[i]!)!);
      }
      b.tables.metaOps(batch, b.cache.count);
      await batch.write();
      pending.clear();
    };
    for (const s of snapshot.states) {
      const t = b.restoredTable(s.name, s.kind);
      t.seq = 0;
      for (const [kg, key, ns, value] of s.entries) {
        if (range !== undefined && (kg < range.start || kg > range.end)) continue;
        const v = importValue(s.kind, value);
        if (v === undefined) continue;
        if (ns !== VOID_NAMESPACE) b.tables.partitioned(t);
        const nk = normalizeKey(key);
        pending.set(keyPrefix(assignToKeyGroup(nk, b.maxParallelism), nk) + t.handle(ns), encodeValue(v));
        if (pending.size >= 1000) await write();
      }
    }
    await write();
    const batch = db.batch();
    b.tables.metaOps(batch, b.cache.count);
    await batch.write();
    b.afterBulkLoad();
  });
}

/**
 * Calls `onBatch` with the keys (key prefix, key as stored) that have a value under state `stateId`
 * in `namespace`, in batches read `batchSize` keys of the database at a time, from an image as of the call.
 */
export function scanKeys(
  b: LsmInternals,
  stateId: number,
  namespace: string,
  batchSize: number,
  onBatch: (keys: [prefix: string, key: unknown][]) => Promise<void> | void,
): Promise<void> {
  return withImage(b, async (image) => {
    const it = image.keys({ lt: toBuf(META_PREFIX) });
    try {
      for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
        b.store.check();
        const ks = await it.nextv(Math.max(1, batchSize));
        if (ks.length === 0) break;
        const batch: [string, unknown][] = [];
        for (const k of ks) {
          const s = fromBuf(k);
          const d = decodeEntryKey(s);
          if (d.stateId === stateId && d.namespace === namespace) batch.push([s.slice(0, d.prefixLength), originalKey(d.nk)]);
        }
        if (batch.length > 0) await onBatch(batch);
      }
    } finally {
      await it.close();
    }
  });
}
