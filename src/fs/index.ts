/**
 * The file system of a location, chosen by its URI scheme (Flink's FileSystem.get): plain paths
 * and file:// are local, s3:// is S3 (`s3a://` and `s3p://`, Flink's names for its two S3
 * plugins, are taken as s3://). S3 settings come from the `s3.*` options of the configuration the
 * process (or, in a slot, the job) runs with: `configureFileSystems()` sets them, or a caller
 * passes a configuration of its own.
 */
import { parseDuration, parseMemorySize } from '../config/configuration.js';
import { WeirError } from '../errors.js';
import type { FileSystem } from './file-system.js';
import { LocalFileSystem } from './local.js';
import { normalizeLocation, schemeOf } from './path.js';
import { S3FileSystem, type S3Options } from './s3.js';

export type { FileStatus, FileSystem, WriteOptions } from './file-system.js';
export { LocalFileSystem } from './local.js';
export { S3FileSystem, type S3Options } from './s3.js';
export { ensureDir, fileIoError } from './local-io.js';
export { baseName, isAbsoluteLocation, isRemote, joinPath, normalizeLocation, parentPath, schemeOf, splitBucketKey } from './path.js';
export { entropyOf, injectEntropy, removeEntropy, type Entropy } from './entropy.js';

/** Reads a configuration value by key (a Configuration's get, or a plain record's). */
export type ConfigLookup = (key: string) => unknown;

const local = new LocalFileSystem();
const s3Clients = new Map<string, S3FileSystem>();
let processConfig: ConfigLookup = () => undefined;

/** Sets the configuration whose `s3.*` options this process's S3 file system uses by default. */
export function configureFileSystems(config: ConfigLookup | Record<string, unknown>): void {
  processConfig = toLookup(config);
}

function toLookup(config: ConfigLookup | Record<string, unknown>): ConfigLookup {
  return typeof config === 'function' ? config : (k) => config[k];
}

const MiB = 1024 * 1024;

/** The S3 options of a configuration (Flink's keys; durations in ms, sizes in bytes). */
export function s3Options(get: ConfigLookup): S3Options {
  const str = (k: string): string | undefined => {
    const v = get(k);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const num = (k: string, d: number): number => {
    const v = get(k);
    if (v === undefined || v === null || v === '') return d;
    const n = typeof v === 'number' ? v : (parseDuration(String(v)) ?? parseMemorySize(String(v)) ?? Number(v));
    return Number.isFinite(n) ? n : d;
  };
  const pathStyle = get('s3.path.style.access');
  return {
    endpoint: str('s3.endpoint'),
    accessKey: str('s3.access-key'),
    secretKey: str('s3.secret-key'),
    pathStyleAccess: pathStyle === true || pathStyle === 'true',
    region: str('s3.region') ?? 'us-east-1',
    minPartSize: Math.max(5 * MiB, num('s3.upload.min.part.size', 5 * MiB)),
    uploadConcurrency: Math.max(1, num('s3.upload.concurrency', 4)),
    maxAttempts: Math.max(1, num('s3.max-attempts', 5)),
    connectionTimeout: num('s3.connection.timeout', 10_000),
    requestTimeout: num('s3.request.timeout', 60_000),
  };
}

/** The file system of `location`; `config` overrides the process's configuration for S3 settings. */
export function getFileSystem(location: string, config?: ConfigLookup | Record<string, unknown>): FileSystem {
  const scheme = schemeOf(location);
  if (scheme === 'file') return local;
  if (scheme === 's3' || scheme === 's3a' || scheme === 's3p') return s3FileSystem(config ? toLookup(config) : processConfig);
  throw new WeirError(
    'WEIR_CONFIG_BAD_VALUE',
    `'${location}': no file system for the scheme '${scheme}://' (supported: plain paths, file://, s3://)`,
  );
}

/** An S3 file system for a configuration; one client per distinct endpoint and credentials. */
export function s3FileSystem(get: ConfigLookup = processConfig): S3FileSystem {
  const o = s3Options(get);
  const id = JSON.stringify(o);
  let fs = s3Clients.get(id);
  if (!fs) s3Clients.set(id, (fs = new S3FileSystem(o)));
  return fs;
}

/** A configured location in canonical form (s3a:// and s3p:// become s3://). */
export function canonicalLocation(location: string): string {
  return normalizeLocation(location).replace(/^s3[ap]:\/\//i, 's3://');
}

/** The option keys of the file systems, which a TaskManager hands to its slot threads. */
export const FILE_SYSTEM_KEYS = [
  's3.endpoint',
  's3.access-key',
  's3.secret-key',
  's3.path.style.access',
  's3.region',
  's3.entropy.key',
  's3.entropy.length',
  's3.upload.min.part.size',
  's3.upload.concurrency',
  's3.max-attempts',
  's3.connection.timeout',
  's3.request.timeout',
] as const;

/** The file system settings of this process (for worker threads, which configure themselves with them). */
export function fileSystemSettings(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of FILE_SYSTEM_KEYS) {
    const v = processConfig(k);
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

/** The configuration this process's file systems use (for entropy settings and the like). */
export function fileSystemConfig(): ConfigLookup {
  return processConfig;
}
export { S3RecoverableWriter, S3MultipartStream, type S3Committable, type PendingUpload } from './s3-recoverable-writer.js';
