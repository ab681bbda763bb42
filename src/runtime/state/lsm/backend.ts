/**
 * Keyed state in an embedded LSM store (LevelDB through classic-level): Weir's counterpart of
 * Flink's RocksDB state backend, for state larger than memory, with incremental checkpoints.
 *
 * State access stays synchronous (docs/ARCHITECTURE.md, decision 7): the runtime awaits
 * `prefetch(keys)` before it processes a buffer, and reads and writes hit an in-memory cache
 * (cache.ts) written back in batches.
 *
 * Layout: one LevelDB entry per (key, state, namespace), holding the whole value (a list, the
 * [key, value] pairs of a map, the reduced value or accumulator) in MessagePack; key order is
 * (key group, key, state, namespace), see key-codec.ts. Values round-trip through MessagePack,
 * so they must be plain data (a Map or a class instance inside a value comes back as a plain
 * object), and a value object read from state must be written back with update() to be kept, as in
 * Flink's RocksDB backend.
 *
 * Every asynchronous operation on the database runs on one queue, in call order (database.ts).
 * Writes are captured (serialized into a LevelDB write batch) synchronously when flush(), snapshot()
 * or checkpointFiles() is called, so a snapshot holds exactly the state at the moment of the call
 * even if processing goes on while it is written. Snapshots: full-snapshot.ts (canonical entries),
 * incremental-snapshot.ts and shared-files.ts (incremental checkpoints).
 */
import { WeirError } from '../../../errors.js';
import { joinPath } from '../../../fs/index.js';
import type { StateKind } from '../../../api/state.js';
import { packState, unpackState } from '../../checkpoint/storage.js';
import { AbstractKeyedStateBackend } from '../abstract-keyed-state-backend.js';
import {
  VOID_NAMESPACE,
  type HeapStateSnapshot,
  type KeyGroupRange,
  type KeyedStateBackend,
  type KeyedStateBackendSnapshot,
  type RestoredKeyedState,
  type RestoreRequest,
  type SnapshotRequest,
} from '../keyed-state-backend.js';
import { LsmCache } from './cache.js';
import { runCompactionFilters } from './compaction-filter.js';
import { LsmDatabase } from './database.js';
import { canonicalSnapshot, restoreCanonical, scanKeys } from './full-snapshot.js';
import { CheckpointFileNames, checkpointFiles, restoreFromFiles, type LsmCheckpointResult } from './incremental-snapshot.js';
import type { LsmInternals } from './internals.js';
import { LSM_MAX_PARALLELISM, META_MAX_PARALLELISM, META_PREFIX, toBuf } from './key-codec.js';
import { SharedFileRegistry } from './shared-files.js';
import { LsmTables, packr, type LsmStateTable } from './tables.js';

export type { LsmCheckpointResult } from './incremental-snapshot.js';

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

export class LsmKeyedStateBackend extends AbstractKeyedStateBackend<LsmStateTable> implements KeyedStateBackend {
  /** This backend's directory (the database is in db/). Removed by dispose(). */
  readonly dir: string;
  private readonly store: LsmDatabase;
  private readonly lsmTables = new LsmTables();
  private readonly cache: LsmCache;
  private readonly internals: LsmInternals;
  private readonly incremental: boolean;
  private readonly sharedFiles = new SharedFileRegistry();
  private readonly fileNames = new CheckpointFileNames();
  /** Keys listed by prepareKeys(), valid until the next write batch. */
  private readonly prepared = new Map<string, { captures: number; keys: [string, unknown][] }>();
  private disposing: Promise<void> | undefined;

  constructor(opts: LsmKeyedStateBackendOptions) {
    super(opts, LSM_MAX_PARALLELISM);
    this.incremental = opts.incremental ?? false;
    const dbOptions = {
      cacheSize: opts.blockCacheSize ?? 32 * 1024 * 1024,
      writeBufferSize: opts.writeBufferSize ?? 4 * 1024 * 1024,
      maxFileSize: opts.maxFileSize ?? 2 * 1024 * 1024,
    };
    this.store = new LsmDatabase(opts.workingDir, dbOptions, this.context(), async (db) => {
      await db.put(toBuf(META_MAX_PARALLELISM), packr.pack(this.maxParallelism));
    });
    this.dir = this.store.dir;
    this.cache = new LsmCache(this.store, this.lsmTables, this, {
      cacheKeys: opts.cacheKeys ?? 10_000,
      flushThreshold: Math.max(1, opts.flushThreshold ?? 4096),
      onMiss: opts.onMiss ?? 'read',
      maxParallelism: this.maxParallelism,
      context: this.context(),
    });
    this.internals = {
      store: this.store,
      cache: this.cache,
      tables: this.lsmTables,
      maxParallelism: this.maxParallelism,
      context: this.context(),
      restoredTable: (name, kind) => this.tableFor(name, kind, true),
      ttlFilter: (name) => this.ttl.filter(name),
      adoptTables: (tables) => {
        for (const t of tables) this.tables.set(t.name, t);
      },
      afterBulkLoad: () => {
        this.cache.afterBulkLoad();
        this.prepared.clear();
      },
    };
  }

  /** Resolves once the database is open; every asynchronous method waits for it too. */
  open(): Promise<void> {
    return this.store.open();
  }

  override setCurrentKey(key: unknown): void {
    super.setCurrentKey(key);
    this.cache.cur = undefined;
  }

  protected newTable(name: string, kind: StateKind): LsmStateTable {
    return this.lsmTables.create(name, kind, ++this.cache.seqCounter, this.cache, this.context());
  }

  protected override onPartitioned(t: LsmStateTable): void {
    this.lsmTables.partitioned(t);
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
    if (p === undefined || p.captures !== this.cache.captures) {
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
      const cached = this.cache.keyOf(prefix);
      if (cached?.has(suffix) === false) continue;
      out.push(cached !== undefined ? cached.key : key);
    }
    for (const key of this.cache.cachedWith(suffix, seen)) out.push(key);
    return out;
  }

  /** Lists the keys of a state so that getKeys() can return them synchronously (until the next write batch). */
  async prepareKeys(stateName: string, namespace: string = VOID_NAMESPACE): Promise<void> {
    const t = this.tables.get(stateName);
    if (t === undefined) return;
    const keys: [string, unknown][] = [];
    const pending = scanKeys(this.internals, t.id, namespace, 1000, (batch) => {
      for (const k of batch) keys.push(k);
    });
    const captures = this.cache.captures; // the scan captured the changes made so far; a later write batch makes the list stale
    await pending;
    this.prepared.set(t.id + ':' + namespace, { captures, keys });
  }

  /**
   * Calls `fn` with the keys that have a value under `stateName` in `namespace`, in batches of
   * `batchSize`, each prefetched before the call (BATCH-mode end of input, for instance). The keys
   * are those at the time of the call.
   */
  async forEachKeyBatch(stateName: string, namespace: string, batchSize: number, fn: (keys: unknown[]) => void): Promise<void> {
    const t = this.tables.get(stateName);
    if (t === undefined) return;
    await scanKeys(this.internals, t.id, namespace, batchSize, async (batch) => {
      const keys = batch.map(([prefix, key]) => this.cache.keyOf(prefix)?.key ?? key);
      await this.prefetch(keys);
      fn(keys);
    });
  }

  numEntries(): number {
    return this.cache.count;
  }

  stats(): LsmBackendStats {
    return { cachedKeys: this.cache.size, dirtyKeys: this.cache.dirtyKeys, ...this.cache.st };
  }

  /**
   * Loads every state (all namespaces) of `keys` into the cache; the runtime awaits it before it
   * processes the records (or fires the timers) of those keys. Keys already cached cost nothing.
   */
  prefetch(keys: Iterable<unknown>): Promise<void> {
    return this.cache.prefetch(keys);
  }

  /** Writes every change made so far (captured now), then evicts clean keys down to `cacheKeys`. */
  flush(): Promise<void> {
    return this.cache.flush();
  }

  /**
   * Writes every change, removes what the states' compaction filters drop (TTL
   * cleanupInRocksdbCompactFilter: expired values), then compacts the whole database (LevelDB's
   * compactRange): fewer, settled table files without the dropped values.
   */
  compact(): Promise<void> {
    if (this.store.failure !== undefined) return Promise.reject(this.store.failure);
    const write = this.cache.captureForQueue();
    return this.store.enqueue(async () => {
      await write();
      await runCompactionFilters(this.internals, (name) => this.ttl.compactionFilter(name));
      await this.store.db.compactRange(toBuf('\x00'), toBuf(META_PREFIX + '\xff'));
    });
  }

  /** Every entry as plain data in the canonical format (savepoints), as of the call; the values are fresh copies. */
  canonicalSnapshot(): Promise<HeapStateSnapshot> {
    return canonicalSnapshot(this.internals);
  }

  /** Adds the entries of a canonical snapshot (from either backend) whose key group lies in `range` (all when omitted). */
  restore(snapshot: HeapStateSnapshot, range?: KeyGroupRange): Promise<void> {
    return restoreCanonical(this.internals, snapshot, range);
  }

  /** Uploads an incremental checkpoint to `targetDir` (see incremental-snapshot.ts). */
  checkpointFiles(checkpointId: number, targetDir: string, alreadyUploaded: ReadonlySet<string> = new Set()): Promise<LsmCheckpointResult> {
    const result = checkpointFiles(this.internals, this.fileNames, checkpointId, targetDir, alreadyUploaded);
    this.filterAfterCheckpoint();
    return result;
  }

  /**
   * LevelDB compacts in native code, which cannot call the TTL compaction filters
   * (cleanupInRocksdbCompactFilter) as RocksDB's compactions do: in a running job they run as a pass
   * on the queue after each checkpoint's capture (never inside it), and LevelDB's own background
   * compactions then drop what the pass deleted.
   */
  private filterAfterCheckpoint(): void {
    if (this.store.failure !== undefined) return;
    // A failure of the pass is the store's failure, which the next state access reports.
    void this.store.enqueue(() => runCompactionFilters(this.internals, (name) => this.ttl.compactionFilter(name))).catch(() => undefined);
  }

  /** Opens the database from incremental checkpoints; the backend must be empty (fresh). */
  restoreFromFiles(descriptorPaths: string[], opts: { range?: KeyGroupRange; searchDirs?: string[] } = {}): Promise<void> {
    return restoreFromFiles(this.internals, this.fileNames, descriptorPaths, opts);
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
      const descriptors = native.map((files) => joinPath(sharedDir, files[0]!));
      await this.restoreFromFiles(descriptors, { range, searchDirs: [sharedDir] });
      // Files of this job's own checkpoints stay in its shared directory: the next checkpoint
      // refers to them instead of uploading them again (a checkpoint of another job is copied).
      if (request.ownSharedDir) this.sharedFiles.restored(native[0]!);
    }
    for (const p of parts) if (p.states.length > 0) await this.restore({ states: p.states }, range);
  }

  /** Closes the database and removes its directory; never rejects. */
  dispose(): Promise<void> {
    if (this.disposing !== undefined) return this.disposing;
    this.store.failure ??= new WeirError('WEIR_INTERNAL', 'The lsm state backend was disposed', this.context());
    this.cache.clear();
    this.lsmTables.clear();
    this.resetStates();
    this.disposing = this.store.close();
    return this.disposing;
  }
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
