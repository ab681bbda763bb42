/**
 * The blobs of HA jobs with a remote high-availability.storageDir (s3://...). The BlobServer keeps
 * its local temporary directory; the blobs a job's plan names (its bundle, its distributed cache
 * files) are copied to `<storageDir>/<cluster-id>/blobs/` before the plan is stored, so the plan
 * never names a blob the storage lacks. A new leader downloads them into its own BlobServer
 * directory before it starts the recovered job, and points the plan at those copies. Blobs are
 * content-addressed (`<sha256>.mjs` / `.blob`): one already there is not uploaded again.
 */
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename } from 'node:path';
import type { StorageDir } from '../../ha/index.js';
import { blobPath } from '../../runtime/blob/blob-server.js';
import type { JobSubmission } from '../../runtime/jobmanager/job-result.js';

/** The local blob files a plan names, with their names in the storage (bundle first). */
function blobsOf(sub: JobSubmission): { name: string; local: string }[] {
  const files = (sub.cachedFiles ?? []).map((f) => ({ name: basename(f.path), local: f.path }));
  return [{ name: basename(sub.bundle.path), local: sub.bundle.path }, ...files];
}

/** Copies the blobs of a job's plan to the storage (those not there yet). */
export async function uploadJobBlobs(storage: StorageDir, sub: JobSubmission): Promise<number> {
  let uploaded = 0;
  for (const b of blobsOf(sub)) {
    if (await storage.exists(b.name)) continue;
    await storage.upload(b.local, b.name);
    uploaded++;
  }
  return uploaded;
}

/**
 * Downloads the blobs of a recovered job's plan into `blobDir` (the BlobServer's directory, where
 * TaskManagers fetch them from) and returns the plan naming those local copies.
 */
export async function downloadJobBlobs(
  storage: StorageDir,
  sub: JobSubmission,
  blobDir: string,
): Promise<{ sub: JobSubmission; downloaded: number }> {
  let downloaded = 0;
  // Through a temporary file, so no half blob is ever found; one the BlobServer has is kept.
  const fetch = async (name: string, path: string): Promise<string> => {
    if (existsSync(path)) return path;
    const tmp = `${path}.${process.pid}.download`;
    await storage.download(name, tmp);
    await rename(tmp, path);
    downloaded++;
    return path;
  };
  const bundlePath = await fetch(basename(sub.bundle.path), blobPath(blobDir, sub.bundle.id, 'bundle'));
  const cachedFiles = [];
  for (const f of sub.cachedFiles ?? [])
    cachedFiles.push({ ...f, path: await fetch(basename(f.path), blobPath(blobDir, f.blobId, 'file')) });
  return { sub: { ...sub, bundle: { ...sub.bundle, path: bundlePath }, ...(sub.cachedFiles ? { cachedFiles } : {}) }, downloaded };
}
