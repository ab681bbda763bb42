/**
 * S3 and S3-compatible object stores (s3://bucket/key) through the AWS SDK v3. Objects appear
 * whole, so every write is atomic; "directories" are key prefixes ending in '/'. Large uploads
 * go in parts (multipart upload), several at once. The client retries throttling and transient
 * errors (`s3.max-attempts`) and bounds connection and request times.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat as localStat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type * as S3Sdk from '@aws-sdk/client-s3';
import { WeirError } from '../errors.js';
import type { FileStatus, FileSystem } from './file-system.js';
import { ensureDir } from './local-io.js';
import { baseName, joinPath, splitBucketKey } from './path.js';

const require = createRequire(import.meta.url);
let sdk: typeof S3Sdk | undefined;
/** The AWS SDK loads on first use (it takes a noticeable part of a second): processes that never touch s3:// don't pay. */
export function s3Sdk(): typeof S3Sdk {
  return (sdk ??= require('@aws-sdk/client-s3') as typeof S3Sdk);
}

export interface S3Options {
  endpoint?: string;
  accessKey?: string;
  secretKey?: string;
  pathStyleAccess: boolean;
  region: string;
  /** Uploads larger than this go in parts of this size (S3's minimum is 5 MiB). */
  minPartSize: number;
  /** Parts uploaded at once by one multipart upload. */
  uploadConcurrency: number;
  maxAttempts: number;
  connectionTimeout: number;
  requestTimeout: number;
}

/** Wraps an SDK error into a WeirError naming the operation and the location. */
export function s3Error(e: unknown, action: string, location: string): WeirError {
  if (e instanceof WeirError) return e;
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode;
  const hint =
    err.name === 'NoSuchBucket'
      ? ' (the bucket does not exist: create it first)'
      : status === 403 || err.name === 'InvalidAccessKeyId' || err.name === 'SignatureDoesNotMatch'
        ? ' (check s3.access-key and s3.secret-key)'
        : '';
  return new WeirError(
    'WEIR_IO',
    `S3: cannot ${action} ${location}: ${err.name ?? 'Error'}: ${err.message ?? String(e)}${hint}`,
    {},
    { cause: e },
  );
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
}

export class S3FileSystem implements FileSystem {
  readonly scheme = 's3';
  readonly client: S3Sdk.S3Client;

  constructor(readonly options: S3Options) {
    // The SDK release in the lockfile supports Node 20; its notice about later releases is not the user's concern.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new (s3Sdk().S3Client)({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.pathStyleAccess,
      ...(options.accessKey && options.secretKey
        ? { credentials: { accessKeyId: options.accessKey, secretAccessKey: options.secretKey } }
        : {}),
      maxAttempts: options.maxAttempts,
      requestHandler: { connectionTimeout: options.connectionTimeout, requestTimeout: options.requestTimeout },
      // Checksums only when the operation requires them: S3-compatible stores differ in what they accept.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async readFile(p: string): Promise<Buffer> {
    const { bucket, key } = splitBucketKey(p);
    try {
      const r = await this.client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
      throw s3Error(e, 'read', p);
    }
  }

  async readRange(p: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const { bucket, key } = splitBucketKey(p);
    try {
      const r = await this.client.send(
        new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }),
      );
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
      if ((e as { name?: string }).name === 'InvalidRange') return Buffer.alloc(0);
      throw s3Error(e, 'read', p);
    }
  }

  /** A readable stream of an object. */
  async stream(p: string): Promise<Readable> {
    const { bucket, key } = splitBucketKey(p);
    try {
      const r = await this.client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key }));
      return r.Body as Readable;
    } catch (e) {
      throw s3Error(e, 'read', p);
    }
  }

  async writeFile(p: string, data: Uint8Array | string): Promise<void> {
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (body.byteLength > this.options.minPartSize) {
      await this.multipart(p, body.byteLength, async (off, len) => Buffer.from(body.buffer, body.byteOffset + off, len));
      return;
    }
    const { bucket, key } = splitBucketKey(p);
    try {
      await this.client.send(new (s3Sdk().PutObjectCommand)({ Bucket: bucket, Key: key, Body: body }));
    } catch (e) {
      throw s3Error(e, 'write', p);
    }
  }

  async uploadFile(localPath: string, p: string): Promise<void> {
    const size = (await localStat(localPath)).size;
    if (size <= this.options.minPartSize) {
      const { bucket, key } = splitBucketKey(p);
      try {
        await this.client.send(
          new (s3Sdk().PutObjectCommand)({ Bucket: bucket, Key: key, Body: createReadStream(localPath), ContentLength: size }),
        );
      } catch (e) {
        throw s3Error(e, 'upload to', p);
      }
      return;
    }
    const fh = await open(localPath, 'r');
    try {
      await this.multipart(p, size, async (off, len) => {
        const buf = Buffer.alloc(len);
        await fh.read(buf, 0, len, off);
        return buf;
      });
    } finally {
      await fh.close();
    }
  }

  /** A multipart upload of `size` bytes read by `part`, `uploadConcurrency` parts at a time; aborted on failure. */
  private async multipart(p: string, size: number, part: (offset: number, length: number) => Promise<Buffer>): Promise<void> {
    const { bucket, key } = splitBucketKey(p);
    let uploadId: string | undefined;
    try {
      uploadId = (await this.client.send(new (s3Sdk().CreateMultipartUploadCommand)({ Bucket: bucket, Key: key }))).UploadId!;
      const partSize = this.options.minPartSize;
      const count = Math.ceil(size / partSize);
      const parts: S3Sdk.CompletedPart[] = new Array<S3Sdk.CompletedPart>(count);
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < count; i = next++) {
          const off = i * partSize;
          const body = await part(off, Math.min(partSize, size - off));
          const r = await this.client.send(
            new (s3Sdk().UploadPartCommand)({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body }),
          );
          parts[i] = { PartNumber: i + 1, ETag: r.ETag };
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.options.uploadConcurrency, count) }, worker));
      await this.client.send(
        new (s3Sdk().CompleteMultipartUploadCommand)({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (e) {
      if (uploadId !== undefined) {
        await this.client
          .send(new (s3Sdk().AbortMultipartUploadCommand)({ Bucket: bucket, Key: key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      throw s3Error(e, 'upload to', p);
    }
  }

  async downloadFile(p: string, localPath: string): Promise<void> {
    await ensureDir(path.dirname(localPath));
    await pipeline(await this.stream(p), createWriteStream(localPath));
  }

  async stat(p: string): Promise<FileStatus | undefined> {
    const { bucket, key } = splitBucketKey(p);
    if (key !== '') {
      try {
        const h = await this.client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: bucket, Key: key }));
        return { name: baseName(p), path: p, isDir: false, size: h.ContentLength ?? 0, mtime: h.LastModified?.getTime() ?? 0 };
      } catch (e) {
        if (!isNotFound(e)) throw s3Error(e, 'stat', p);
      }
    }
    const prefix = key === '' ? '' : `${key}/`;
    try {
      const r = await this.client.send(new (s3Sdk().ListObjectsV2Command)({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }));
      if ((r.KeyCount ?? 0) > 0 || key === '') return { name: baseName(p), path: p, isDir: true, size: 0, mtime: 0 };
    } catch (e) {
      throw s3Error(e, 'stat', p);
    }
    return undefined;
  }

  async list(dir: string): Promise<FileStatus[]> {
    const { bucket, key } = splitBucketKey(dir);
    const prefix = key === '' ? '' : `${key}/`;
    const out: FileStatus[] = [];
    let token: string | undefined;
    // Bounded: each page advances the continuation token; 100k pages is 100M keys.
    for (let page = 0; page < 100_000; page++) {
      let r;
      try {
        r = await this.client.send(
          new (s3Sdk().ListObjectsV2Command)({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
        );
      } catch (e) {
        if ((e as { name?: string }).name === 'NoSuchBucket') return [];
        throw s3Error(e, 'list', dir);
      }
      for (const cp of r.CommonPrefixes ?? []) {
        const name = cp.Prefix!.slice(prefix.length).replace(/\/$/, '');
        if (name) out.push({ name, path: joinPath(dir, name), isDir: true, size: 0, mtime: 0 });
      }
      for (const o of r.Contents ?? []) {
        const name = o.Key!.slice(prefix.length);
        if (name && !name.includes('/'))
          out.push({ name, path: joinPath(dir, name), isDir: false, size: o.Size ?? 0, mtime: o.LastModified?.getTime() ?? 0 });
      }
      if (!r.IsTruncated) break;
      token = r.NextContinuationToken;
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Every object key under a prefix (recursively), as locations. */
  async listRecursive(dir: string): Promise<FileStatus[]> {
    const { bucket, key } = splitBucketKey(dir);
    const prefix = key === '' ? '' : `${key}/`;
    const out: FileStatus[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      let r;
      try {
        r = await this.client.send(new (s3Sdk().ListObjectsV2Command)({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (e) {
        if ((e as { name?: string }).name === 'NoSuchBucket') return [];
        throw s3Error(e, 'list', dir);
      }
      for (const o of r.Contents ?? []) {
        const name = o.Key!.slice(prefix.length);
        out.push({ name, path: `s3://${bucket}/${o.Key!}`, isDir: false, size: o.Size ?? 0, mtime: o.LastModified?.getTime() ?? 0 });
      }
      if (!r.IsTruncated) break;
      token = r.NextContinuationToken;
    }
    return out;
  }

  async mkdirs(): Promise<void> {
    // Object stores have no directories: a prefix exists once an object is under it.
  }

  async delete(p: string, recursive = false): Promise<void> {
    const { bucket, key } = splitBucketKey(p);
    const keys = recursive ? (await this.listRecursive(p)).map((f) => splitBucketKey(f.path).key) : [];
    if (key !== '') keys.push(key);
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      try {
        await this.client.send(
          new (s3Sdk().DeleteObjectsCommand)({ Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }),
        );
      } catch (e) {
        if ((e as { name?: string }).name === 'NoSuchBucket') return;
        throw s3Error(e, 'delete', p);
      }
    }
  }

  async copy(from: string, to: string, options: { recursive?: boolean; filter?: (name: string) => boolean } = {}): Promise<void> {
    const files = options.recursive
      ? (await this.listRecursive(from)).filter((f) => !options.filter || f.name.split('/').every((n) => options.filter!(n)))
      : [{ name: '', path: from }];
    const dst = splitBucketKey(to);
    await Promise.all(
      files.map(async (f) => {
        const src = splitBucketKey(f.path);
        const key = f.name ? `${dst.key}/${f.name}` : dst.key;
        try {
          await this.client.send(
            new (s3Sdk().CopyObjectCommand)({
              Bucket: dst.bucket,
              Key: key,
              CopySource: `${src.bucket}/${encodeURIComponent(src.key).replace(/%2F/g, '/')}`,
            }),
          );
        } catch (e) {
          throw s3Error(e, 'copy to', `s3://${dst.bucket}/${key}`);
        }
      }),
    );
  }

  async rename(from: string, to: string): Promise<void> {
    await this.copy(from, to);
    await this.delete(from);
  }
}
