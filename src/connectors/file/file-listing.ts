/**
 * What FileSource reads: the regular files at a path (the file itself, or every visible file under
 * a directory, recursively) or the objects at an s3:// location, in name order, and the error for
 * an input that is not there.
 */
import fs from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { WeirError } from '../../errors.js';
import { S3FileSystem, getFileSystem, isRemote } from '../../fs/index.js';

export function notFound(p: string, cause?: unknown): WeirError {
  return new WeirError(
    'WEIR_INPUT_NOT_FOUND',
    `Input path ${p} does not exist: check the path given to FileSource.lines() (relative paths are resolved against the directory the program runs in)`,
    {},
    { cause },
  );
}

/** Hidden and "_"-prefixed entries are skipped, as Flink's default file filter does (in-progress and marker files). */
function isHidden(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/** The regular files at `root` (itself, if it is a file), sorted by path. */
export async function listFiles(root: string): Promise<string[]> {
  if (isRemote(root)) return listRemoteFiles(root);
  let st: fs.Stats;
  try {
    st = await stat(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(root, e);
    throw e;
  }
  if (st.isFile()) return [root];
  if (!st.isDirectory()) return [];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (isHidden(e.name)) continue;
      const full = path.join(dir, e.name);
      let isFile = e.isFile();
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        const t = await stat(full).catch(() => undefined);
        isFile = t?.isFile() ?? false;
        isDir = t?.isDirectory() ?? false;
      }
      if (isFile) out.push(full);
      else if (isDir) await walk(full);
    }
  };
  await walk(root);
  // Relative paths compare as the user sees them: a/b before a0 (path separator sorts first).
  const rel = (f: string) => path.relative(root, f).split(path.sep);
  return out.sort((a, b) => compareSegments(rel(a), rel(b)));
}

/** The objects at an s3:// location: the object itself, or every visible object under the prefix. */
async function listRemoteFiles(root: string): Promise<string[]> {
  const fs = getFileSystem(root);
  const st = await fs.stat(root);
  if (!st) throw notFound(root);
  if (!st.isDir) return [root];
  const all = fs instanceof S3FileSystem ? await fs.listRecursive(root) : [];
  return all
    .filter((f) => !f.name.split('/').some(isHidden))
    .sort((a, b) => compareSegments(a.name.split('/'), b.name.split('/')))
    .map((f) => f.path);
}

function compareSegments(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
