/**
 * Local file system helpers: a directory walk that always ends, and errors that
 * say which path failed and what to do.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { WeirError } from '../errors.js';

/** What a user can do about each errno a file connector meets. */
const ADVICE: Record<string, string> = {
  EACCES: 'the process may not write there: give a directory it can write to',
  EPERM: 'the process may not write there: give a directory it can write to',
  EROFS: 'the file system is read-only: give a directory on a writable file system',
  ENOSPC: 'the disk is full: free space or give a directory on another disk',
  EDQUOT: 'the disk quota is used up: free space or give a directory on another disk',
  ENOTDIR: 'a part of the path is a file, not a directory: give a directory path',
  EEXIST: 'the path exists and is not a directory: give a directory path',
  EISDIR: 'the path is a directory where a file was expected',
  ENAMETOOLONG: 'the path is too long: give a shorter one',
  ELOOP: 'the path has a symbolic link loop',
};

/** A WeirError naming `target` and what to do; WEIR_IO for the errors above, else `fallback`. */
export function fileIoError(
  e: unknown,
  action: string,
  target: string,
  fallback: 'WEIR_JOB_FAILED' | 'WEIR_IO' = 'WEIR_JOB_FAILED',
): WeirError {
  if (e instanceof WeirError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const advice = code ? ADVICE[code] : undefined;
  const why = (e as Error | undefined)?.message ?? String(e);
  return new WeirError(advice ? 'WEIR_IO' : fallback, `${action} ${target}: ${why}${advice ? ` (${advice})` : ''}`, {}, { cause: e });
}

/**
 * Creates `dir` and its missing parents, one level at a time. Unlike mkdir's recursive mode, it
 * ends on every file system: Node's recursive mkdir retries for ever when mkdir answers ENOENT
 * for a path whose parent exists (procfs, sysfs), where this fails with a clear error.
 */
export async function ensureDir(dir: string): Promise<void> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  // Up to the deepest existing ancestor; bounded by the number of path components.
  for (let p = target; ; p = path.dirname(p)) {
    const st = await stat(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw fileIoError(e, 'Cannot create the directory', target, 'WEIR_IO');
    });
    if (st) {
      if (!st.isDirectory())
        throw fileIoError(Object.assign(new Error(`${p} is not a directory`), { code: 'ENOTDIR' }), 'Cannot create the directory', target);
      break;
    }
    missing.push(p);
    if (path.dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      await mkdir(p);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EEXIST' && (await stat(p).catch(() => undefined))?.isDirectory()) continue; // made concurrently
      if (err.code === 'ENOENT') {
        // The parent exists (it was found or just made): this file system does not hold directories.
        throw new WeirError(
          'WEIR_IO',
          `Cannot create the directory ${target}: ${path.dirname(p)} does not allow creating ${path.basename(p)} (a virtual file system such as /proc or /sys?): give a directory on a regular file system`,
          {},
          { cause: e },
        );
      }
      throw fileIoError(e, 'Cannot create the directory', target, 'WEIR_IO');
    }
  }
}
