/**
 * The in-memory cache of an lsm backend: state access stays synchronous because the runtime awaits
 * prefetch(keys) before it processes a buffer (and before timers fire), loading every state of
 * those keys, in every namespace. Changes are written back in batches (captured synchronously, so a
 * snapshot holds exactly the state of its call; written on the database's queue), and clean keys are
 * evicted down to `cacheKeys`, so memory is bounded by the working set of recent buffers, not by the
 * size of the state. A key that was not prefetched still works: its entries are read synchronously
 * (classic-level's getSync) and counted in `syncReads`; `onMiss: 'throw'` makes that an error.
 */
import { WeirError } from '../../../errors.js';
import { assignToKeyGroup, normalizeKey } from '../../../graph/key-groups.js';
import type { NormalizedKey } from '../keyed-state-backend.js';
import type { LsmDatabase, WriteBatch } from './database.js';
import { keyPrefix, readU16, toBuf } from './key-codec.js';
import { readKeys } from './prefetch.js';
import { encodeValue, type LsmEntryAccess, type LsmStateTable, type LsmTables } from './tables.js';

/** One (key, state, namespace) value in the cache; `value` undefined means there is none. */
class Entry {
  dirty = false;
  constructor(public value: unknown) {}
}

/** The cached state of one key: the unit of prefetch and eviction. */
class KeyEntry {
  /** By [state id][namespace]. */
  readonly entries = new Map<string, Entry>();
  /** Every state that existed at `seq` is loaded: a missing entry is an absent value. */
  full = false;
  dirty = false;
  /** The number of the write batch that holds this key's last changes, until it is written. */
  inflight = 0;
  gen = 0;
  constructor(
    readonly prefix: string,
    readonly key: unknown,
    /** States created after this (seq greater) can only have values this entry knows of. */
    readonly seq: number,
  ) {}
}

/** Changes captured as one write batch, written later. */
export interface Capture {
  batch: WriteBatch;
  keys: KeyEntry[];
  seq: number;
}

/** The current key as the backend holds it. */
export interface CurrentKey {
  readonly hasKey: boolean;
  readonly nk: NormalizedKey;
  getCurrentKey(): unknown;
  getCurrentKeyGroup(): number;
  noKeyError(what: string): WeirError;
}

export interface LsmCacheOptions {
  cacheKeys: number;
  flushThreshold: number;
  onMiss: 'read' | 'throw';
  maxParallelism: number;
  context: { operator?: string };
}

export class LsmCache implements LsmEntryAccess {
  private readonly cache = new Map<string, KeyEntry>();
  private dirty: KeyEntry[] = [];
  /** Entries (key, state, namespace) with a value. */
  count = 0;
  /** Orders keys and tables: a table created after a key was loaded has no entries of it on disk. */
  seqCounter = 0;
  private batchSeq = 0;
  /** Write batches with changes of keys so far (key listings are valid until the next one). */
  captures = 0;
  private gen = 1;
  private lastPrefetchGen = 0;
  private prevPrefetchGen = 0;
  readonly st = { syncReads: 0, prefetchedKeys: 0, flushes: 0, evictedKeys: 0 };
  /** The entry of the current key, once accessed (the backend resets it when the key changes). */
  cur: KeyEntry | undefined = undefined;

  constructor(
    private readonly store: LsmDatabase,
    private readonly tables: LsmTables,
    private readonly key: CurrentKey,
    private readonly opts: LsmCacheOptions,
  ) {}

  get size(): number {
    return this.cache.size;
  }

  get dirtyKeys(): number {
    return this.dirty.length;
  }

  /** The key of a cached prefix, so that listings give the instance the program used. */
  keyOf(prefix: string): { key: unknown; has(suffix: string): boolean | undefined } | undefined {
    const ke = this.cache.get(prefix);
    if (ke === undefined) return undefined;
    return { key: ke.key, has: (suffix) => entryState(ke, suffix) };
  }

  /** Whether a key has changes in memory or on their way to disk (a bulk rewrite must leave it alone). */
  busy(prefix: string): boolean {
    const ke = this.cache.get(prefix);
    return ke !== undefined && (ke.dirty || ke.inflight > 0 || ke === this.cur);
  }

  /** Cached keys with a value under `suffix`, except those of `seen` prefixes. */
  cachedWith(suffix: string, seen: ReadonlySet<string>): unknown[] {
    const out: unknown[] = [];
    for (const ke of this.cache.values()) if (!seen.has(ke.prefix) && entryState(ke, suffix) === true) out.push(ke.key);
    return out;
  }

  clear(): void {
    this.cache.clear();
    this.dirty = [];
    this.cur = undefined;
    this.count = 0;
  }

  // ---------------------------------------------------------------- access for the state objects

  private currentEntry(): KeyEntry {
    let ke = this.cur;
    if (ke !== undefined) return ke;
    if (!this.key.hasKey) throw this.key.noKeyError('keyed state');
    this.store.check();
    if (!this.store.isOpen) {
      throw new WeirError(
        'WEIR_INTERNAL',
        'The lsm state backend is not open yet: await backend.open() before processing',
        this.opts.context,
      );
    }
    const prefix = keyPrefix(this.key.getCurrentKeyGroup(), this.key.nk);
    ke = this.cache.get(prefix);
    if (ke === undefined) {
      ke = new KeyEntry(prefix, this.key.getCurrentKey(), ++this.seqCounter);
      this.cache.set(prefix, ke);
    }
    ke.gen = this.gen;
    this.cur = ke;
    return ke;
  }

  /** The entry of (current key, table, namespace), loading it if it is not known yet. */
  private slot(ke: KeyEntry, t: LsmStateTable, suffix: string, create: boolean): Entry | undefined {
    let e = ke.entries.get(suffix);
    if (e !== undefined) return e;
    if (ke.full || t.seq > ke.seq) {
      if (!create) return undefined;
      e = new Entry(undefined);
    } else {
      if (this.opts.onMiss === 'throw') {
        throw new WeirError(
          'WEIR_INTERNAL',
          `State '${t.name}' of key ${JSON.stringify(String(ke.key))} was accessed without a prefetch: the runtime must await backend.prefetch(keys) before it processes them`,
          this.opts.context,
        );
      }
      this.st.syncReads++;
      const v = this.store.db.getSync(toBuf(ke.prefix + suffix));
      e = new Entry(v === undefined ? undefined : this.tables.decode(suffix, v));
    }
    ke.entries.set(suffix, e);
    return e;
  }

  read(t: LsmStateTable, suffix: string): unknown {
    return this.slot(this.currentEntry(), t, suffix, false)?.value;
  }

  /** `value` must not be undefined (use remove); also marks an in-place change. */
  write(t: LsmStateTable, suffix: string, value: unknown): void {
    const ke = this.currentEntry();
    const e = this.slot(ke, t, suffix, true)!;
    if (e.value === undefined) this.count++;
    e.value = value;
    this.markDirty(ke, e);
  }

  remove(t: LsmStateTable, suffix: string): void {
    const ke = this.currentEntry();
    const e = this.slot(ke, t, suffix, false);
    if (e === undefined || e.value === undefined) return;
    this.count--;
    e.value = undefined;
    this.markDirty(ke, e);
  }

  private markDirty(ke: KeyEntry, e: Entry): void {
    e.dirty = true;
    if (!ke.dirty) {
      ke.dirty = true;
      this.dirty.push(ke);
      if (this.dirty.length >= this.opts.flushThreshold) this.autoFlush();
    }
  }

  // ---------------------------------------------------------------- prefetch, write-back, eviction

  /** Loads every state (all namespaces) of `keys` into the cache. Keys already cached cost nothing. */
  prefetch(keys: Iterable<unknown>): Promise<void> {
    if (this.store.failure !== undefined) return Promise.reject(this.store.failure);
    const gen = ++this.gen;
    this.prevPrefetchGen = this.lastPrefetchGen;
    this.lastPrefetchGen = gen;
    const todo = new Map<string, unknown>();
    for (const key of keys) {
      const nk = normalizeKey(key);
      const prefix = keyPrefix(assignToKeyGroup(nk, this.opts.maxParallelism), nk);
      const ke = this.cache.get(prefix);
      if (ke !== undefined) {
        ke.gen = gen;
        if (ke.full) continue;
      }
      if (!todo.has(prefix)) todo.set(prefix, key);
    }
    if (todo.size === 0) return Promise.resolve();
    return this.store.enqueue(() => this.load(todo, gen));
  }

  private async load(todo: Map<string, unknown>, gen: number): Promise<void> {
    this.evict();
    const seq = this.seqCounter;
    const found = await readKeys(this.store.db, this.tables.byId.values(), Array.from(todo.keys()).sort());
    for (const [prefix, key] of todo) {
      let ke = this.cache.get(prefix);
      if (ke === undefined) {
        ke = new KeyEntry(prefix, key, seq);
        this.cache.set(prefix, ke);
      }
      if (!ke.full) {
        const l = found.get(prefix);
        if (l !== undefined)
          for (const [suffix, v] of l) if (!ke.entries.has(suffix)) ke.entries.set(suffix, new Entry(this.tables.decode(suffix, v)));
        ke.full = true;
      }
      if (ke.gen < gen) ke.gen = gen;
      this.st.prefetchedKeys++;
    }
  }

  /** Writes every change made so far (captured now), then evicts clean keys down to `cacheKeys`. */
  flush(): Promise<void> {
    if (this.store.failure !== undefined) return Promise.reject(this.store.failure);
    this.gen++;
    const c = this.capture();
    return this.store.enqueue(async () => {
      if (c !== undefined) await this.writeCapture(c);
      this.evict();
    });
  }

  private autoFlush(): void {
    this.flush().catch((e: unknown) => {
      this.store.failure ??= e;
    });
  }

  /** The changes made since the last capture, as one LevelDB write batch (built now, written later). */
  capture(): Capture | undefined {
    if (!this.store.isOpen || (this.dirty.length === 0 && this.tables.metaDirty.size === 0)) return undefined;
    const batch = this.store.db.batch();
    const seq = ++this.batchSeq;
    const keys = this.dirty;
    this.dirty = [];
    for (const ke of keys) {
      for (const [suffix, e] of ke.entries) {
        if (!e.dirty) continue;
        e.dirty = false;
        const k = toBuf(ke.prefix + suffix);
        if (e.value === undefined) batch.del(k);
        else {
          let v: Buffer;
          try {
            v = encodeValue(e.value);
          } catch (err) {
            // part of the changes is in no batch any more: this backend cannot go on
            void batch.close();
            const name = this.tables.byId.get(readU16(suffix, 0))?.name;
            this.store.failure ??= new WeirError(
              'WEIR_STATE_ACCESS',
              `A value of state '${name}' cannot be stored by the lsm state backend (values must be plain data: no functions, symbols or cycles): ${String(err)}`,
              this.opts.context,
              { cause: err },
            );
            throw this.store.failure;
          }
          batch.put(k, v);
        }
      }
      ke.dirty = false;
      ke.inflight = seq;
    }
    this.tables.metaOps(batch, this.count);
    if (keys.length > 0) this.captures++;
    return { batch, keys, seq };
  }

  /** On the queue: writes a captured batch; a failure fails the backend (the cache counts the changes as written). */
  async writeCapture(c: Capture): Promise<void> {
    try {
      await c.batch.write();
    } catch (e) {
      this.store.failure ??= new WeirError(
        'WEIR_INTERNAL',
        `The lsm state backend could not write to LevelDB: ${String(e)}`,
        this.opts.context,
        { cause: e },
      );
      throw this.store.failure;
    }
    for (const ke of c.keys) if (ke.inflight === c.seq) ke.inflight = 0;
    this.st.flushes++;
  }

  /** The changes made so far, captured now, for the queue to write: what a read of the database as of now needs first. */
  captureForQueue(): () => Promise<void> {
    const c = this.capture();
    return async () => {
      if (c !== undefined) await this.writeCapture(c);
    };
  }

  /** Drops clean keys, least recently used first, until at most `cacheKeys` remain; keeps the last two prefetched buffers. */
  private evict(): void {
    const excess = this.cache.size - this.opts.cacheKeys;
    if (excess <= 0) return;
    const keep = this.prevPrefetchGen > 0 ? this.prevPrefetchGen : this.lastPrefetchGen > 0 ? this.lastPrefetchGen : Infinity;
    const candidates: KeyEntry[] = [];
    for (const ke of this.cache.values()) {
      if (!ke.dirty && ke.inflight === 0 && ke.gen < keep && ke !== this.cur) candidates.push(ke);
    }
    if (candidates.length > excess) candidates.sort((a, b) => a.gen - b.gen);
    const n = Math.min(excess, candidates.length);
    for (let i = 0; i < n; i++) this.cache.delete(candidates[i]!.prefix);
    this.st.evictedKeys += n;
  }

  /** After a bulk load into LevelDB: cached keys may miss entries now on disk. */
  afterBulkLoad(): void {
    for (const ke of this.cache.values()) {
      if (!ke.dirty && ke.inflight === 0 && ke !== this.cur) this.cache.delete(ke.prefix);
      else ke.full = false;
    }
    for (const t of this.tables.byId.values()) t.seq = 0;
  }
}

/** Whether a cached key has a value under `suffix`: undefined when the cache does not know. */
function entryState(ke: KeyEntry, suffix: string): boolean | undefined {
  const e = ke.entries.get(suffix);
  return e === undefined ? undefined : e.value !== undefined;
}
