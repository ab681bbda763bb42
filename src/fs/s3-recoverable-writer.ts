/**
 * Flink's S3 RecoverableWriter: a file written as a multipart upload, whose parts are uploaded
 * while records come in and which becomes visible only when the upload is completed (commit). The
 * committable (upload id and part ETags) is plain data kept in a checkpoint, so after a crash the
 * upload is completed from the checkpoint, or aborted when no completed checkpoint refers to it.
 */
import { s3Error, s3Sdk, type S3FileSystem } from './s3.js';
import { splitBucketKey } from './path.js';

/** A closed multipart upload, ready to be completed: what a checkpoint keeps. */
export interface S3Committable {
  target: string;
  uploadId: string;
  parts: { n: number; etag: string }[];
}

/** A pending (never completed) multipart upload found under a prefix. */
export interface PendingUpload {
  target: string;
  uploadId: string;
}

export class S3RecoverableWriter {
  constructor(private readonly fs: S3FileSystem) {}

  /** Starts a multipart upload that will become `target`. */
  async open(target: string): Promise<S3MultipartStream> {
    const { bucket, key } = splitBucketKey(target);
    try {
      const r = await this.fs.client.send(new (s3Sdk().CreateMultipartUploadCommand)({ Bucket: bucket, Key: key }));
      return new S3MultipartStream(this.fs, target, r.UploadId!);
    } catch (e) {
      throw s3Error(e, 'start an upload to', target);
    }
  }

  /** Completes the upload; idempotent: an upload already completed (its object exists) is fine. */
  async commit(c: S3Committable): Promise<void> {
    const { bucket, key } = splitBucketKey(c.target);
    try {
      await this.fs.client.send(
        new (s3Sdk().CompleteMultipartUploadCommand)({
          Bucket: bucket,
          Key: key,
          UploadId: c.uploadId,
          MultipartUpload: { Parts: c.parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
        }),
      );
    } catch (e) {
      if ((e as { name?: string }).name === 'NoSuchUpload') {
        const exists = await this.fs.client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: bucket, Key: key })).then(
          () => true,
          () => false,
        );
        if (exists) return;
      }
      throw s3Error(e, 'commit', c.target);
    }
  }

  /** Aborts a pending upload (its parts are deleted); an upload already gone is fine. */
  async abort(u: PendingUpload): Promise<void> {
    const { bucket, key } = splitBucketKey(u.target);
    try {
      await this.fs.client.send(new (s3Sdk().AbortMultipartUploadCommand)({ Bucket: bucket, Key: key, UploadId: u.uploadId }));
    } catch (e) {
      if ((e as { name?: string }).name !== 'NoSuchUpload') throw s3Error(e, 'abort the upload to', u.target);
    }
  }

  /** The pending multipart uploads whose key starts with `prefix` (an s3:// location). */
  async pending(prefix: string): Promise<PendingUpload[]> {
    const { bucket, key } = splitBucketKey(prefix);
    const out: PendingUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      let r;
      try {
        r = await this.fs.client.send(
          new (s3Sdk().ListMultipartUploadsCommand)({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
      } catch (e) {
        throw s3Error(e, 'list the pending uploads under', prefix);
      }
      for (const u of r.Uploads ?? []) out.push({ target: `s3://${bucket}/${u.Key!}`, uploadId: u.UploadId! });
      if (!r.IsTruncated) break;
      keyMarker = r.NextKeyMarker;
      uploadIdMarker = r.NextUploadIdMarker;
    }
    return out;
  }
}

/**
 * The open file: bytes are buffered and uploaded as a part each time `s3.upload.min.part.size` is
 * buffered, one part in flight at a time (a write waits while one is, which backpressures the task).
 */
export class S3MultipartStream {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly parts: { n: number; etag: string }[] = [];
  private inflight: Promise<void> | undefined;
  private error: unknown;
  position = 0;

  constructor(
    private readonly fs: S3FileSystem,
    readonly target: string,
    readonly uploadId: string,
  ) {}

  get failed(): boolean {
    return this.error !== undefined;
  }

  write(data: string | Uint8Array): void | Promise<void> {
    if (this.error !== undefined) throw this.error;
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    this.chunks.push(b);
    this.buffered += b.length;
    this.position += b.length;
    if (this.buffered < this.fs.options.minPartSize) return;
    if (!this.inflight) {
      this.startPart();
      return;
    }
    return this.inflight.then(() => {
      if (this.error !== undefined) throw this.error;
      if (!this.inflight && this.buffered >= this.fs.options.minPartSize) this.startPart();
    });
  }

  /** Uploads what is buffered as the last part and returns what completes the upload. */
  async closeForCommit(): Promise<S3Committable> {
    if (this.inflight) await this.inflight;
    if (this.error !== undefined) throw this.error;
    if (this.buffered > 0 || this.parts.length === 0) {
      this.startPart();
      await this.inflight;
      if (this.error !== undefined) throw this.error;
    }
    return { target: this.target, uploadId: this.uploadId, parts: [...this.parts] };
  }

  /** Stops writing; the pending upload stays until it is aborted (a later attempt does it). */
  async close(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    if (this.inflight) await this.inflight.catch(() => undefined);
  }

  private startPart(): void {
    const body = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    const n = this.parts.length + 1;
    const { bucket, key } = splitBucketKey(this.target);
    this.inflight = this.fs.client
      .send(new (s3Sdk().UploadPartCommand)({ Bucket: bucket, Key: key, UploadId: this.uploadId, PartNumber: n, Body: body }))
      .then(
        (r) => {
          this.parts.push({ n, etag: r.ETag! });
          this.inflight = undefined;
        },
        (e: unknown) => {
          this.inflight = undefined;
          this.error = s3Error(e, 'upload a part of', this.target);
        },
      );
  }
}
