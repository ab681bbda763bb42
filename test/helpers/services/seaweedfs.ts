process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
/**
 * A real S3-compatible server for the tests: SeaweedFS (`weed server -s3`: master, volume server,
 * filer and S3 gateway in one process) on free loopback ports, with an access/secret key pair,
 * built by test/services/seaweedfs.sh from its Go module.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../ports.js';
import { SERVICES_CACHE, ensureInstalled, startServer, type ServerProcess } from './server-process.js';

export const WEED = join(SERVICES_CACHE, 'bin', 'weed');

export interface SeaweedS3 {
  server: ServerProcess;
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** The s3.* options of Weir that reach this server. */
  config: Record<string, string>;
  client: S3Client;
  /** Creates a bucket (idempotent). */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Several distinct free ports (freePort may hand the same one twice in a row). */
async function ports(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let guard = 0; out.length < n && guard < 100; guard++) {
    const p = await freePort();
    if (!out.includes(p)) out.push(p);
  }
  if (out.length < n) throw new Error('no free ports for SeaweedFS');
  return out;
}

export async function startSeaweedS3(): Promise<SeaweedS3> {
  await ensureInstalled('seaweedfs', () => existsSync(WEED));
  const [master, volume, filer, s3, masterGrpc, volumeGrpc, filerGrpc, s3Grpc] = await ports(8);
  const accessKey = 'weir-test-access';
  const secretKey = 'weir-test-secret-0123456789';
  const endpoint = `http://127.0.0.1:${s3}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    maxAttempts: 1,
  });
  const server = await startServer({
    name: 'seaweedfs',
    command: WEED,
    args: (dir) => {
      const s3Config = join(dir, 's3.json');
      writeFileSync(
        s3Config,
        JSON.stringify({
          identities: [{ name: 'weir', credentials: [{ accessKey, secretKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }],
        }),
      );
      return [
        'server',
        `-dir=${dir}`,
        '-ip=127.0.0.1',
        '-ip.bind=127.0.0.1',
        `-master.port=${master}`,
        `-master.port.grpc=${masterGrpc}`,
        `-volume.port=${volume}`,
        `-volume.port.grpc=${volumeGrpc}`,
        `-filer.port=${filer}`,
        `-filer.port.grpc=${filerGrpc}`,
        '-s3',
        `-s3.port=${s3}`,
        `-s3.port.grpc=${s3Grpc}`,
        // Only the S3 gateway: no Iceberg or Lance catalogs, no telemetry.
        '-s3.port.iceberg=0',
        '-s3.port.lance=0',
        '-master.telemetry=false',
        `-s3.config=${s3Config}`,
        '-master.volumeSizeLimitMB=64',
        '-volume.max=0',
      ];
    },
    ready: async () => {
      await client.send(new ListBucketsCommand({}));
      return true;
    },
    readyMs: 60_000,
  });
  return {
    server,
    endpoint,
    accessKey,
    secretKey,
    client,
    config: {
      's3.endpoint': endpoint,
      's3.access-key': accessKey,
      's3.secret-key': secretKey,
      's3.path.style.access': 'true',
    },
    async createBucket(name: string) {
      await client.send(new CreateBucketCommand({ Bucket: name })).catch((e: { name?: string }) => {
        if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
      });
    },
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}
