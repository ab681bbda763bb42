/**
 * The options of the file systems (Flink's `s3.*` keys).
 * Kept beside the main table in options.ts, which spreads them in.
 */
import type { OptionSpec } from './options.js';

export const FILE_SYSTEM_OPTIONS = {
  's3.endpoint': {
    type: 'string',
    description:
      'Endpoint of the S3 service for s3:// locations (an S3-compatible store such as SeaweedFS, MinIO or Ceph: http://host:port). Not set: AWS S3 of s3.region.',
  },
  's3.access-key': {
    type: 'string',
    description: 'Access key id for s3:// locations. Not set: the AWS SDK default credential chain (environment, profile, instance role).',
  },
  's3.secret-key': {
    type: 'string',
    secret: true,
    description: 'Secret access key for s3:// locations (with s3.access-key).',
  },
  's3.path.style.access': {
    type: 'boolean',
    default: false,
    description:
      'Address buckets as http://endpoint/bucket/key instead of http://bucket.endpoint/key (most S3-compatible stores need true).',
  },
  's3.region': {
    type: 'string',
    default: 'us-east-1',
    description: 'Region of the S3 service (S3-compatible stores usually accept any).',
  },
  's3.entropy.key': {
    type: 'string',
    description:
      "A marker in execution.checkpointing.dir (e.g. '_entropy_') replaced by random characters in the paths of checkpoint state files and removed from the others (_metadata), spreading the files over S3's key space.",
  },
  's3.entropy.length': {
    type: 'integer',
    default: 4,
    min: 1,
    max: 64,
    description: 'Number of random characters that replace s3.entropy.key.',
  },
  's3.upload.min.part.size': {
    type: 'memory-size',
    default: '5 mb',
    min: 5 * 1024 * 1024,
    max: 5 * 1024 * 1024 * 1024,
    description:
      'Size of the parts of multipart uploads: files larger than this are uploaded in parts, several at once; FileSink part files on S3 upload a part each time this much is buffered.',
  },
  's3.upload.concurrency': {
    type: 'integer',
    default: 4,
    min: 1,
    max: 64,
    description: 'Parts of one multipart upload sent at once.',
  },
  's3.max-attempts': {
    type: 'integer',
    default: 5,
    min: 1,
    max: 100,
    description: 'Attempts of each S3 request (retries with exponential backoff on throttling, 5xx and network errors).',
  },
  's3.connection.timeout': {
    type: 'duration',
    default: '10 s',
    description: 'Time to establish a connection to the S3 service before the attempt fails (and is retried).',
  },
  's3.request.timeout': {
    type: 'duration',
    default: '60 s',
    description: 'Time a socket of an S3 request may stay idle before the attempt fails (and is retried).',
  },
} as const satisfies Record<string, OptionSpec>;
