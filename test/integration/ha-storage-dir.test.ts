/**
 * StorageDir, the HA services' access to high-availability.storageDir, on real S3 (SeaweedFS) and
 * on the local file system: write (atomic), read, exists, upload/download, remove; errors name the
 * location with WEIR_HA. And the blob mirror of a remote storageDir: a plan's bundle and cached
 * files uploaded once, downloaded into another BlobServer with the plan pointing at the copies.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { downloadJobBlobs, uploadJobBlobs } from '../../src/cluster/standalone/ha-blobs.js';
import { getFileSystem } from '../../src/fs/index.js';
import { StorageDir } from '../../src/ha/index.js';
import { BlobServer } from '../../src/runtime/blob/blob-server.js';
import type { JobSubmission } from '../../src/runtime/jobmanager/job-result.js';
import { startSeaweedS3, type SeaweedS3 } from '../helpers/services/seaweedfs.js';

const BUCKET = 'weir-ha-storage';
let s3: SeaweedS3;
const dir = mkdtempSync(join(tmpdir(), 'weir-ha-storage-'));

before(async () => {
  s3 = await startSeaweedS3();
  await s3.createBucket(BUCKET);
});
after(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('StorageDir on S3: write, read, exists, upload, download, remove', async () => {
  const root = new StorageDir(`s3://${BUCKET}/ha/`, s3.config);
  assert.equal(root.remote, true);
  assert.equal(root.root, `s3://${BUCKET}/ha`);
  const storage = root.sub('cluster-1');
  const loc = await storage.write('execution-plans/job.json', Buffer.from('{"plan":1}'));
  assert.equal(loc, `s3://${BUCKET}/ha/cluster-1/execution-plans/job.json`);
  assert.equal((await getFileSystem(loc, s3.config).readFile(loc)).toString(), '{"plan":1}', 'an object in the bucket');
  assert.equal((await storage.read('execution-plans/job.json')).toString(), '{"plan":1}');
  // Overwriting replaces the object whole.
  await storage.write('execution-plans/job.json', Buffer.from('{"plan":2}'));
  assert.equal((await storage.read('execution-plans/job.json')).toString(), '{"plan":2}');
  assert.equal(await storage.exists('execution-plans/job.json'), true);

  const local = join(dir, 'bundle.mjs');
  writeFileSync(local, 'export default 1;\n');
  await storage.upload(local, 'blobs/abc.mjs');
  await storage.download('blobs/abc.mjs', join(dir, 'copy.mjs'));
  assert.equal(readFileSync(join(dir, 'copy.mjs'), 'utf8'), 'export default 1;\n');

  await storage.remove('execution-plans/job.json');
  assert.equal(await storage.exists('execution-plans/job.json'), false);
  await storage.remove('execution-plans/job.json'); // absent is fine
  await assert.rejects(storage.read('execution-plans/job.json'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'WEIR_HA');
    assert.match(e.message, new RegExp(`s3://${BUCKET}/ha/cluster-1/execution-plans/job.json`));
    return true;
  });
});

test('StorageDir on S3: a missing bucket fails with WEIR_HA naming the location', async () => {
  const storage = new StorageDir('s3://weir-no-such-bucket/ha', s3.config);
  await assert.rejects(storage.read('x.json'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'WEIR_HA');
    assert.match(e.message, /cannot read s3:\/\/weir-no-such-bucket\/ha\/x\.json in high-availability\.storageDir/);
    return true;
  });
});

test('StorageDir locally (path and file:// URI): atomic write leaves no temporary file; an unknown scheme is refused', async () => {
  for (const uri of [join(dir, 'plain'), `file://${join(dir, 'uri')}`]) {
    const storage = new StorageDir(uri);
    assert.equal(storage.remote, false);
    const p = await storage.write('execution-plans/job.json', Buffer.from('{}'));
    assert.equal(p, join(storage.root, 'execution-plans', 'job.json'));
    assert.deepEqual(readdirSync(join(storage.root, 'execution-plans')), ['job.json']);
    assert.equal((await storage.read('execution-plans/job.json')).toString(), '{}');
    await storage.remove('execution-plans/job.json');
    assert.equal(await storage.exists('execution-plans/job.json'), false);
  }
  assert.throws(
    () => new StorageDir('hdfs://namenode/ha'),
    (e: Error & { code?: string }) => e.code === 'WEIR_HA' && /hdfs:\/\/namenode\/ha/.test(e.message),
  );
});

test('blobs of a plan on S3: uploaded once (content-addressed), downloaded into another BlobServer with the plan rewritten', async () => {
  const storage = new StorageDir(`s3://${BUCKET}/ha/cluster-2`, s3.config).sub('blobs');
  const [dirA, dirB] = [join(dir, 'blobs-a'), join(dir, 'blobs-b')];
  mkdirSync(dirA);
  mkdirSync(dirB);
  const a = new BlobServer(dirA);
  const bundle = await a.put(Buffer.from('export default 42;\n'));
  const file = await a.put(Buffer.from('cached bytes'), 'file');
  const sub = {
    jobId: 'a'.repeat(32),
    bundle: { id: bundle.id, path: bundle.path },
    cachedFiles: [{ name: 'words', blobId: file.id, executable: false, directory: false, fileName: 'words.txt', path: file.path }],
  } as unknown as JobSubmission;
  assert.equal(await uploadJobBlobs(storage, sub), 2);
  assert.equal(await uploadJobBlobs(storage, sub), 0, 'blobs already in the storage are not uploaded again');
  const got = await downloadJobBlobs(storage, sub, dirB);
  assert.equal(got.downloaded, 2);
  assert.equal(got.sub.bundle.path, join(dirB, `${bundle.id}.mjs`));
  assert.equal(readFileSync(got.sub.bundle.path, 'utf8'), 'export default 42;\n');
  assert.equal(got.sub.cachedFiles![0]!.path, join(dirB, `${file.id}.blob`));
  assert.equal(readFileSync(got.sub.cachedFiles![0]!.path, 'utf8'), 'cached bytes');
  assert.deepEqual(readdirSync(dirB).sort(), [`${bundle.id}.mjs`, `${file.id}.blob`].sort(), 'no temporary file left');
  assert.equal((await downloadJobBlobs(storage, sub, dirB)).downloaded, 0, 'blobs the BlobServer has are kept');
});
