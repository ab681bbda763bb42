/**
 * Savepoints asked for (Flink's asynchronous operations: GET /jobs/:id/savepoints/:triggerId): their
 * statuses by trigger id, and the copy of a completed checkpoint to the savepoint directory.
 */
import { randomBytes } from 'node:crypto';
import { baseName, getFileSystem, isAbsoluteLocation, joinPath } from '../../fs/index.js';
import { METADATA_FILE, packState, resolveCheckpointBaseDir, unpackState, type CheckpointMetadata } from './storage.js';

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

/**
 * Copies a completed checkpoint to the savepoint directory (on any file system), `_metadata` last.
 * State files the metadata names by absolute location (entropy injection) are copied in too and
 * named relatively, so a savepoint is self-contained and outlives the checkpoint.
 */
export async function copyToSavepoint(r: SavepointRequest, jobId: string, checkpointDir: string): Promise<string> {
  const dir = joinPath(r.targetDir, `savepoint-${jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`);
  const src = getFileSystem(checkpointDir);
  const dst = getFileSystem(dir);
  const metadata = unpackState<CheckpointMetadata>(await src.readFile(joinPath(checkpointDir, METADATA_FILE)));
  await dst.mkdirs(dir);
  if (src === dst) {
    await src.copy(checkpointDir, dir, {
      recursive: true,
      filter: (name) => name !== METADATA_FILE && !name.startsWith(`.${METADATA_FILE}`),
    });
  } else {
    for (const f of await src.list(checkpointDir)) {
      if (!f.isDir && f.name !== METADATA_FILE && !f.name.startsWith(`.${METADATA_FILE}`))
        await dst.writeFile(joinPath(dir, f.name), await src.readFile(f.path));
    }
  }
  for (const op of Object.values(metadata.operators)) {
    for (let i = 0; i < op.files.length; i++) {
      const f = op.files[i];
      if (f === null || f === undefined || !isAbsoluteLocation(f)) continue;
      const name = baseName(f);
      if (src === dst) await src.copy(f, joinPath(dir, name));
      else await dst.writeFile(joinPath(dir, name), await src.readFile(f));
      op.files[i] = name;
    }
  }
  await dst.writeFile(joinPath(dir, METADATA_FILE), packState(metadata), { atomic: true });
  return dir;
}
