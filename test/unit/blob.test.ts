/**
 * BlobServer and BlobCache: content-addressed storage, chunked fetches of blobs larger than one
 * chunk, and a corrupted transfer is refused and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BlobCache } from '../../src/runtime/blob/blob-cache.js';
import { BlobServer } from '../../src/runtime/blob/blob-server.js';

test('a blob of several chunks is stored once, fetched in chunks and verified', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-blob-test-'));
  try {
    const server = new BlobServer(join(dir, 'server'));
    const data = randomBytes(3 * 1024 * 1024 + 123);
    const stored = await server.put(data);
    assert.equal(stored.id, createHash('sha256').update(data).digest('hex'));
    assert.deepEqual(await server.put(data), stored, 'storing the same content again changes nothing');
    let fetches = 0;
    const cache = new BlobCache(join(dir, 'cache'), async (id, offset) => {
      fetches++;
      return { offset, ...(await server.read(id, offset)) };
    });
    const [p1, p2] = await Promise.all([cache.get(stored.id), cache.get(stored.id)]);
    assert.equal(p1, p2);
    assert.equal(fetches, 4, 'one download of four 1 MiB chunks, shared by both requests');
    assert.ok(readFileSync(p1).equals(data));
    assert.equal(await cache.get(stored.id), p1);
    assert.equal(fetches, 4, 'cached');
    await assert.rejects(cache.get('../../etc/passwd'), /not a blob id/);
    await assert.rejects(server.read('0'.repeat(64), 0), /no blob/);

    // A transfer that delivers other bytes than the blob's.
    const bad = new BlobCache(join(dir, 'bad'), async (id, offset) => {
      const chunk = await server.read(id, offset);
      const copy = Buffer.from(chunk.data);
      copy[0] = copy[0]! ^ 1;
      return { offset, size: chunk.size, data: copy };
    });
    await assert.rejects(bad.get(stored.id), /arrived corrupted/);
    assert.deepEqual(readdirSync(join(dir, 'bad')), [], 'no file is left behind');
    await cache.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
