/**
 * Distributed cache files on their way to the tasks: directories pack deterministically and unpack
 * with their files and modes; an archive with an escaping path is refused; a BlobServer keeps
 * cached files apart from bundles and serves both kinds to a BlobCache; a TaskManager's copies of
 * a job attempt keep the file names and the executable flag.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BlobCache } from '../../src/runtime/blob/blob-cache.js';
import { BlobServer } from '../../src/runtime/blob/blob-server.js';
import {
  materializeCachedFiles,
  packDirectory,
  resolveCachedFiles,
  storeCachedFiles,
  unpackDirectory,
} from '../../src/runtime/blob/cached-files.js';

function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-cached-files-test-'));
  return f(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('a directory packs deterministically and unpacks with its files and modes', () =>
  withDir(async (dir) => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'b', 'c'), { recursive: true });
    mkdirSync(join(src, 'empty'));
    writeFileSync(join(src, 'a.txt'), 'alpha');
    writeFileSync(join(src, 'b', 'c', 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    const packed = await packDirectory(src);
    assert.deepEqual(await packDirectory(src), packed, 'same content, same bytes (same blob id)');
    const out = join(dir, 'out');
    await unpackDirectory(packed, out);
    assert.equal(readFileSync(join(out, 'a.txt'), 'utf8'), 'alpha');
    assert.equal(readFileSync(join(out, 'b', 'c', 'run.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.ok(statSync(join(out, 'b', 'c', 'run.sh')).mode & 0o100, 'the executable bit survives');
    assert.ok(statSync(join(out, 'empty')).isDirectory());
  }));

test('an archive whose entry escapes the target directory is refused', () =>
  withDir(async (dir) => {
    const header = Buffer.from(JSON.stringify([{ path: '../evil.txt', dir: false, mode: 0o644, size: 4 }]));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(header.length);
    const archive = Buffer.concat([Buffer.from('WEIRDIR1'), len, header, Buffer.from('evil')]);
    await assert.rejects(unpackDirectory(archive, join(dir, 'out')), /WEIR_CACHED_FILE|unsafe entry path/);
    assert.throws(() => statSync(join(dir, 'evil.txt')));
    await assert.rejects(unpackDirectory(Buffer.from('not an archive'), join(dir, 'out2')), /bad magic/);
  }));

test('cached files are stored as blobs apart from bundles, fetched into a BlobCache and copied per job attempt', () =>
  withDir(async (dir) => {
    writeFileSync(join(dir, 'dict.txt'), 'one=un\n');
    mkdirSync(join(dir, 'words'));
    writeFileSync(join(dir, 'words', 'w.txt'), 'the\n');
    const resolved = await resolveCachedFiles(
      [
        { name: 'dict', path: 'dict.txt', executable: true },
        { name: 'words', path: join(dir, 'words'), executable: false },
      ],
      dir,
    );
    assert.deepEqual(
      resolved.map((f) => [f.name, f.path, f.directory]),
      [
        ['dict', join(dir, 'dict.txt'), false],
        ['words', join(dir, 'words'), true],
      ],
    );
    await assert.rejects(
      resolveCachedFiles([{ name: 'gone', path: 'gone.txt', executable: false }], dir),
      (e: Error) => e.message.includes(join(dir, 'gone.txt')) && e.message.includes("'gone'"),
    );

    const server = new BlobServer(join(dir, 'server'));
    const stored = await storeCachedFiles(resolved, (bytes) => server.put(bytes, 'file'));
    const dictId = createHash('sha256').update('one=un\n').digest('hex');
    assert.equal(stored[0]!.blobId, dictId);
    assert.ok(stored[0]!.path.endsWith(`${dictId}.blob`), 'never stored under a name the user chose');
    assert.ok(server.has(dictId, 'file') && !server.has(dictId, 'bundle'));

    const cache = new BlobCache(join(dir, 'cache'), async (id, offset) => ({ offset, ...(await server.read(id, offset)) }));
    const fetched = await Promise.all(stored.map(async (f) => ({ ...f, path: await cache.get(f.blobId, 'file') })));
    const copies = await materializeCachedFiles(fetched, join(dir, 'job-0'));
    assert.equal(copies.dict, join(dir, 'job-0', '0', 'dict.txt'));
    assert.equal(readFileSync(copies.dict!, 'utf8'), 'one=un\n');
    assert.ok(statSync(copies.dict!).mode & 0o100, 'registered as executable');
    assert.equal(readFileSync(join(copies.words!, 'w.txt'), 'utf8'), 'the\n');
  }));
