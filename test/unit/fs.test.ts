/** src/fs: locations by scheme, path helpers that keep s3:// intact, entropy injection, S3 options, and the local file system. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  LocalFileSystem,
  S3FileSystem,
  baseName,
  canonicalLocation,
  entropyOf,
  getFileSystem,
  injectEntropy,
  joinPath,
  parentPath,
  removeEntropy,
  s3Options,
  splitBucketKey,
} from '../../src/fs/index.js';

test('a location picks its file system by scheme; unknown schemes are refused naming the location', () => {
  assert.ok(getFileSystem('/tmp/x') instanceof LocalFileSystem);
  assert.ok(getFileSystem('file:///tmp/x') instanceof LocalFileSystem);
  assert.ok(getFileSystem('s3://bucket/x', {}) instanceof S3FileSystem);
  assert.ok(getFileSystem('s3a://bucket/x', {}) instanceof S3FileSystem);
  assert.throws(
    () => getFileSystem('gs://bucket/x'),
    (e: Error & { code?: string }) => e.code === 'WEIR_CONFIG_BAD_VALUE' && /gs:\/\/bucket\/x.*'gs:\/\/'/.test(e.message),
  );
});

test('path helpers keep s3:// URIs intact and behave as node:path for local paths', () => {
  assert.equal(joinPath('s3://b/base', 'job', 'chk-1', '_metadata'), 's3://b/base/job/chk-1/_metadata');
  assert.equal(joinPath('s3://b', 'x/y'), 's3://b/x/y');
  assert.equal(joinPath('/tmp/a', 'b'), '/tmp/a/b');
  assert.equal(parentPath('s3://b/base/job'), 's3://b/base');
  assert.equal(parentPath('s3://b/x'), 's3://b');
  assert.equal(baseName('s3://b/base/job/'), 'job');
  assert.deepEqual(splitBucketKey('s3://b/a//c'), { bucket: 'b', key: 'a/c' });
  assert.equal(canonicalLocation('s3p://b//a/'), 's3://b/a');
  assert.equal(canonicalLocation('rel/dir'), path.resolve('rel/dir'));
});

test('entropy: the key is replaced by random characters in data file paths and removed from the others', () => {
  const get = (k: string): unknown => ({ 's3.entropy.key': '_entropy_', 's3.entropy.length': 6 })[k];
  const e = entropyOf('s3://b/_entropy_/cp', get)!;
  assert.deepEqual(e, { key: '_entropy_', length: 6 });
  assert.equal(entropyOf('/local/_entropy_/cp', get), undefined, 'only object stores get entropy');
  const a = injectEntropy('s3://b/_entropy_/cp/job/chk-1/f', e);
  const b = injectEntropy('s3://b/_entropy_/cp/job/chk-1/f', e);
  assert.match(a, /^s3:\/\/b\/[a-z0-9]{6}\/cp\/job\/chk-1\/f$/);
  assert.notEqual(a, b, 'random per file');
  assert.equal(removeEntropy('s3://b/_entropy_/cp/job', e), 's3://b/cp/job');
  assert.equal(removeEntropy('s3://b/cp/job', e), 's3://b/cp/job');
});

test("S3 options are Flink's keys, with strings as config.yaml writes them", () => {
  const o = s3Options(
    (k) =>
      ({
        's3.endpoint': 'http://127.0.0.1:9000',
        's3.access-key': 'ak',
        's3.secret-key': 'sk',
        's3.path.style.access': 'true',
        's3.upload.min.part.size': '8 mb',
        's3.connection.timeout': '2 s',
      })[k],
  );
  assert.equal(o.endpoint, 'http://127.0.0.1:9000');
  assert.equal(o.pathStyleAccess, true);
  assert.equal(o.region, 'us-east-1');
  assert.equal(o.minPartSize, 8 * 1024 * 1024);
  assert.equal(o.connectionTimeout, 2000);
  assert.equal(o.maxAttempts, 5);
  assert.equal(s3Options(() => undefined).minPartSize, 5 * 1024 * 1024, "S3's minimum part size");
});

test('the local file system: atomic writes, listing, ranged reads, recursive copy and delete', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-fs-'));
  try {
    const lfs = new LocalFileSystem();
    await lfs.mkdirs(path.join(dir, 'a', 'b'));
    await lfs.writeFile(path.join(dir, 'a', 'b', 'f.txt'), 'hello world');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'a', 'b')), ['f.txt'], 'no temporary file is left');
    assert.equal((await lfs.readRange(path.join(dir, 'a', 'b', 'f.txt'), 6, 100)).toString(), 'world');
    assert.deepEqual(
      (await lfs.list(`file://${dir}/a`)).map((f) => [f.name, f.isDir]),
      [['b', true]],
    );
    await lfs.copy(path.join(dir, 'a'), path.join(dir, 'c'), { recursive: true, filter: (n) => n !== 'skip' });
    assert.equal((await lfs.readFile(path.join(dir, 'c', 'b', 'f.txt'))).toString(), 'hello world');
    await lfs.delete(path.join(dir, 'a'), true);
    assert.equal(await lfs.stat(path.join(dir, 'a')), undefined);
    assert.deepEqual(await lfs.list(path.join(dir, 'missing')), []);
    await assert.rejects(lfs.writeFile(path.join(dir, 'gone', 'x'), 'x'), /ENOENT/, 'a write into a deleted directory fails');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
