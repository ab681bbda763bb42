/**
 * The BlobServer of a JobManager (Flink's BlobServer): program bundles stored content-addressed,
 * as `<dir>/<sha256>.mjs`, so a bundle is stored once however often it is submitted and no path
 * ever comes from a user. Distributed cache files are blobs too, stored as `<dir>/<sha256>.blob`
 * (so they are never listed as bundles). TaskManagers fetch blobs by id over their RPC connection,
 * in chunks (see rpc-server.ts), into their BlobCache.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WeirError } from '../../errors.js';
import { BLOB_CHUNK_BYTES } from '../rpc/protocol.js';

export interface StoredBlob {
  /** SHA-256 of the content, hex. */
  id: string;
  path: string;
  size: number;
}

const BLOB_ID = /^[0-9a-f]{64}$/;

export function isBlobId(id: string): boolean {
  return BLOB_ID.test(id);
}

/** A program bundle (an ES module) or any other content (a distributed cache file). */
export type BlobKind = 'bundle' | 'file';

/** Where a blob with this id is stored under `dir`. */
export function blobPath(dir: string, id: string, kind: BlobKind = 'bundle'): string {
  if (!isBlobId(id)) throw new WeirError('WEIR_INTERNAL', `'${id.slice(0, 80)}' is not a blob id (64 hex digits)`);
  return join(dir, `${id}${kind === 'bundle' ? '.mjs' : '.blob'}`);
}

export class BlobServer {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Stores `data` (once: an existing blob with the same content is kept). */
  async put(data: Uint8Array, kind: BlobKind = 'bundle'): Promise<StoredBlob> {
    const id = createHash('sha256').update(data).digest('hex');
    const path = blobPath(this.dir, id, kind);
    if (!existsSync(path)) {
      const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, data, { mode: 0o600 });
      await rename(tmp, path);
    }
    return { id, path, size: data.byteLength };
  }

  /** Stores a file's content, e.g. a bundle the client wrote. */
  async putFile(file: string): Promise<StoredBlob> {
    return this.put(await readFile(file));
  }

  has(id: string, kind?: BlobKind): boolean {
    if (!isBlobId(id)) return false;
    return kind ? existsSync(blobPath(this.dir, id, kind)) : this.find(id) !== undefined;
  }

  path(id: string, kind: BlobKind = 'bundle'): string {
    return blobPath(this.dir, id, kind);
  }

  /** Where blob `id` is, whatever its kind (the id is the content's hash: either copy is the same bytes). */
  private find(id: string): string | undefined {
    for (const kind of ['bundle', 'file'] as const) {
      const p = blobPath(this.dir, id, kind);
      if (existsSync(p)) return p;
    }
    return undefined;
  }

  /** Up to `max` bytes of the blob from `offset`, and the blob's size. */
  async read(id: string, offset: number, max = BLOB_CHUNK_BYTES): Promise<{ size: number; data: Uint8Array }> {
    const path = isBlobId(id) ? this.find(id) : undefined;
    if (!path) throw new WeirError('WEIR_INTERNAL', `no blob ${id} in the BlobServer`);
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const n = Math.max(0, Math.min(max, size - offset));
      const data = Buffer.alloc(n);
      if (n > 0) await fh.read(data, 0, n, offset);
      return { size, data };
    } finally {
      await fh.close();
    }
  }

  async delete(id: string, kind: BlobKind = 'bundle'): Promise<void> {
    await rm(blobPath(this.dir, id, kind), { force: true });
  }
}
