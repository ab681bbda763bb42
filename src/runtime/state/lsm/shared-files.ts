/**
 * Which shared files an lsm backend's next incremental checkpoint may refer to without uploading
 * them again (Flink's SharedStateRegistry, seen from one backend): those of the latest checkpoint
 * known complete that every checkpoint taken since refers to as well, so no retained checkpoint can
 * lose them while they are in use (the coordinator deletes a shared file only once no retained
 * checkpoint refers to it).
 */
import { getFileSystem, joinPath } from '../../../fs/index.js';
import type { SharedStateFiles } from '../keyed-state-backend.js';

/** A checkpoint this backend took part in, until it is confirmed or aborted. */
interface TakenCheckpoint {
  /** The shared files it was allowed to refer to without uploading them (empty for a canonical snapshot). */
  reusable: ReadonlySet<string>;
  /** Its incremental upload and where it went, if it was one. */
  upload?: Promise<SharedStateFiles>;
  dir?: string;
  /** Every file it refers to, once uploaded. */
  files?: string[];
}

export class SharedFileRegistry {
  private confirmed = new Set<string>();
  private readonly taken = new Map<number, TakenCheckpoint>();

  /** An incremental checkpoint: `upload` gets the files it may refer to without uploading them. */
  incremental(
    checkpointId: number,
    dir: string,
    upload: (reusable: ReadonlySet<string>) => Promise<SharedStateFiles>,
  ): Promise<SharedStateFiles> {
    const reusable = new Set(this.confirmed);
    const taken: TakenCheckpoint = { reusable, dir };
    const p = upload(reusable).then((r) => {
      taken.files = r.files;
      return r;
    });
    taken.upload = p;
    this.taken.set(checkpointId, taken);
    return p;
  }

  /** A canonical snapshot refers to no shared file: once it completes the older ones may go. */
  canonical(checkpointId: number): void {
    this.confirmed = new Set();
    this.taken.set(checkpointId, { reusable: this.confirmed });
  }

  /** Restored from files of this job's own shared directory: the next checkpoint may refer to them. */
  restored(files: readonly string[]): void {
    this.confirmed = new Set(files);
  }

  /**
   * The files the next incremental checkpoint may refer to become the completed checkpoint's, less
   * any a checkpoint taken since does not refer to (it may complete and make the coordinator delete them).
   */
  complete(checkpointId: number): void {
    const rec = this.taken.get(checkpointId);
    if (rec === undefined) return;
    const next = new Set(rec.files ?? []);
    for (const [id, later] of this.taken) if (id > checkpointId) for (const f of next) if (!later.reusable.has(f)) next.delete(f);
    this.confirmed = next;
    for (const id of [...this.taken.keys()]) if (id <= checkpointId) this.taken.delete(id);
  }

  /** The files an aborted checkpoint uploaded (under names of their own) are deleted. */
  aborted(checkpointId: number): void {
    const rec = this.taken.get(checkpointId);
    if (rec === undefined) return;
    this.taken.delete(checkpointId);
    const { upload, dir } = rec;
    if (upload === undefined || dir === undefined) return;
    upload.then((r) => Promise.all(r.uploaded.map((f) => getFileSystem(dir).delete(joinPath(dir, f))))).catch(() => undefined);
  }
}
