/**
 * Keyed state in an embedded LSM store (LevelDB through classic-level): Weir's counterpart of
 * Flink's RocksDB state backend, for state larger than memory, with incremental checkpoints.
 *
 * State access stays synchronous (docs/ARCHITECTURE.md, decision 7). The runtime awaits
 * `prefetch(keys)` before it processes a buffer (and before timers fire): every state of those keys,
 * in every namespace, is loaded into an in-memory cache, and the buffer's reads and writes hit that
 * cache. Changes are written back in batches (`flush()`, also started on its own once
 * `flushThreshold` keys are dirty), and clean keys are evicted down to `cacheKeys`, so memory is
 * bounded by the working set of recent buffers, not by the size of the state. A key that was not
 * prefetched still works: its entries are read synchronously (classic-level's getSync, a LevelDB
 * point read of a few microseconds) and counted in `stats().syncReads`; `onMiss: 'throw'` makes
 * that an error instead, to check that a runtime prefetches everything.
 *
 * Layout: one LevelDB entry per (key, state, namespace), holding the whole value (a list, the
 * [key, value] pairs of a map, the reduced value or accumulator) in MessagePack; key order is
 * (key group, key, state, namespace), see lsm-key-codec.ts. Values round-trip through MessagePack,
 * so they must be plain data (a Map or a class instance inside a value comes back as a plain
 * object), and a value object read from state must be written back with update() to be kept, as in
 * Flink's RocksDB backend.
 *
 * Every asynchronous operation on the database runs on one queue, in call order. Writes are captured
 * (serialized into a LevelDB write batch) synchronously when flush(), snapshot() or
 * checkpointFiles() is called, so a snapshot holds exactly the state at the moment of the call even
 * if processing goes on while it is written. Reads that take a while (a canonical snapshot, listing
 * keys) run on an image of the database made of hard links to its table files, never on a LevelDB
 * snapshot of the live database: see withImage() for the LevelDB bug that rules those out.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { copyFile, link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { Packr } from 'msgpackr';
import { WeirError } from '../../errors.js';
import { assignToKeyGroup, normalizeKey } from '../../graph/key-groups.js';
import type { StateKind } from '../../api/state.js';
import { AbstractKeyedStateBackend } from './abstract-keyed-state-backend.js';
import {
  VOID_NAMESPACE,
  type HeapStateEntry,
  type HeapStateSnapshot,
  type KeyGroupRange,
  type KeyedStateBackend,
  type KeyedStateBackendSnapshot,
  type RestoredKeyedState,
  type RestoreRequest,
  type SharedStateFiles,
  type SnapshotRequest,
} from './keyed-state-backend.js';
import { SharedFileRegistry } from './lsm-shared-files.js';
import { packState, unpackState } from '../checkpoint/storage.js';
import { MapData, importValue, StateTable } from './state-objects.js';
import {
  EMPTY_RANGE,
  LSM_MAX_PARALLELISM,
  META_COUNT,
  META_MAX_PARALLELISM,
  META_PREFIX,
  META_STATE,
  decodeEntryKey,
  encodeString,
  fromBuf,
  keyPrefix,
  originalKey,
  prefixEnd,
  readU16,
  toBuf,
  u16,
} from './lsm-key-codec.js';
import { parseManifest, tableFileName } from './lsm-leveldb-files.js';

export interface LsmKeyedStateBackendOptions {
  maxParallelism: number;
  operatorName?: string;
  /** The operator's uid(), named in errors about restored state. */
  operatorUid?: string;
  /** Parent of this backend's own directory (one per instance: LevelDB opens a directory once per process). Default: <tmpdir>/weir-lsm. */
  workingDir?: string;
  /** Clean keys kept in memory after a flush or prefetch (least recently used are evicted first). Default 10 000. */
  cacheKeys?: number;
  /** A flush starts on its own when this many keys are dirty. Default 4096. */
  flushThreshold?: number;
  /** An access to a key that was not prefetched: read it synchronously (default) or throw. */
  onMiss?: 'read' | 'throw';
  /** LevelDB block cache in bytes. Default 32 MiB. */
  blockCacheSize?: number;
  /** LevelDB memtable size in bytes. Default 4 MiB. */
  writeBufferSize?: number;
  /** LevelDB table file size in bytes (the unit of incremental checkpoints). Default 2 MiB. */
  maxFileSize?: number;
  /** Checkpoints (not savepoints) upload new LevelDB table files to the shared directory instead of canonical entries. */
  incremental?: boolean;
}

export interface LsmBackendStats {
  cachedKeys: number;
  dirtyKeys: number;
  /** Entries read synchronously because their key had not been prefetched. */
  syncReads: number;
  prefetchedKeys: number;
  flushes: number;
  evictedKeys: number;
}

/** files (relative to targetDir): files[0] is the checkpoint's descriptor (what restoreFromFiles takes); uploaded: those the call copied (the others were in alreadyUploaded). */
export type LsmCheckpointResult = SharedStateFiles;

/** The descriptor of an incremental checkpoint (JSON, files[0] of a checkpoint). */
interface LsmCheckpointDescriptor {
  format: 'weir-lsm-checkpoint';
  version: 1;
  checkpointId: number;
  maxParallelism: number;
  manifest: { name: string; file: string; size: number };
  /** [LevelDB's file name, file name in the checkpoint directory, size]. */
  tables: [local: string, file: string, size: number][];
}

interface TableMeta {
  id: number;
  kind: StateKind;
  partitioned: boolean;
}

/** LevelDB block cache of a database image (withImage): it is read once, in order. */
const IMAGE_CACHE_SIZE = 4 * 1024 * 1024;

/** Concurrent reads of one prefetch (libuv's thread pool has 4 threads by default). */
const PARALLEL_READS = 4;

const packr = new Packr({ useRecords: false, moreTypes: true });
const encodeValue = (v: unknown): Buffer => packr.pack(v instanceof MapData ? v.entries() : v);

/** A state's entries: the handle of a namespace is its key suffix ([state id][namespace]). */
class LsmStateTable extends StateTable<string> {
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
    private readonly b: LsmKeyedStateBackend,
  ) {
    super(name, kind);
    this.sid = u16(id);
    this.voidSuffix = this.sid + encodeString(VOID_NAMESPACE);
  }
  handle(ns: string): string {
    return ns === VOID_NAMESPACE ? this.voidSuffix : this.sid + encodeString(ns);
  }
  read(suffix: string): unknown {
    return this.b.read(this, suffix);
  }
  write(suffix: string, value: unknown): void {
    this.b.write(this, suffix, value);
  }
  remove(suffix: string): void {
    this.b.remove(this, suffix);
  }
  /** Values are stored serialized: a change in place is written like any other. */
  changed(suffix: string, value: unknown): void {
    this.b.write(this, suffix, value);
  }
}

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

interface Capture {
  batch: ReturnType<ClassicLevel<Buffer, Buffer>['batch']>;
  keys: KeyEntry[];
  seq: number;
}

type Db = ClassicLevel<Buffer, Buffer>;

export class LsmKeyedStateBackend extends AbstractKeyedStateBackend<LsmStateTable> implements KeyedStateBackend {
  /** This backend's directory (the database is in db/). Removed by dispose(). */
  readonly dir: string;
  private readonly dbDir: string;
  private readonly cacheKeys: number;
  private readonly flushThreshold: number;
  private readonly onMiss: 'read' | 'throw';
  private readonly incremental: boolean;
  private readonly sharedFiles = new SharedFileRegistry();
  private readonly dbOptions: Record<string, number>;
  /** Names uploaded files of this instance, so that they never collide with another's. */
  private readonly instanceId = randomBytes(6).toString('hex');
  private db: Db;

  private readonly tablesById = new Map<number, LsmStateTable>();
  private nextTableId = 1;
  private readonly metaDirty = new Set<LsmStateTable>();

  private readonly cache = new Map<string, KeyEntry>();
  private dirty: KeyEntry[] = [];
  private count = 0;
  private seqCounter = 0;
  private batchSeq = 0;
  private captures = 0;
  private gen = 1;
  private lastPrefetchGen = 0;
  private prevPrefetchGen = 0;
  private readonly st = { syncReads: 0, prefetchedKeys: 0, flushes: 0, evictedKeys: 0 };
  /** LevelDB table file → its name in checkpoint storage (kept for files restored from a checkpoint). */
  private readonly handles = new Map<string, string>();
  /** Keys listed by prepareKeys(), valid until the next write batch. */
  private readonly prepared = new Map<string, { captures: number; keys: [string, unknown][] }>();

  private tail: Promise<unknown> = Promise.resolve();
  private readonly opening: Promise<void>;
  private isOpen = false;
  private failure: unknown = undefined;
  private disposing: Promise<void> | undefined;
  /** Reads of database images in progress (see withImage); dispose() waits for them. */
  private readonly images = new Set<Promise<void>>();
  private imageSeq = 0;

  private cur: KeyEntry | undefined = undefined;

  constructor(opts: LsmKeyedStateBackendOptions) {
    super(opts, LSM_MAX_PARALLELISM);
    this.cacheKeys = opts.cacheKeys ?? 10_000;
    this.flushThreshold = Math.max(1, opts.flushThreshold ?? 4096);
    this.onMiss = opts.onMiss ?? 'read';
    this.incremental = opts.incremental ?? false;
    this.dbOptions = {
      cacheSize: opts.blockCacheSize ?? 32 * 1024 * 1024,
      writeBufferSize: opts.writeBufferSize ?? 4 * 1024 * 1024,
      maxFileSize: opts.maxFileSize ?? 2 * 1024 * 1024,
    };
    const parent = opts.workingDir ?? join(tmpdir(), 'weir-lsm');
    mkdirSync(parent, { recursive: true });
    this.dir = mkdtempSync(join(parent, 'lsm-'));
    this.dbDir = join(this.dir, 'db');
    this.db = this.newDb();
    this.opening = this.db.open().then(
      () => {
        this.isOpen = true;
        return this.db.put(toBuf(META_MAX_PARALLELISM), packr.pack(this.maxParallelism));
      },
      (e: unknown) => {
        throw (this.failure = new WeirError(
          'WEIR_INTERNAL',
          `Could not open the lsm state backend in ${this.dbDir}: ${String(e)}`,
          {},
          { cause: e },
        ));
      },
    );
    this.opening.catch(() => {});
  }

  private newDb(): Db {
    return new ClassicLevel<Buffer, Buffer>(this.dbDir, { keyEncoding: 'buffer', valueEncoding: 'buffer', ...this.dbOptions });
  }

  /** Resolves once the database is open; every asynchronous method waits for it too. */
  open(): Promise<void> {
    return this.opening;
  }

  // ---------------------------------------------------------------- KeyedStateBackend

  override setCurrentKey(key: unknown): void {
    super.setCurrentKey(key);
    this.cur = undefined;
  }

  protected newTable(name: string, kind: StateKind): LsmStateTable {
    if (this.nextTableId > 0xffff) throw new WeirError('WEIR_STATE_ACCESS', 'Too many states in one operator (65535)', this.context());
    const t = new LsmStateTable(name, kind, this.nextTableId++, false, ++this.seqCounter, this);
    this.tablesById.set(t.id, t);
    this.metaDirty.add(t);
    return t;
  }

  protected override onPartitioned(t: LsmStateTable): void {
    if (!t.partitioned) {
      t.partitioned = true;
      this.metaDirty.add(t);
    }
  }

  /**
   * Keys with a value under `stateName` in `namespace`. Listing keys needs a scan of the database,
   * which cannot be synchronous: await prepareKeys() first (valid until the next write batch), or
   * iterate with forEachKeyBatch().
   */
  getKeys(stateName: string, namespace: string = VOID_NAMESPACE): unknown[] {
    const t = this.tables.get(stateName);
    if (t === undefined) return [];
    const p = this.prepared.get(t.id + ':' + namespace);
    if (p === undefined || p.captures !== this.captures) {
      throw new WeirError(
        'WEIR_INTERNAL',
        `The lsm state backend lists the keys of state '${stateName}' only after 'await backend.prepareKeys(name, namespace)' (valid until state is flushed again), or through forEachKeyBatch()`,
        this.context(),
      );
    }
    const suffix = t.handle(namespace);
    const out: unknown[] = [];
    const seen = new Set<string>();
    for (const [prefix, key] of p.keys) {
      seen.add(prefix);
      const ke = this.cache.get(prefix);
      const e = ke?.entries.get(suffix);
      if (e !== undefined && e.value === undefined) continue;
      out.push(ke !== undefined ? ke.key : key);
    }
    for (const ke of this.cache.values()) {
      if (seen.has(ke.prefix)) continue;
      const e = ke.entries.get(suffix);
      if (e !== undefined && e.value !== undefined) out.push(ke.key);
    }
    return out;
  }

  numEntries(): number {
    return this.count;
  }

  /** Closes the database and removes its directory; never rejects. */
  dispose(): Promise<void> {
    if (this.disposing !== undefined) return this.disposing;
    this.failure ??= new WeirError('WEIR_INTERNAL', 'The lsm state backend was disposed', this.context());
    this.cache.clear();
    this.dirty = [];
    this.cur = undefined;
    this.count = 0;
    this.tablesById.clear();
    this.resetStates();
    this.disposing = (async () => {
      await this.opening.catch(() => {});
      await this.tail.catch(() => {});
      await Promise.all(this.images);
      await this.db.close().catch(() => {});
      await rm(this.dir, { recursive: true, force: true }).catch(() => {});
    })();
    return this.disposing;
  }

  stats(): LsmBackendStats {
    return { cachedKeys: this.cache.size, dirtyKeys: this.dirty.length, ...this.st };
  }

  // ---------------------------------------------------------------- prefetch, flush

  /**
   * Loads every state (all namespaces) of `keys` into the cache; the runtime awaits it before it
   * processes the records (or fires the timers) of those keys. Keys already cached cost nothing.
   */
  prefetch(keys: Iterable<unknown>): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const gen = ++this.gen;
    this.prevPrefetchGen = this.lastPrefetchGen;
    this.lastPrefetchGen = gen;
    const todo = new Map<string, unknown>();
    for (const key of keys) {
      const nk = normalizeKey(key);
      const prefix = keyPrefix(assignToKeyGroup(nk, this.maxParallelism), nk);
      const ke = this.cache.get(prefix);
      if (ke !== undefined) {
        ke.gen = gen;
        if (ke.full) continue;
      }
      if (!todo.has(prefix)) todo.set(prefix, key);
    }
    if (todo.size === 0) return Promise.resolve();
    return this.enqueue(() => this.load(todo, gen));
  }

  /** Writes every change made so far (captured now), then evicts clean keys down to `cacheKeys`. */
  flush(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.gen++;
    const c = this.capture();
    return this.enqueue(async () => {
      if (c !== undefined) await this.writeCapture(c);
      this.evict();
    });
  }

  /** Writes every change, then compacts the whole database (LevelDB's compactRange): fewer, settled table files. */
  compact(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const c = this.capture();
    return this.enqueue(async () => {
      if (c !== undefined) await this.writeCapture(c);
      await this.db.compactRange(toBuf('\x00'), toBuf(META_PREFIX + '\xff'));
    });
  }

  /**
   * Calls `fn` with the keys that have a value under `stateName` in `namespace`, in batches of
   * `batchSize`, each prefetched before the call (BATCH-mode end of input, for instance). The keys
   * are those at the time of the call.
   */
  async forEachKeyBatch(stateName: string, namespace: string, batchSize: number, fn: (keys: unknown[]) => void): Promise<void> {
    const t = this.tables.get(stateName);
    if (t === undefined) return;
    await this.withImage(async (image) => {
      const it = image.keys({ lt: toBuf(META_PREFIX) });
      try {
        for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
          this.check();
          const ks = await it.nextv(Math.max(1, batchSize));
          if (ks.length === 0) break;
          const batch: unknown[] = [];
          for (const k of ks) {
            const d = decodeEntryKey(fromBuf(k));
            if (d.stateId === t.id && d.namespace === namespace)
              batch.push(this.cache.get(fromBuf(k).slice(0, d.prefixLength))?.key ?? originalKey(d.nk));
          }
          if (batch.length === 0) continue;
          await this.prefetch(batch);
          fn(batch);
        }
      } finally {
        await it.close();
      }
    });
  }

  /** Lists the keys of a state so that getKeys() can return them synchronously (until the next write batch). */
  async prepareKeys(stateName: string, namespace: string = VOID_NAMESPACE): Promise<void> {
    const t = this.tables.get(stateName);
    if (t === undefined) return;
    const pending = this.withImage(async (image) => {
      const keys: [string, unknown][] = [];
      const it = image.keys({ lt: toBuf(META_PREFIX) });
      try {
        for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
          this.check();
          const ks = await it.nextv(1000);
          if (ks.length === 0) break;
          for (const k of ks) {
            const s = fromBuf(k);
            const d = decodeEntryKey(s);
            if (d.stateId === t.id && d.namespace === namespace) keys.push([s.slice(0, d.prefixLength), originalKey(d.nk)]);
          }
        }
      } finally {
        await it.close();
      }
      return keys;
    });
    const captures = this.captures; // withImage captured the changes made so far; a later write batch makes the list stale
    const keys = await pending;
    this.prepared.set(t.id + ':' + namespace, { captures, keys });
  }

  // ---------------------------------------------------------------- canonical snapshots

  /**
   * Every entry as plain data in the backend-independent format of HeapKeyedStateBackend.snapshot()
   * (savepoints), as of the moment of the call. The values are fresh copies.
   */
  async canonicalSnapshot(): Promise<HeapStateSnapshot> {
    const byId = new Map<number, HeapStateEntry[]>();
    await this.withImage(async (image) => {
      const it = image.iterator({ lt: toBuf(META_PREFIX) });
      try {
        for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
          this.check();
          const batch = await it.nextv(1000);
          if (batch.length === 0) break;
          for (const [k, v] of batch) {
            const d = decodeEntryKey(fromBuf(k));
            const t = this.tablesById.get(d.stateId);
            if (t === undefined)
              throw new WeirError('WEIR_CHECKPOINT', `The lsm state backend holds values of an unknown state (id ${d.stateId})`);
            let entries = byId.get(t.id);
            if (entries === undefined) byId.set(t.id, (entries = []));
            entries.push([d.keyGroup, originalKey(d.nk), d.namespace, packr.unpack(v)]);
          }
        }
      } finally {
        await it.close();
      }
    });
    const states: HeapStateSnapshot['states'] = [];
    for (const t of this.tablesById.values()) {
      const entries = byId.get(t.id);
      if (entries !== undefined && entries.length > 0) states.push({ name: t.name, kind: t.kind, entries });
    }
    return { states };
  }

  /**
   * Savepoints, and checkpoints unless incremental, hold canonical entries; an incremental
   * checkpoint captures the state in the call and uploads its new table files in the background.
   */
  snapshot(request: SnapshotRequest): KeyedStateBackendSnapshot {
    const { checkpointId, sharedDir } = request;
    if (this.incremental && !request.savepoint && sharedDir !== undefined) {
      const upload = this.sharedFiles.incremental(checkpointId, sharedDir, (reusable) =>
        this.checkpointFiles(checkpointId, sharedDir, reusable),
      );
      upload.catch(() => undefined); // awaited (and its failure reported) by the checkpoint's asynchronous part
      return {
        empty: false,
        shared: upload,
        data: (timerBytes) => upload.then((r) => packState({ states: [], timers: unpackState(timerBytes), lsm: { files: r.files } })),
      };
    }
    this.sharedFiles.canonical(checkpointId);
    const snapshot = this.canonicalSnapshot();
    snapshot.catch(() => undefined);
    return { empty: false, data: (timerBytes) => snapshot.then((s) => packState({ states: s.states, timers: unpackState(timerBytes) })) };
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.sharedFiles.complete(checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    this.sharedFiles.aborted(checkpointId);
  }

  /**
   * An incremental checkpoint's files become this backend's database (several: rescaling, the key
   * groups of `range` of each); canonical entries are added.
   */
  async restoreState(parts: readonly RestoredKeyedState[], request: RestoreRequest): Promise<void> {
    const { range, sharedDir } = request;
    const native = parts.flatMap((p) => (p.lsm !== undefined && p.lsm.files.length > 0 ? [p.lsm.files] : []));
    if (native.length > 0) {
      await this.restoreFromFiles(
        native.map((files) => join(sharedDir, files[0]!)),
        { range, searchDirs: [sharedDir] },
      );
      // Files of this job's own checkpoints stay in its shared directory: the next checkpoint
      // refers to them instead of uploading them again (a checkpoint of another job is copied).
      if (request.ownSharedDir) this.sharedFiles.restored(native[0]!);
    }
    for (const p of parts) if (p.states.length > 0) await this.restore({ states: p.states }, range);
  }

  /**
   * Adds the entries of a canonical snapshot (from either backend) whose key group lies in `range`
   * (all when omitted). Call it before processing starts, as with the heap backend.
   */
  async restore(snapshot: HeapStateSnapshot, range?: KeyGroupRange): Promise<void> {
    await this.flush();
    await this.enqueue(async () => {
      const pending = new Map<string, Buffer>();
      const write = async (): Promise<void> => {
        if (pending.size === 0) return;
        const keys = Array.from(pending.keys());
        const exists = await this.db.hasMany(keys.map(toBuf));
        const batch = this.db.batch();
        for (let i = 0; i < keys.length; i++) {
          if (!exists[i]) this.count++;
          batch.put(toBuf(keys[i]!), pending.get(keys[i]!)!);
        }
        this.metaOps(batch);
        await batch.write();
        pending.clear();
      };
      for (const s of snapshot.states) {
        const t = this.tableFor(s.name, s.kind, true);
        t.seq = 0;
        for (const [kg, key, ns, value] of s.entries) {
          if (range !== undefined && (kg < range.start || kg > range.end)) continue;
          const v = importValue(s.kind, value);
          if (v === undefined) continue;
          if (ns !== VOID_NAMESPACE && !t.partitioned) {
            t.partitioned = true;
            this.metaDirty.add(t);
          }
          const nk = normalizeKey(key);
          pending.set(keyPrefix(assignToKeyGroup(nk, this.maxParallelism), nk) + t.handle(ns), encodeValue(v));
          if (pending.size >= 1000) await write();
        }
      }
      await write();
      const batch = this.db.batch();
      this.metaOps(batch);
      await batch.write();
      this.afterBulkLoad();
    });
  }

  // ---------------------------------------------------------------- incremental checkpoints

  /**
   * Copies a point-in-time image of the database into `targetDir` (the same directory for every
   * checkpoint of this backend): LevelDB's table files that are not in `alreadyUploaded` (they are
   * immutable and named uniquely), a copy of its MANIFEST and a descriptor (files[0]).
   *
   * Consistency: on the operation queue, so no other write reaches LevelDB meanwhile, it writes the
   * changes made up to the call, makes LevelDB write its memtable to a table file (compactRange over
   * a range that holds no keys flushes the memtable and compacts nothing), reads the MANIFEST (the
   * version it describes needs no log file) and hard-links that version's table files into a staging
   * directory; a background compaction that deletes one of them before it is linked makes it read the
   * MANIFEST again. The copy to `targetDir` then runs while processing and flushing go on.
   */
  async checkpointFiles(
    checkpointId: number,
    targetDir: string,
    alreadyUploaded: ReadonlySet<string> = new Set(),
  ): Promise<LsmCheckpointResult> {
    this.check();
    const c = this.capture();
    const staged = await this.enqueue(async () => {
      if (c !== undefined) await this.writeCapture(c);
      await this.db.compactRange(toBuf(EMPTY_RANGE[0]), toBuf(EMPTY_RANGE[1]));
      return this.stage(`staging-${checkpointId}`);
    });
    try {
      await mkdir(targetDir, { recursive: true });
      const tableFiles: string[] = [];
      const uploaded: string[] = [];
      let uploadedBytes = 0;
      let totalBytes = 0;
      const descriptorTables: LsmCheckpointDescriptor['tables'] = [];
      const live = new Set(staged.tables.map((f) => f.name));
      for (const local of this.handles.keys()) if (!live.has(local)) this.handles.delete(local);
      for (const f of staged.tables) {
        // A file keeps its name in storage while that name is in alreadyUploaded; otherwise it is
        // uploaded under a name of its own for this checkpoint, so a file of a checkpoint that
        // failed is never shared with a later one (and can be deleted with the failed checkpoint).
        let handle = this.handles.get(f.name);
        if (handle === undefined || !alreadyUploaded.has(handle)) handle = `${this.instanceId}-chk-${checkpointId}-${f.name}`;
        this.handles.set(f.name, handle);
        tableFiles.push(handle);
        descriptorTables.push([f.name, handle, f.size]);
        totalBytes += f.size;
        if (!alreadyUploaded.has(handle)) {
          await copyFile(join(staged.dir, f.name), join(targetDir, handle));
          uploaded.push(handle);
          uploadedBytes += f.size;
        }
      }
      const manifestFile = `${this.instanceId}-chk-${checkpointId}-${staged.manifestName}`;
      await writeFile(join(targetDir, manifestFile), staged.manifest);
      const descriptor: LsmCheckpointDescriptor = {
        format: 'weir-lsm-checkpoint',
        version: 1,
        checkpointId,
        maxParallelism: this.maxParallelism,
        manifest: { name: staged.manifestName, file: manifestFile, size: staged.manifest.length },
        tables: descriptorTables,
      };
      const descriptorFile = `${this.instanceId}-chk-${checkpointId}.lsm.json`;
      const json = JSON.stringify(descriptor);
      await writeFile(join(targetDir, descriptorFile), json);
      const small = staged.manifest.length + Buffer.byteLength(json);
      return {
        files: [descriptorFile, manifestFile, ...tableFiles],
        uploaded: [descriptorFile, manifestFile, ...uploaded],
        uploadedBytes: uploadedBytes + small,
        totalBytes: totalBytes + small,
      };
    } finally {
      await rm(staged.dir, { recursive: true, force: true });
    }
  }

  /**
   * Opens the database from incremental checkpoints (their descriptors, files[0] of
   * checkpointFiles). One descriptor: its files become this backend's database; with `range`, key
   * groups outside it are deleted. Several (rescaling): the first is opened, the others' entries in
   * `range` are copied in. Table files are looked up next to their descriptor, then in `searchDirs`.
   * The backend must be empty (fresh).
   */
  async restoreFromFiles(descriptorPaths: string[], opts: { range?: KeyGroupRange; searchDirs?: string[] } = {}): Promise<void> {
    if (descriptorPaths.length === 0) throw new WeirError('WEIR_CHECKPOINT', 'restoreFromFiles needs at least one checkpoint descriptor');
    this.check();
    await this.opening;
    if (this.count !== 0 || this.cache.size !== 0 || this.tables.size !== 0) {
      throw new WeirError(
        'WEIR_CHECKPOINT',
        'restoreFromFiles needs an empty lsm state backend: restore before the operator registers its states and processes records',
        this.context(),
      );
    }
    await this.enqueue(async () => {
      const { range } = opts;
      const descriptors = await Promise.all(descriptorPaths.map(readDescriptor));
      for (const d of descriptors) {
        if (d.maxParallelism !== this.maxParallelism) {
          throw new WeirError(
            'WEIR_CHECKPOINT',
            `A checkpoint taken with maxParallelism ${d.maxParallelism} cannot be restored with maxParallelism ${this.maxParallelism}`,
            this.context(),
          );
        }
      }
      await this.db.close();
      this.isOpen = false;
      await rm(this.dbDir, { recursive: true, force: true });
      await materialize(descriptors[0]!, descriptorPaths[0]!, this.dbDir, opts.searchDirs ?? []);
      this.db = this.newDb();
      await this.db.open();
      this.isOpen = true;
      for (const [local, file] of descriptors[0]!.tables) this.handles.set(local, file);
      await this.loadMeta(this.db, true);
      let recount = false;
      if (range !== undefined) {
        await this.clearRange(undefined, toBuf(u16(range.start)));
        await this.clearRange(toBuf(u16(range.end + 1)), toBuf(META_PREFIX));
        recount = true;
      }
      for (let i = 1; i < descriptors.length; i++) {
        const tmp = join(this.dir, `restore-${i}`);
        await rm(tmp, { recursive: true, force: true });
        await materialize(descriptors[i]!, descriptorPaths[i]!, tmp, opts.searchDirs ?? []);
        const other = new ClassicLevel<Buffer, Buffer>(tmp, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
        await other.open();
        try {
          const idMap = await this.loadMeta(other, false);
          const it = other.iterator({
            gte: toBuf(u16(range?.start ?? 0)),
            lt: toBuf(range !== undefined ? u16(range.end + 1) : META_PREFIX),
          });
          try {
            for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
              const entries = await it.nextv(1000);
              if (entries.length === 0) break;
              const batch = this.db.batch();
              for (const [k, v] of entries) {
                const s = fromBuf(k);
                const d = decodeEntryKey(s);
                const t = idMap.get(d.stateId)!;
                batch.put(toBuf(s.slice(0, d.prefixLength) + t.sid + s.slice(d.prefixLength + 2)), v);
              }
              await batch.write();
            }
          } finally {
            await it.close();
          }
        } finally {
          await other.close();
          await rm(tmp, { recursive: true, force: true });
        }
        recount = true;
      }
      if (recount) {
        let n = 0;
        const it = this.db.keys({ lt: toBuf(META_PREFIX) });
        try {
          for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
            const ks = await it.nextv(10_000);
            if (ks.length === 0) break;
            n += ks.length;
          }
        } finally {
          await it.close();
        }
        this.count = n;
      }
      const batch = this.db.batch();
      this.metaOps(batch);
      await batch.write();
      this.afterBulkLoad();
    });
  }

  // ---------------------------------------------------------------- internals: the queue, loading, writing

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      await this.opening;
      this.check();
      return op();
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => {});
    return p;
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** The changes made since the last capture, as one LevelDB write batch (built now, written later). */
  private capture(): Capture | undefined {
    if (!this.isOpen || (this.dirty.length === 0 && this.metaDirty.size === 0)) return undefined;
    const batch = this.db.batch();
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
            const name = this.tablesById.get(readU16(suffix, 0))?.name;
            this.failure ??= new WeirError(
              'WEIR_STATE_ACCESS',
              `A value of state '${name}' cannot be stored by the lsm state backend (values must be plain data: no functions, symbols or cycles): ${String(err)}`,
              this.context(),
              { cause: err },
            );
            throw this.failure;
          }
          batch.put(k, v);
        }
      }
      ke.dirty = false;
      ke.inflight = seq;
    }
    this.metaOps(batch);
    if (keys.length > 0) this.captures++;
    return { batch, keys, seq };
  }

  private metaOps(batch: Capture['batch']): void {
    for (const t of this.metaDirty) {
      const meta: TableMeta = { id: t.id, kind: t.kind, partitioned: t.partitioned };
      batch.put(toBuf(META_STATE + Buffer.from(t.name, 'utf8').toString('latin1')), packr.pack(meta));
    }
    this.metaDirty.clear();
    batch.put(toBuf(META_COUNT), packr.pack(this.count));
  }

  private async writeCapture(c: Capture): Promise<void> {
    try {
      await c.batch.write();
    } catch (e) {
      // the cache already counts these changes as written: nothing can be trusted any more
      this.failure ??= new WeirError('WEIR_INTERNAL', `The lsm state backend could not write to LevelDB: ${String(e)}`, this.context(), {
        cause: e,
      });
      throw this.failure;
    }
    for (const ke of c.keys) if (ke.inflight === c.seq) ke.inflight = 0;
    this.st.flushes++;
  }

  /**
   * Runs `fn` on a read-only image of the database as of the call, while processing, flushing and
   * compaction go on in the live database: the changes made so far are captured now; on the queue
   * they are written, the memtable goes to a table file (compactRange over an empty range) and the
   * current version's table files are hard-linked into a directory of their own, which is opened as
   * a second database and removed after `fn`.
   *
   * Why not a LevelDB snapshot: the LevelDB that classic-level ships (1.20) may answer a read with an
   * older value of a key when compactions run while a snapshot is held and the key is written again
   * (google/leveldb#320, fixed in LevelDB 1.21): a compaction keeps both versions for the snapshot,
   * can cut them into two table files, and a later compaction moves the newer one down a level. So
   * this backend never holds a snapshot of the live database across a write; its own reads
   * (getMany, iterators) hold LevelDB's implicit ones only on the queue, where no write runs.
   */
  private withImage<T>(fn: (image: Db) => Promise<T>): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const c = this.capture();
    const name = `image-${++this.imageSeq}`;
    const staged = this.enqueue(async () => {
      if (c !== undefined) await this.writeCapture(c);
      await this.db.compactRange(toBuf(EMPTY_RANGE[0]), toBuf(EMPTY_RANGE[1]));
      return this.stage(name);
    });
    const run = (async (): Promise<T> => {
      const { dir, manifestName, manifest } = await staged;
      try {
        await writeFile(join(dir, manifestName), manifest);
        await writeFile(join(dir, 'CURRENT'), manifestName + '\n');
        const image = new ClassicLevel<Buffer, Buffer>(dir, {
          keyEncoding: 'buffer',
          valueEncoding: 'buffer',
          cacheSize: IMAGE_CACHE_SIZE,
        });
        await image.open();
        try {
          return await fn(image);
        } finally {
          await image.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })();
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.images.add(settled);
    void settled.then(() => this.images.delete(settled));
    return run;
  }

  private autoFlush(): void {
    this.flush().catch((e: unknown) => {
      this.failure ??= e;
    });
  }

  private async load(todo: Map<string, unknown>, gen: number): Promise<void> {
    this.evict();
    const seq = this.seqCounter;
    const point: LsmStateTable[] = [];
    const scan: LsmStateTable[] = [];
    for (const t of this.tablesById.values()) (t.partitioned ? scan : point).push(t);
    const prefixes = Array.from(todo.keys()).sort();
    const found = new Map<string, [string, Buffer][]>();
    const add = (prefix: string, suffix: string, v: Buffer): void => {
      let l = found.get(prefix);
      if (l === undefined) found.set(prefix, (l = []));
      l.push([suffix, v]);
    };
    if (point.length > 0) {
      // point reads in a few parallel getMany calls (they run on libuv's thread pool)
      const per = Math.max(1, Math.min(Math.ceil(prefixes.length / PARALLEL_READS), Math.floor(4096 / point.length)));
      const chunks: string[][] = [];
      for (let i = 0; i < prefixes.length; i += per) chunks.push(prefixes.slice(i, i + per));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < chunks.length) {
          const chunk = chunks[next++]!;
          const ks: string[] = [];
          for (const p of chunk) for (const t of point) ks.push(p + t.voidSuffix);
          const vals = await this.db.getMany(ks.map(toBuf));
          for (let j = 0; j < ks.length; j++) {
            const v = vals[j];
            if (v === undefined) continue;
            const p = chunk[Math.floor(j / point.length)]!;
            add(p, ks[j]!.slice(p.length), v);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, chunks.length) }, worker));
    }
    if (scan.length > 0) {
      const jobs: [string, LsmStateTable][] = [];
      for (const p of prefixes) for (const t of scan) jobs.push([p, t]);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < jobs.length) {
          const [p, t] = jobs[next++]!;
          const lo = p + t.sid;
          const it = this.db.iterator({ gte: toBuf(lo), lt: toBuf(prefixEnd(lo)) });
          try {
            for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
              const entries = await it.nextv(256);
              if (entries.length === 0) break;
              for (const [k, v] of entries) add(p, fromBuf(k).slice(p.length), v);
            }
          } finally {
            await it.close();
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(4 * PARALLEL_READS, jobs.length) }, worker));
    }
    for (const [prefix, key] of todo) {
      let ke = this.cache.get(prefix);
      if (ke === undefined) {
        ke = new KeyEntry(prefix, key, seq);
        this.cache.set(prefix, ke);
      }
      if (!ke.full) {
        const l = found.get(prefix);
        if (l !== undefined)
          for (const [suffix, v] of l) if (!ke.entries.has(suffix)) ke.entries.set(suffix, new Entry(this.decode(suffix, v)));
        ke.full = true;
      }
      if (ke.gen < gen) ke.gen = gen;
      this.st.prefetchedKeys++;
    }
  }

  /** Drops clean keys, least recently used first, until at most `cacheKeys` remain; keeps the last two prefetched buffers. */
  private evict(): void {
    const excess = this.cache.size - this.cacheKeys;
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

  /**
   * Deletes the entries in [from, lt). Unlike LevelDB's clear(), whose iterator holds a snapshot
   * while it deletes, no read stays open across a write here (see withImage).
   */
  private async clearRange(from: Buffer | undefined, lt: Buffer): Promise<void> {
    let after: Buffer | undefined = undefined;
    for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
      const it = this.db.keys(after !== undefined ? { gt: after, lt } : from !== undefined ? { gte: from, lt } : { lt });
      let ks: Buffer[];
      try {
        ks = await it.nextv(10_000);
      } finally {
        await it.close();
      }
      if (ks.length === 0) return;
      const batch = this.db.batch();
      for (const k of ks) batch.del(k);
      await batch.write();
      after = ks[ks.length - 1];
    }
  }

  /** After a bulk load into LevelDB: cached keys may miss entries now on disk. */
  private afterBulkLoad(): void {
    for (const ke of this.cache.values()) {
      if (!ke.dirty && ke.inflight === 0 && ke !== this.cur) this.cache.delete(ke.prefix);
      else ke.full = false;
    }
    for (const t of this.tablesById.values()) t.seq = 0;
    this.prepared.clear();
  }

  /** Reads the state tables of `db`; for this backend's own database they become its tables. Returns id → this backend's table. */
  private async loadMeta(db: Db, own: boolean): Promise<Map<number, LsmStateTable>> {
    const idMap = new Map<number, LsmStateTable>();
    const it = db.iterator({ gte: toBuf(META_STATE), lt: toBuf(prefixEnd(META_STATE)) });
    try {
      for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
        const entries = await it.nextv(1000);
        if (entries.length === 0) break;
        for (const [k, v] of entries) {
          const name = Buffer.from(fromBuf(k).slice(META_STATE.length), 'latin1').toString('utf8');
          const m = packr.unpack(v) as TableMeta;
          let t: LsmStateTable;
          if (own) {
            t = new LsmStateTable(name, m.kind, m.id, m.partitioned, 0, this);
            t.restored = true;
            this.tables.set(name, t);
            this.tablesById.set(m.id, t);
            this.nextTableId = Math.max(this.nextTableId, m.id + 1);
          } else {
            t = this.tableFor(name, m.kind, true);
            if (m.partitioned && !t.partitioned) t.partitioned = true;
            this.metaDirty.add(t);
          }
          idMap.set(m.id, t);
        }
      }
    } finally {
      await it.close();
    }
    if (own) {
      const c = await db.get(toBuf(META_COUNT));
      this.count = c === undefined ? 0 : (packr.unpack(c) as number);
    }
    return idMap;
  }

  /** Hard-links the table files of the current version into `<dir>/<name>-<n>/`. */
  private async stage(
    name: string,
  ): Promise<{ dir: string; manifestName: string; manifest: Buffer; tables: { name: string; size: number }[] }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const manifestName = (await readFile(join(this.dbDir, 'CURRENT'), 'utf8')).trim();
      const manifest = await readFile(join(this.dbDir, manifestName));
      const version = parseManifest(manifest);
      const dir = join(this.dir, `${name}-${attempt}`);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const tables: { name: string; size: number }[] = [];
      let missing = false;
      for (const f of version.tables.values()) {
        let linked: string | undefined;
        for (const ext of ['ldb', 'sst'] as const) {
          const name = tableFileName(f.number, ext);
          try {
            await link(join(this.dbDir, name), join(dir, name));
            linked = name;
            break;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          }
        }
        if (linked === undefined) {
          missing = true;
          break;
        }
        tables.push({ name: linked, size: f.size });
      }
      if (!missing) return { dir, manifestName, manifest, tables };
      await rm(dir, { recursive: true, force: true }); // a compaction removed a file: read the new version
    }
    throw new WeirError('WEIR_CHECKPOINT', 'LevelDB kept replacing its table files while a checkpoint was taken', this.context());
  }

  // ---------------------------------------------------------------- internal access used by the state objects

  private currentEntry(): KeyEntry {
    let ke = this.cur;
    if (ke !== undefined) return ke;
    if (!this.hasKey) throw this.noKeyError('keyed state');
    if (this.failure !== undefined) throw this.failure;
    if (!this.isOpen) {
      throw new WeirError('WEIR_INTERNAL', 'The lsm state backend is not open yet: await backend.open() before processing', this.context());
    }
    const prefix = keyPrefix(this.getCurrentKeyGroup(), this.nk);
    ke = this.cache.get(prefix);
    if (ke === undefined) {
      ke = new KeyEntry(prefix, this.currentKey, ++this.seqCounter);
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
      if (this.onMiss === 'throw') {
        throw new WeirError(
          'WEIR_INTERNAL',
          `State '${t.name}' of key ${JSON.stringify(String(ke.key))} was accessed without a prefetch: the runtime must await backend.prefetch(keys) before it processes them`,
          this.context(),
        );
      }
      this.st.syncReads++;
      const v = this.db.getSync(toBuf(ke.prefix + suffix));
      e = new Entry(v === undefined ? undefined : this.decode(suffix, v));
    }
    ke.entries.set(suffix, e);
    return e;
  }

  /** @internal */
  read(t: LsmStateTable, suffix: string): unknown {
    return this.slot(this.currentEntry(), t, suffix, false)?.value;
  }

  /** @internal `value` must not be undefined (use remove); also marks an in-place change. */
  write(t: LsmStateTable, suffix: string, value: unknown): void {
    const ke = this.currentEntry();
    const e = this.slot(ke, t, suffix, true)!;
    if (e.value === undefined) this.count++;
    e.value = value;
    this.markDirty(ke, e);
  }

  /** @internal */
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
      if (this.dirty.length >= this.flushThreshold) this.autoFlush();
    }
  }

  private decode(suffix: string, v: Buffer): unknown {
    const t = this.tablesById.get(readU16(suffix, 0));
    const x = packr.unpack(v);
    return t?.kind === 'map' ? MapData.from(x as [unknown, unknown][]) : x;
  }
}

async function readDescriptor(path: string): Promise<LsmCheckpointDescriptor> {
  let d: LsmCheckpointDescriptor;
  try {
    d = JSON.parse(await readFile(path, 'utf8')) as LsmCheckpointDescriptor;
  } catch (e) {
    throw new WeirError('WEIR_CHECKPOINT', `Cannot read the lsm checkpoint descriptor ${path}: ${String(e)}`, {}, { cause: e });
  }
  if (d.format !== 'weir-lsm-checkpoint' || d.version !== 1)
    throw new WeirError('WEIR_CHECKPOINT', `${path} is not an lsm checkpoint descriptor`);
  return d;
}

/** Lays out the files of a checkpoint as a LevelDB directory. */
async function materialize(d: LsmCheckpointDescriptor, descriptorPath: string, dbDir: string, searchDirs: string[]): Promise<void> {
  await mkdir(dbDir, { recursive: true });
  const dirs = [dirname(descriptorPath), ...searchDirs];
  const find = async (file: string, size: number): Promise<string> => {
    for (const dir of dirs) {
      const p = join(dir, basename(file));
      try {
        const s = await stat(p);
        if (s.size === size) return p;
      } catch {
        // not in this directory
      }
    }
    throw new WeirError(
      'WEIR_CHECKPOINT',
      `Checkpoint file ${file} (${size} bytes) of checkpoint ${d.checkpointId} is missing from ${dirs.join(', ')}`,
    );
  };
  for (const [local, file, size] of d.tables) await copyFile(await find(file, size), join(dbDir, local));
  await copyFile(await find(d.manifest.file, d.manifest.size), join(dbDir, d.manifest.name));
  await writeFile(join(dbDir, 'CURRENT'), d.manifest.name + '\n');
}

/** The canonical entries of an lsm incremental checkpoint, read through a temporary backend. */
export async function readLsmCheckpoint(
  descriptorPath: string,
  opts: { maxParallelism: number; operatorName?: string | undefined; range?: KeyGroupRange; searchDirs: string[] },
): Promise<HeapStateSnapshot> {
  const tmp = new LsmKeyedStateBackend({
    maxParallelism: opts.maxParallelism,
    ...(opts.operatorName !== undefined ? { operatorName: opts.operatorName } : {}),
  });
  try {
    await tmp.restoreFromFiles([descriptorPath], {
      ...(opts.range !== undefined ? { range: opts.range } : {}),
      searchDirs: opts.searchDirs,
    });
    return await tmp.canonicalSnapshot();
  } finally {
    await tmp.dispose();
  }
}
