/** The local file system (plain paths and file:// URIs). */
import { createReadStream } from 'node:fs';
import { copyFile, cp, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileStatus, FileSystem, WriteOptions } from './file-system.js';
import { ensureDir } from './local-io.js';
import { normalizeLocation } from './path.js';

export class LocalFileSystem implements FileSystem {
  readonly scheme = 'file';

  readFile(p: string): Promise<Buffer> {
    return readFile(normalizeLocation(p));
  }

  async readRange(p: string, offset: number, length: number): Promise<Buffer> {
    const fh = await open(normalizeLocation(p), 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async writeFile(p: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
    // The parent must exist (mkdirs): a write into a directory deleted meanwhile (an aborted checkpoint's) fails.
    const target = normalizeLocation(p);
    const atomic = options.atomic ?? true;
    const file = atomic ? path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`) : target;
    const fh = await open(file, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (atomic) await rename(file, target);
  }

  async uploadFile(localPath: string, p: string): Promise<void> {
    const target = normalizeLocation(p);
    await ensureDir(path.dirname(target));
    await copyFile(localPath, target);
  }

  async downloadFile(p: string, localPath: string): Promise<void> {
    await ensureDir(path.dirname(localPath));
    await copyFile(normalizeLocation(p), localPath);
  }

  async stat(p: string): Promise<FileStatus | undefined> {
    const target = normalizeLocation(p);
    const st = await stat(target).catch(() => undefined);
    if (!st) return undefined;
    return { name: path.basename(target), path: target, isDir: st.isDirectory(), size: st.size, mtime: st.mtimeMs };
  }

  async list(dir: string): Promise<FileStatus[]> {
    const d = normalizeLocation(dir);
    const names = await readdir(d).catch(() => [] as string[]);
    const out: FileStatus[] = [];
    for (const name of names.sort()) {
      const st = await this.stat(path.join(d, name));
      if (st) out.push(st);
    }
    return out;
  }

  mkdirs(dir: string): Promise<void> {
    return ensureDir(normalizeLocation(dir));
  }

  async delete(p: string, recursive = false): Promise<void> {
    await rm(normalizeLocation(p), { recursive, force: true });
  }

  async copy(from: string, to: string, options: { recursive?: boolean; filter?: (name: string) => boolean } = {}): Promise<void> {
    const src = normalizeLocation(from);
    const dst = normalizeLocation(to);
    if (!options.recursive) {
      await ensureDir(path.dirname(dst));
      await copyFile(src, dst);
      return;
    }
    const filter = options.filter;
    await cp(src, dst, { recursive: true, filter: filter ? (s) => s === src || filter(path.basename(s)) : undefined });
  }

  async rename(from: string, to: string): Promise<void> {
    await rename(normalizeLocation(from), normalizeLocation(to));
  }

  /** A readable stream of a local file (FileSource reads local files this way). */
  stream(p: string): NodeJS.ReadableStream {
    return createReadStream(normalizeLocation(p));
  }
}
