/**
 * Program bundles uploaded through the REST API (Flink's jars): stored content-addressed as
 * `<sha256>.mjs` under the blob directory, never under a name the user chose. The name given at
 * upload is kept only for display, in a `<sha256>.json` beside the bundle. The directory may be
 * shared with the BlobServer, which stores bundles under the same names.
 */
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundleInfo } from './api.js';

const BUNDLE_FILE = /^([0-9a-f]{64})\.mjs$/;
const BUNDLE_ID = /^[0-9a-f]{64}$/;

export interface StoredBundle {
  info: BundleInfo;
  path: string;
}

/** A display name: printable characters only, at most 200 of them. */
export function displayName(name: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean.slice(0, 200) || 'bundle.mjs';
}

export class BundleStore {
  private readonly bundles = new Map<string, BundleInfo>();

  constructor(readonly dir: string) {}

  /** Creates the directory and lists the bundles already in it (a restarted JobManager keeps them). */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const f of await readdir(this.dir)) {
      const id = BUNDLE_FILE.exec(f)?.[1];
      if (!id) continue;
      const s = await stat(join(this.dir, f));
      let meta: Partial<BundleInfo> = {};
      try {
        meta = JSON.parse(await readFile(join(this.dir, `${id}.json`), 'utf8')) as Partial<BundleInfo>;
      } catch {
        // no or unreadable metadata: the bundle is still usable
      }
      this.bundles.set(id, {
        id,
        name: displayName(typeof meta.name === 'string' ? meta.name : undefined),
        uploaded: typeof meta.uploaded === 'number' ? meta.uploaded : Math.round(s.mtimeMs),
        size: s.size,
      });
    }
  }

  /** Stores the bytes under their SHA-256; storing the same bytes again changes nothing. */
  async put(bytes: Buffer, name: string | undefined): Promise<BundleInfo> {
    const id = createHash('sha256').update(bytes).digest('hex');
    const known = this.bundles.get(id);
    if (known) return known;
    const path = this.pathOf(id);
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    const info: BundleInfo = { id, name: displayName(name), uploaded: Date.now(), size: bytes.length };
    await writeFile(join(this.dir, `${id}.json`), JSON.stringify({ name: info.name, uploaded: info.uploaded }), { mode: 0o600 });
    this.bundles.set(id, info);
    return info;
  }

  /** A stored bundle; also one another writer of the directory (the BlobServer) put there since init. */
  get(id: string): StoredBundle | undefined {
    if (!BUNDLE_ID.test(id)) return undefined;
    const path = this.pathOf(id);
    let info = this.bundles.get(id);
    if (!info) {
      const s = statSync(path, { throwIfNoEntry: false });
      if (!s?.isFile()) return undefined;
      info = { id, name: `${id}.mjs`, uploaded: Math.round(s.mtimeMs), size: s.size };
      this.bundles.set(id, info);
    }
    return { info, path };
  }

  list(): BundleInfo[] {
    return [...this.bundles.values()].sort((a, b) => b.uploaded - a.uploaded);
  }

  private pathOf(id: string): string {
    return join(this.dir, `${id}.mjs`);
  }
}
