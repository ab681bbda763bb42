/**
 * Incremental checkpoints of the lsm backend: LevelDB's table files are immutable and named
 * uniquely, so a checkpoint uploads the table files of the database's current version that no
 * earlier checkpoint it may refer to uploaded, a copy of the MANIFEST and a descriptor; a restore
 * lays them out as a LevelDB directory (several, rescaling: the first is opened, the others' key
 * groups in range are copied in).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseName, getFileSystem, joinPath, parentPath } from '../../../fs/index.js';
import { ClassicLevel } from 'classic-level';
import { WeirError } from '../../../errors.js';
import type { KeyGroupRange, SharedStateFiles } from '../keyed-state-backend.js';
import type { LsmInternals } from './internals.js';
import { META_PREFIX, decodeEntryKey, fromBuf, toBuf, u16 } from './key-codec.js';

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

/** How one backend names its files in checkpoint storage. */
export class CheckpointFileNames {
  /** Names uploaded files of this instance, so that they never collide with another's. */
  readonly instanceId = randomBytes(6).toString('hex');
  /** LevelDB table file → its name in checkpoint storage (kept for files restored from a checkpoint). */
  readonly handles = new Map<string, string>();
}

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
export async function checkpointFiles(
  b: LsmInternals,
  files: CheckpointFileNames,
  checkpointId: number,
  targetDir: string,
  alreadyUploaded: ReadonlySet<string> = new Set(),
): Promise<LsmCheckpointResult> {
  b.store.check();
  const write = b.cache.captureForQueue();
  const staged = await b.store.enqueue(async () => {
    await write();
    await b.store.flushMemtable();
    return b.store.stage(`staging-${checkpointId}`);
  });
  try {
    const fs = getFileSystem(targetDir);
    await fs.mkdirs(targetDir);
    const tableFiles: string[] = [];
    const uploaded: string[] = [];
    let uploadedBytes = 0;
    let totalBytes = 0;
    const descriptorTables: LsmCheckpointDescriptor['tables'] = [];
    const live = new Set(staged.tables.map((f) => f.name));
    for (const local of files.handles.keys()) if (!live.has(local)) files.handles.delete(local);
    for (const f of staged.tables) {
      // A file keeps its name in storage while that name is in alreadyUploaded; otherwise it is
      // uploaded under a name of its own for this checkpoint, so a file of a checkpoint that
      // failed is never shared with a later one (and can be deleted with the failed checkpoint).
      let handle = files.handles.get(f.name);
      if (handle === undefined || !alreadyUploaded.has(handle)) handle = `${files.instanceId}-chk-${checkpointId}-${f.name}`;
      files.handles.set(f.name, handle);
      tableFiles.push(handle);
      descriptorTables.push([f.name, handle, f.size]);
      totalBytes += f.size;
      if (!alreadyUploaded.has(handle)) {
        await fs.uploadFile(join(staged.dir, f.name), joinPath(targetDir, handle));
        uploaded.push(handle);
        uploadedBytes += f.size;
      }
    }
    const manifestFile = `${files.instanceId}-chk-${checkpointId}-${staged.manifestName}`;
    await fs.writeFile(joinPath(targetDir, manifestFile), staged.manifest, { atomic: false });
    const descriptor: LsmCheckpointDescriptor = {
      format: 'weir-lsm-checkpoint',
      version: 1,
      checkpointId,
      maxParallelism: b.maxParallelism,
      manifest: { name: staged.manifestName, file: manifestFile, size: staged.manifest.length },
      tables: descriptorTables,
    };
    const descriptorFile = `${files.instanceId}-chk-${checkpointId}.lsm.json`;
    const json = JSON.stringify(descriptor);
    await fs.writeFile(joinPath(targetDir, descriptorFile), json, { atomic: false });
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
export async function restoreFromFiles(
  b: LsmInternals,
  files: CheckpointFileNames,
  descriptorPaths: string[],
  opts: { range?: KeyGroupRange; searchDirs?: string[] } = {},
): Promise<void> {
  if (descriptorPaths.length === 0) throw new WeirError('WEIR_CHECKPOINT', 'restoreFromFiles needs at least one checkpoint descriptor');
  b.store.check();
  await b.store.open();
  if (b.cache.count !== 0 || b.cache.size !== 0 || b.tables.byId.size !== 0) {
    throw new WeirError(
      'WEIR_CHECKPOINT',
      'restoreFromFiles needs an empty lsm state backend: restore before the operator registers its states and processes records',
      b.context,
    );
  }
  await b.store.enqueue(async () => {
    const { range } = opts;
    const descriptors = await Promise.all(descriptorPaths.map(readDescriptor));
    for (const d of descriptors) {
      if (d.maxParallelism !== b.maxParallelism) {
        throw new WeirError(
          'WEIR_CHECKPOINT',
          `A checkpoint taken with maxParallelism ${d.maxParallelism} cannot be restored with maxParallelism ${b.maxParallelism}`,
          b.context,
        );
      }
    }
    await b.store.replace((dbDir) => materialize(descriptors[0]!, descriptorPaths[0]!, dbDir, opts.searchDirs ?? []));
    for (const [local, file] of descriptors[0]!.tables) files.handles.set(local, file);
    const own = await b.tables.loadOwn(b.store.db, b.cache);
    b.adoptTables(own.tables);
    b.cache.count = own.count;
    let recount = false;
    if (range !== undefined) {
      await b.store.clearRange(undefined, toBuf(u16(range.start)));
      await b.store.clearRange(toBuf(u16(range.end + 1)), toBuf(META_PREFIX));
      recount = true;
    }
    for (let i = 1; i < descriptors.length; i++) {
      const tmp = join(b.store.dir, `restore-${i}`);
      await rm(tmp, { recursive: true, force: true });
      await materialize(descriptors[i]!, descriptorPaths[i]!, tmp, opts.searchDirs ?? []);
      const other = new ClassicLevel<Buffer, Buffer>(tmp, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await other.open();
      try {
        const idMap = await b.tables.mapOther(other, (name, kind) => b.restoredTable(name, kind));
        const it = other.iterator({
          gte: toBuf(u16(range?.start ?? 0)),
          lt: toBuf(range !== undefined ? u16(range.end + 1) : META_PREFIX),
        });
        try {
          for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
            const entries = await it.nextv(1000);
            if (entries.length === 0) break;
            const batch = b.store.db.batch();
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
    if (recount) b.cache.count = await b.store.countKeys(toBuf(META_PREFIX));
    const batch = b.store.db.batch();
    b.tables.metaOps(batch, b.cache.count);
    await batch.write();
    b.afterBulkLoad();
  });
}

async function readDescriptor(path: string): Promise<LsmCheckpointDescriptor> {
  let d: LsmCheckpointDescriptor;
  try {
    d = JSON.parse((await getFileSystem(path).readFile(path)).toString('utf8')) as LsmCheckpointDescriptor;
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
  const dirs = [parentPath(descriptorPath), ...searchDirs];
  const find = async (file: string, size: number): Promise<string> => {
    for (const dir of dirs) {
      const p = joinPath(dir, baseName(file));
      try {
        const s = await getFileSystem(p).stat(p);
        if (s !== undefined && !s.isDir && s.size === size) return p;
      } catch {
        // not in this directory
      }
    }
    throw new WeirError(
      'WEIR_CHECKPOINT',
      `Checkpoint file ${file} (${size} bytes) of checkpoint ${d.checkpointId} is missing from ${dirs.join(', ')}`,
    );
  };
  const fetch = async (from: string, to: string): Promise<void> => getFileSystem(from).downloadFile(from, to);
  for (const [local, file, size] of d.tables) await fetch(await find(file, size), join(dbDir, local));
  await fetch(await find(d.manifest.file, d.manifest.size), join(dbDir, d.manifest.name));
  await writeFile(join(dbDir, 'CURRENT'), d.manifest.name + '\n');
}
