/**
 * A TaskManager's BlobCache (Flink's PermanentBlobCache): bundles and distributed cache files
 * fetched from the JobManager's BlobServer by id, chunk by chunk, written under the TaskManager's
 * own directory and kept only if their SHA-256 is the id they were asked for. Concurrent requests
 * for one blob share one download.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { WeirError } from '../../errors.js';
import { blobPath, isBlobId, type BlobKind } from './blob-server.js';

export type FetchChunk = (id: string, offset: number) => Promise<{ size: number; offset: number; data: Uint8Array }>;

/** Largest blob a cache accepts (a bundle is limited by rest.upload.max-size well below this). */
const MAX_BLOB_BYTES = 2 ** 31;

export class BlobCache {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly fetchChunk: FetchChunk,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** The local path of blob `id`, fetched first if it is not cached. */
  get(id: string, kind: BlobKind = 'bundle'): Promise<string> {
    if (!isBlobId(id)) return Promise.reject(new WeirError('WEIR_INTERNAL', `'${id.slice(0, 80)}' is not a blob id`));
    const path = blobPath(this.dir, id, kind);
    if (existsSync(path)) return Promise.resolve(path);
    const key = `${kind}:${id}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.download(id, path).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  /** Removes the cache directory (at TaskManager shutdown). */
  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async download(id: string, path: string): Promise<string> {
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    const hash = createHash('sha256');
    const fh = await open(tmp, 'w', 0o600);
    let ok = false;
    try {
      let offset = 0;
      let size = -1;
      while (size < 0 || offset < size) {
        const chunk = await this.fetchChunk(id, offset);
        if (size < 0) {
          size = chunk.size;
          if (size > MAX_BLOB_BYTES) throw new WeirError('WEIR_INTERNAL', `blob ${id} is too large (${size} bytes)`);
        }
        if (chunk.size !== size || chunk.offset !== offset || (chunk.data.byteLength === 0 && offset < size)) {
          throw new WeirError('WEIR_INTERNAL', `blob ${id}: the BlobServer sent an inconsistent chunk at offset ${offset}`);
        }
        if (offset + chunk.data.byteLength > size) throw new WeirError('WEIR_INTERNAL', `blob ${id}: more data than its size`);
        await fh.write(chunk.data, 0, chunk.data.byteLength, offset);
        hash.update(chunk.data);
        offset += chunk.data.byteLength;
      }
      const actual = hash.digest('hex');
      if (actual !== id) throw new WeirError('WEIR_INTERNAL', `blob ${id} arrived corrupted (its SHA-256 is ${actual})`);
      ok = true;
    } finally {
      await fh.close();
      if (!ok) await rm(tmp, { force: true });
    }
    await rename(tmp, path);
    return path;
  }
}
