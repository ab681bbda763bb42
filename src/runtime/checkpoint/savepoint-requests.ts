/**
 * Savepoints asked for (Flink's asynchronous operations: GET /jobs/:id/savepoints/:triggerId): their
 * statuses by trigger id, and the copy of a completed checkpoint to the savepoint directory.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, cp, rename } from 'node:fs/promises';
import path from 'node:path';
import { METADATA_FILE, resolveCheckpointBaseDir } from './storage.js';

/** A savepoint asked for. */
export interface SavepointStatus {
  triggerId: string;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** The savepoint directory, once completed. */
  location?: string;
  failure?: string;
  /** The checkpoint id it was taken as, once triggered. */
  checkpointId?: number;
}

export interface SavepointOptions {
  /** Stop-with-savepoint: no periodic checkpoint is triggered after it. */
  stop?: boolean;
  /** Stop with --drain: the sources emit MAX_WATERMARK before its barrier. */
  drain?: boolean;
  onDone?: (s: SavepointStatus) => void;
}

export interface SavepointRequest {
  status: SavepointStatus;
  /** The directory that receives `savepoint-<jobid6>-<random>/`, absolute. */
  targetDir: string;
  stop: boolean;
  drain: boolean;
  onDone?: (s: SavepointStatus) => void;
}

export class SavepointRequests {
  private readonly statuses = new Map<string, SavepointStatus>();

  create(targetDir: string, opts: SavepointOptions): SavepointRequest {
    const triggerId = randomBytes(16).toString('hex');
    const status: SavepointStatus = { triggerId, status: 'IN_PROGRESS' };
    this.statuses.set(triggerId, status);
    const r: SavepointRequest = {
      status,
      targetDir: resolveCheckpointBaseDir(targetDir),
      stop: opts.stop === true,
      drain: opts.stop === true && opts.drain === true,
    };
    if (opts.onDone) r.onDone = opts.onDone;
    return r;
  }

  status(triggerId: string): SavepointStatus | undefined {
    const s = this.statuses.get(triggerId);
    return s ? { ...s } : undefined;
  }
}

/**
 * Settles a request: COMPLETED at `location`, else FAILED with `failure`. Returns false when it
 * had already settled.
 */
export function settleSavepoint(r: SavepointRequest, location: string | undefined, failure?: string): boolean {
  if (r.status.status !== 'IN_PROGRESS') return false;
  if (location !== undefined) {
    r.status.status = 'COMPLETED';
    r.status.location = location;
  } else {
    r.status.status = 'FAILED';
    r.status.failure = `savepoint failed: ${failure ?? 'unknown reason'}`;
  }
  return true;
}

/** Copies a completed checkpoint to the savepoint directory, `_metadata` last (temporary name, rename). */
export async function copyToSavepoint(r: SavepointRequest, jobId: string, checkpointDir: string): Promise<string> {
  const dir = path.join(r.targetDir, `savepoint-${jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`);
  await cp(checkpointDir, dir, {
    recursive: true,
    errorOnExist: true,
    force: false,
    filter: (src) => path.basename(src) !== METADATA_FILE && !path.basename(src).startsWith(`.${METADATA_FILE}`),
  });
  const tmp = path.join(dir, `.${METADATA_FILE}.${process.pid}.tmp`);
  await copyFile(path.join(checkpointDir, METADATA_FILE), tmp);
  await rename(tmp, path.join(dir, METADATA_FILE));
  return dir;
}
