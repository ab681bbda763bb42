/**
 * high-availability.storageDir: the one module through which the HA services read and write it
 * (execution plans, blobs). Any file system location works (a local path, file://, s3://), as in
 * Flink: every access goes through getFileSystem. Writes are atomic on each file system (locally a
 * temporary file renamed into place; on S3 a PUT appears whole), so a reader never sees half a plan.
 */
import { WeirError } from '../errors.js';
import { canonicalLocation, getFileSystem, isRemote, joinPath, parentPath, type ConfigLookup, type FileSystem } from '../fs/index.js';

export class StorageDir {
  /** The location, canonical (a local absolute path, or a URI). */
  readonly root: string;
  private readonly fs: FileSystem;

  constructor(
    uri: string,
    /** The configuration whose s3.* options reach the storage (default: this process's). */
    private readonly config?: ConfigLookup | Record<string, unknown>,
  ) {
    try {
      this.root = canonicalLocation(uri);
      this.fs = getFileSystem(this.root, config);
    } catch (e) {
      throw new WeirError('WEIR_HA', `high-availability.storageDir '${uri}': ${(e as Error).message}`);
    }
  }

  /** On a remote file system (object store): nothing in it is a local path. */
  get remote(): boolean {
    return isRemote(this.root);
  }

  /** The location of `rel` below the storage directory. */
  path(...rel: string[]): string {
    return joinPath(this.root, ...rel);
  }

  /** A storage directory below this one (the same file system and settings). */
  sub(rel: string): StorageDir {
    return new StorageDir(this.path(rel), this.config);
  }

  /** Writes atomically, so a reader never sees half a file. Returns the file's location. */
  async write(rel: string, bytes: Uint8Array): Promise<string> {
    const p = this.path(rel);
    await this.io('write', p, async () => {
      await this.fs.mkdirs(parentPath(p));
      await this.fs.writeFile(p, bytes, { atomic: true });
    });
    return p;
  }

  read(rel: string): Promise<Buffer> {
    const p = this.path(rel);
    return this.io('read', p, () => this.fs.readFile(p));
  }

  async exists(rel: string): Promise<boolean> {
    const p = this.path(rel);
    return (await this.io('read', p, () => this.fs.stat(p))) !== undefined;
  }

  /** Copies a local file into the storage directory. */
  async upload(localPath: string, rel: string): Promise<void> {
    const p = this.path(rel);
    await this.io('write', p, async () => {
      await this.fs.mkdirs(parentPath(p));
      await this.fs.uploadFile(localPath, p);
    });
  }

  /** Copies a file of the storage directory to a local file. */
  async download(rel: string, localPath: string): Promise<void> {
    const p = this.path(rel);
    await this.io('read', p, () => this.fs.downloadFile(p, localPath));
  }

  async remove(rel: string): Promise<void> {
    const p = this.path(rel);
    await this.io('remove', p, () => this.fs.delete(p, true));
  }

  /** Creates the directory (nothing on object stores, which have none) and returns its location. */
  async ensureDir(rel: string): Promise<string> {
    const p = this.path(rel);
    await this.io('create', p, () => this.fs.mkdirs(p));
    return p;
  }

  private async io<T>(what: string, p: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw new WeirError('WEIR_HA', `cannot ${what} ${p} in high-availability.storageDir: ${(e as Error).message}`);
    }
  }
}
