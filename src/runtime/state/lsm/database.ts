/**
 * The LevelDB database of one lsm backend, with the queue every asynchronous operation on it runs
 * on (in call order), and images of it for long reads.
 *
 * Reads that take a while (a canonical snapshot, listing keys) run on an image of the database made
 * of hard links to its table files, never on a LevelDB snapshot of the live database: see
 * withImage() for the LevelDB bug that rules those out.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { WeirError } from '../../../errors.js';
import { EMPTY_RANGE, toBuf } from './key-codec.js';
import { parseManifest, tableFileName } from './leveldb-files.js';

export type Db = ClassicLevel<Buffer, Buffer>;
export type WriteBatch = ReturnType<Db['batch']>;

/** LevelDB block cache of a database image (withImage): it is read once, in order. */
const IMAGE_CACHE_SIZE = 4 * 1024 * 1024;

/** The current version's table files, hard-linked into a directory of their own, with the MANIFEST that describes them. */
export interface StagedVersion {
  dir: string;
  manifestName: string;
  manifest: Buffer;
  tables: { name: string; size: number }[];
}

export class LsmDatabase {
  /** This backend's directory (the database is in db/). Removed by close(). */
  readonly dir: string;
  readonly dbDir: string;
  db: Db;
  isOpen = false;
  /** Set once the backend cannot go on (a failed write, dispose): every later operation throws it. */
  failure: unknown = undefined;
  private readonly opening: Promise<void>;
  private tail: Promise<unknown> = Promise.resolve();
  /** Reads of database images in progress (see withImage); close() waits for them. */
  private readonly images = new Set<Promise<void>>();
  private imageSeq = 0;

  constructor(
    workingDir: string | undefined,
    private readonly dbOptions: Record<string, number>,
    private readonly context: { operator?: string },
    onOpen: (db: Db) => Promise<void>,
  ) {
    const parent = workingDir ?? join(tmpdir(), 'weir-lsm');
    mkdirSync(parent, { recursive: true });
    this.dir = mkdtempSync(join(parent, 'lsm-'));
    this.dbDir = join(this.dir, 'db');
    this.db = this.newDb();
    this.opening = this.db.open().then(
      () => {
        this.isOpen = true;
        return onOpen(this.db);
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

  /** Resolves once the database is open. */
  open(): Promise<void> {
    return this.opening;
  }

  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Runs `op` after every operation enqueued before it, once the database is open. */
  enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      await this.opening;
      this.check();
      return op();
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => {});
    return p;
  }

  /** On the queue: replaces the database with the one `lay` lays out in its (emptied) directory. */
  async replace(lay: (dbDir: string) => Promise<void>): Promise<void> {
    await this.db.close();
    this.isOpen = false;
    await rm(this.dbDir, { recursive: true, force: true });
    await lay(this.dbDir);
    this.db = this.newDb();
    await this.db.open();
    this.isOpen = true;
  }

  /** Writes the memtable to a table file (compactRange over a range that holds no keys compacts nothing else). */
  flushMemtable(): Promise<void> {
    return this.db.compactRange(toBuf(EMPTY_RANGE[0]), toBuf(EMPTY_RANGE[1]));
  }

  /**
   * Runs `fn` on a read-only image of the database as of the call, while processing, flushing and
   * compaction go on in the live database: on the queue, `write` writes the changes captured at the
   * call, the memtable goes to a table file and the current version's table files are hard-linked
   * into a directory of their own, which is opened as a second database and removed after `fn`.
   *
   * Why not a LevelDB snapshot: the LevelDB that classic-level ships (1.20) may answer a read with an
   * older value of a key when compactions run while a snapshot is held and the key is written again
   * (google/leveldb#320, fixed in LevelDB 1.21): a compaction keeps both versions for the snapshot,
   * can cut them into two table files, and a later compaction moves the newer one down a level. So
   * this backend never holds a snapshot of the live database across a write; its own reads
   * (getMany, iterators) hold LevelDB's implicit ones only on the queue, where no write runs.
   */
  withImage<T>(write: () => Promise<void>, fn: (image: Db) => Promise<T>): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const name = `image-${++this.imageSeq}`;
    const staged = this.enqueue(async () => {
      await write();
      await this.flushMemtable();
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

  /** On the queue: hard-links the table files of the current version into `<dir>/<name>-<n>/`. */
  async stage(name: string): Promise<StagedVersion> {
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
          const file = tableFileName(f.number, ext);
          try {
            await link(join(this.dbDir, file), join(dir, file));
            linked = file;
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
    throw new WeirError('WEIR_CHECKPOINT', 'LevelDB kept replacing its table files while a checkpoint was taken', this.context);
  }

  /**
   * On the queue: deletes the entries in [from, lt). Unlike LevelDB's clear(), whose iterator holds
   * a snapshot while it deletes, no read stays open across a write here (see withImage).
   */
  async clearRange(from: Buffer | undefined, lt: Buffer): Promise<void> {
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

  /** On the queue: the number of keys below `lt`. */
  async countKeys(lt: Buffer): Promise<number> {
    let n = 0;
    const it = this.db.keys({ lt });
    try {
      for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
        const ks = await it.nextv(10_000);
        if (ks.length === 0) break;
        n += ks.length;
      }
    } finally {
      await it.close();
    }
    return n;
  }

  /** Waits for what runs, closes the database and removes the directory; never rejects. */
  async close(): Promise<void> {
    await this.opening.catch(() => {});
    await this.tail.catch(() => {});
    await Promise.all(this.images);
    await this.db.close().catch(() => {});
    await rm(this.dir, { recursive: true, force: true }).catch(() => {});
  }
}
