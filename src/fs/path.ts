/**
 * Paths of every file system as strings: a local path stays a plain absolute path (as Weir always
 * wrote it), any other file system is a URI `<scheme>://<authority>/<key>` (s3://bucket/a/b).
 * node:path would collapse `s3://` to `s3:/`, so code that builds locations that may be remote
 * uses these helpers.
 */
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';

const URI = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i;

/** The scheme of a location: 'file' for plain paths and file:// URIs, else the URI's scheme (lower case). */
export function schemeOf(location: string): string {
  const m = URI.exec(location);
  if (!m) return location.startsWith('file:') ? 'file' : 'file';
  return m[1]!.toLowerCase();
}

/** Whether the location is on a remote file system (a URI whose scheme is not file). */
export function isRemote(location: string): boolean {
  return schemeOf(location) !== 'file';
}

/**
 * A configured location in canonical form: file:// URIs and relative paths become absolute local
 * paths; remote URIs lose trailing slashes and repeated slashes in the key.
 */
export function normalizeLocation(location: string): string {
  if (location.startsWith('file:')) return fileURLToPath(location.startsWith('file://') ? location : `file://${location.slice(5)}`);
  const m = URI.exec(location);
  if (!m) return nodePath.resolve(location);
  const [authority, ...rest] = m[2]!.split('/');
  const key = rest.filter((p) => p !== '' && p !== '.').join('/');
  return `${m[1]!.toLowerCase()}://${authority}${key ? `/${key}` : ''}`;
}

/** Joins path segments onto a location (posix for URIs). */
export function joinPath(base: string, ...parts: string[]): string {
  if (!isRemote(base)) return nodePath.join(base, ...parts);
  const tail = parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p !== '' && p !== '.')
    .join('/');
  if (!tail) return base;
  return base.endsWith('/') ? `${base}${tail}` : `${base}/${tail}`;
}

/** The parent location (a bucket root is its own parent). */
export function parentPath(location: string): string {
  if (!isRemote(location)) return nodePath.dirname(location);
  const m = URI.exec(location)!;
  const [authority, ...rest] = m[2]!.split('/').filter((p, i) => i === 0 || p !== '');
  rest.pop();
  return `${m[1]}://${authority}${rest.length ? `/${rest.join('/')}` : ''}`;
}

/** The last segment of a location. */
export function baseName(location: string): string {
  if (!isRemote(location)) return nodePath.basename(location);
  const parts = location.split('/').filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}

/** Whether `location` is an absolute location (a URI or an absolute local path). */
export function isAbsoluteLocation(location: string): boolean {
  return URI.test(location) || nodePath.isAbsolute(location);
}

/** Splits s3://bucket/key into its bucket and key ('' for the bucket root). */
export function splitBucketKey(location: string): { bucket: string; key: string } {
  const m = URI.exec(location);
  if (!m) throw new Error(`not a URI: ${location}`);
  const i = m[2]!.indexOf('/');
  const bucket = i < 0 ? m[2]! : m[2]!.slice(0, i);
  const key = i < 0 ? '' : m[2]!.slice(i + 1).replace(/\/+/g, '/');
  return { bucket, key };
}
