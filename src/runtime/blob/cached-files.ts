/**
 * Distributed cache files on their way from the client to the tasks (Flink's user artifacts).
 *
 * 1. The client (plan mode) resolves each `env.registerCachedFile(path, name)` against the
 *    program's directory and checks it exists (resolveCachedFiles).
 * 2. The cluster client stores its content content-addressed: a file as it is, a directory packed
 *    into one archive (packDirectory); the blob's id is the SHA-256 of those bytes. The local
 *    mini-cluster stores it next to the bundle, a JobManager in its BlobServer (`<sha256>.blob`),
 *    a remote client uploads it (`POST /blobs/upload`). The job carries `{name, blobId, ...}`.
 * 3. A remote TaskManager fetches the blob from the BlobServer into its BlobCache (hash checked);
 *    every TaskManager copies the job's files into a directory of the job attempt
 *    (materializeCachedFiles), removed when the attempt's workers end.
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { CachedFileRegistration } from '../../api/distributed-cache.js';
import { WeirError } from '../../errors.js';
import type { DeployedCachedFile } from '../rpc/messages.js';

/** A cached file with the place its blob is in the current process (JobSubmission, JobDeployment). */
export type StoredCachedFile = DeployedCachedFile;

/** A cached file as a remote client sends it (the REST run request): where its blob is, the server knows. */
export type CachedFileEntry = Omit<DeployedCachedFile, 'path'>;

/** A registration checked by the client: `path` is absolute and exists. */
export interface ResolvedCachedFile {
  name: string;
  path: string;
  executable: boolean;
  directory: boolean;
}

/**
 * Resolves the program's registrations against `cwd` (the directory main() ran in) and checks that
 * each names an existing file or directory, once per name.
 */
export async function resolveCachedFiles(registrations: readonly CachedFileRegistration[], cwd: string): Promise<ResolvedCachedFile[]> {
  const out: ResolvedCachedFile[] = [];
  const names = new Set<string>();
  for (const r of registrations) {
    if (names.has(r.name)) {
      throw new WeirError('WEIR_CACHED_FILE', `the cached file name '${r.name}' is registered twice: give each cached file its own name`);
    }
    names.add(r.name);
    const path = resolve(cwd, r.path);
    const where = isAbsolute(r.path) ? '' : ` (registered as '${r.path}', relative to ${cwd})`;
    const s = await stat(path).catch((e: NodeJS.ErrnoException) => {
      throw new WeirError(
        'WEIR_CACHED_FILE',
        e.code === 'ENOENT'
          ? `the cached file '${r.name}' does not exist: ${path}${where}`
          : `the cached file '${r.name}' at ${path}${where} cannot be read: ${e.message}`,
        {},
        { cause: e },
      );
    });
    if (!s.isFile() && !s.isDirectory()) {
      throw new WeirError('WEIR_CACHED_FILE', `the cached file '${r.name}' at ${path}${where} is neither a file nor a directory`);
    }
    out.push({ name: r.name, path, executable: r.executable, directory: s.isDirectory() });
  }
  return out;
}

/** The bytes stored for a cached file (a directory packed) and their SHA-256. */
export async function cachedFileContent(f: ResolvedCachedFile): Promise<{ bytes: Buffer; blobId: string }> {
  let bytes: Buffer;
  try {
    bytes = f.directory ? await packDirectory(f.path) : await readFile(f.path);
  } catch (e) {
    if (e instanceof WeirError) throw e;
    throw new WeirError(
      'WEIR_CACHED_FILE',
      `the cached file '${f.name}' at ${f.path} cannot be read: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
  return { bytes, blobId: createHash('sha256').update(bytes).digest('hex') };
}

export function cachedFileEntry(f: ResolvedCachedFile, blobId: string): CachedFileEntry {
  return { name: f.name, blobId, executable: f.executable, directory: f.directory, fileName: basename(f.path) };
}

/**
 * Stores every cached file of a submission with `put` (a BlobServer's, or the local bundle
 * directory's) and returns what the job carries. This is what an in-process cluster client calls.
 */
export async function storeCachedFiles(
  files: readonly ResolvedCachedFile[] | undefined,
  put: (bytes: Buffer) => Promise<{ id: string; path: string }>,
): Promise<StoredCachedFile[]> {
  const out: StoredCachedFile[] = [];
  for (const f of files ?? []) {
    const { bytes } = await cachedFileContent(f);
    const stored = await put(bytes);
    out.push({ ...cachedFileEntry(f, stored.id), path: stored.path });
  }
  return out;
}

// ---------------------------------------------------------------- directories

const MAGIC = Buffer.from('WEIRDIR1');
const MAX_ENTRIES = 100_000;
const MAX_DEPTH = 64;

interface PackedEntry {
  /** Relative, '/'-separated. */
  path: string;
  dir: boolean;
  mode: number;
  size: number;
}

/**
 * Packs a directory into one deterministic archive: MAGIC, a 4-byte header length, a JSON header
 * listing the entries (sorted), then the files' bytes in that order. Symbolic links are followed;
 * a directory reached twice (a link loop) is an error.
 */
export async function packDirectory(root: string): Promise<Buffer> {
  const entries: PackedEntry[] = [];
  const data: Buffer[] = [];
  const seen = new Set<string>();
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    const ds = await stat(dir);
    const key = `${ds.dev}:${ds.ino}`;
    if (seen.has(key) || depth > MAX_DEPTH) {
      throw new WeirError('WEIR_CACHED_FILE', `the cached directory ${root} contains a link loop or is nested too deep (at ${dir})`);
    }
    seen.add(key);
    for (const name of (await readdir(dir)).sort()) {
      const full = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const s = await stat(full);
      if (entries.length >= MAX_ENTRIES)
        throw new WeirError('WEIR_CACHED_FILE', `the cached directory ${root} has more than ${MAX_ENTRIES} entries`);
      if (s.isDirectory()) {
        entries.push({ path, dir: true, mode: s.mode & 0o777, size: 0 });
        await walk(full, path, depth + 1);
      } else if (s.isFile()) {
        const bytes = await readFile(full);
        entries.push({ path, dir: false, mode: s.mode & 0o777, size: bytes.length });
        data.push(bytes);
      }
    }
  };
  await walk(root, '', 0);
  const header = Buffer.from(JSON.stringify(entries));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  return Buffer.concat([MAGIC, len, header, ...data]);
}

function badArchive(why: string): WeirError {
  return new WeirError('WEIR_CACHED_FILE', `a cached directory's archive is malformed: ${why}`);
}

/** A relative path of safe segments: no '..', '.', empty segment, backslash or control character. */
function safeRelative(p: unknown): string {
  if (typeof p !== 'string' || p.length === 0 || p.length > 4096) throw badArchive('an entry has no valid path');
  for (const seg of p.split('/')) {
    // eslint-disable-next-line no-control-regex
    if (seg === '' || seg === '.' || seg === '..' || /[\\\u0000-\u001f]/.test(seg))
      throw badArchive(`unsafe entry path '${p.slice(0, 100)}'`);
  }
  return p;
}

/** Unpacks an archive made by packDirectory into `target` (created). */
export async function unpackDirectory(archive: Buffer, target: string): Promise<void> {
  if (archive.length < MAGIC.length + 4 || !archive.subarray(0, MAGIC.length).equals(MAGIC)) throw badArchive('bad magic');
  const headerLen = archive.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerLen > archive.length) throw badArchive('truncated header');
  let entries: unknown;
  try {
    entries = JSON.parse(archive.subarray(start, start + headerLen).toString('utf8'));
  } catch {
    throw badArchive('unreadable header');
  }
  if (!Array.isArray(entries) || entries.length > MAX_ENTRIES) throw badArchive('bad entry list');
  await mkdir(target, { recursive: true });
  let offset = start + headerLen;
  for (const e of entries as Partial<PackedEntry>[]) {
    const rel = safeRelative(e.path);
    const mode = typeof e.mode === 'number' ? (e.mode & 0o755) | 0o600 : 0o644;
    const dest = join(target, ...rel.split('/'));
    if (e.dir === true) {
      await mkdir(dest, { recursive: true, mode: mode | 0o700 });
      continue;
    }
    const size = e.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || offset + size > archive.length)
      throw badArchive(`entry '${rel}' has a bad size`);
    await mkdir(join(dest, '..'), { recursive: true });
    await writeFile(dest, archive.subarray(offset, offset + size), { mode });
    offset += size;
  }
  if (offset !== archive.length) throw badArchive('trailing bytes');
}

// ---------------------------------------------------------------- TaskManager side

/** A file name for the local copy: the registered path's last segment, made safe. */
function localName(fileName: string): string {
  // eslint-disable-next-line no-control-regex
  const n = basename(fileName.replace(/\\/g, '/')).replace(/[\u0000-\u001f]/g, '');
  return n === '' || n === '.' || n === '..' ? 'file' : n.slice(0, 255);
}

/**
 * Copies a job attempt's cached files from where their blobs are into `dir` (one numbered
 * sub-directory per file, keeping the file's own name) and returns name → path of the copy.
 */
export async function materializeCachedFiles(files: readonly StoredCachedFile[], dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await rm(dir, { recursive: true, force: true });
  for (const [i, f] of files.entries()) {
    const slot = join(dir, String(i));
    await mkdir(slot, { recursive: true, mode: 0o700 });
    const dest = join(slot, localName(f.fileName));
    try {
      if (f.directory) await unpackDirectory(await readFile(f.path), dest);
      else {
        await copyFile(f.path, dest);
        await chmod(dest, f.executable ? 0o755 : 0o644);
      }
    } catch (e) {
      if (e instanceof WeirError) throw e;
      throw new WeirError(
        'WEIR_CACHED_FILE',
        `cannot copy the cached file '${f.name}' to ${dest}: ${(e as Error).message}`,
        {},
        { cause: e },
      );
    }
    out[f.name] = dest;
  }
  return out;
}
