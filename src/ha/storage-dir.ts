/**
 * high-availability.storageDir: the one module through which the HA services read and write it
 * (execution plans, blobs). Local paths and file:// URIs today; other file systems plug in here.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeirError } from '../errors.js';

export class StorageDir {
  readonly root: string;

  constructor(uri: string) {
    if (uri.startsWith('file://')) this.root = fileURLToPath(uri);
    else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri))
      throw new WeirError('WEIR_HA', `high-availability.storageDir '${uri}': only local directories and file:// URIs are supported`);
    else this.root = uri;
  }

  /** The local path of `rel` below the storage directory. */
  path(...rel: string[]): string {
    return join(this.root, ...rel);
  }

  /** Writes atomically (temporary file, then rename), so a reader never sees half a file. */
  async write(rel: string, bytes: Uint8Array): Promise<string> {
    const p = this.path(rel);
    try {
      await mkdir(dirname(p), { recursive: true });
      const tmp = `${p}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, p);
    } catch (e) {
      throw new WeirError('WEIR_HA', `cannot write ${p} in high-availability.storageDir: ${(e as Error).message}`);
    }
    return p;
  }

  async read(rel: string): Promise<Buffer> {
    try {
      return await readFile(this.path(rel));
    } catch (e) {
      throw new WeirError('WEIR_HA', `cannot read ${this.path(rel)} in high-availability.storageDir: ${(e as Error).message}`);
    }
  }

  async remove(rel: string): Promise<void> {
    await rm(this.path(rel), { recursive: true, force: true });
  }

  async ensureDir(rel: string): Promise<string> {
    const p = this.path(rel);
    await mkdir(p, { recursive: true });
    return p;
  }
}
