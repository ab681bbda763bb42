/**
 * One interface over the file systems Weir writes to (Flink's FileSystem): the local one and S3.
 * Checkpoints, savepoints, the job archive, HA storage and the file connectors use it, so each
 * takes a plain path, a file:// URI or an s3:// URI wherever a location is configured.
 */

export interface FileStatus {
  /** The last segment of the path. */
  name: string;
  /** The full location. */
  path: string;
  isDir: boolean;
  size: number;
  /** Modification time, ms since epoch (0 where the file system has none for directories). */
  mtime: number;
}

export interface WriteOptions {
  /**
   * Replace any existing file only once the whole content is written (local: a temporary file,
   * synced, renamed; S3: objects appear whole by nature). Default true.
   */
  atomic?: boolean;
}

export interface FileSystem {
  readonly scheme: string;
  readFile(path: string): Promise<Buffer>;
  /** Reads `length` bytes from `offset` (fewer at the end of the file). */
  readRange(path: string, offset: number, length: number): Promise<Buffer>;
  writeFile(path: string, data: Uint8Array | string, options?: WriteOptions): Promise<void>;
  /** Copies a local file to `path` (large files in parts, uploaded concurrently on S3). */
  uploadFile(localPath: string, path: string): Promise<void>;
  /** Copies `path` to a local file. */
  downloadFile(path: string, localPath: string): Promise<void>;
  /** The file or directory at `path`; undefined when there is none. */
  stat(path: string): Promise<FileStatus | undefined>;
  /** The direct children of a directory (files and directories), sorted by name; [] when it does not exist. */
  list(dir: string): Promise<FileStatus[]>;
  /** Creates a directory and its parents (nothing on object stores, which have no directories). */
  mkdirs(dir: string): Promise<void>;
  /** Deletes a file, or with `recursive` a directory and everything under it; absent paths are fine. */
  delete(path: string, recursive?: boolean): Promise<void>;
  /** Copies a file or, with `recursive`, a directory tree; `filter` skips names. */
  copy(from: string, to: string, options?: { recursive?: boolean; filter?: (name: string) => boolean }): Promise<void>;
  /** Moves a file (an atomic rename locally; copy then delete on S3). */
  rename(from: string, to: string): Promise<void>;
}
