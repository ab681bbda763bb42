/**
 * The file connectors driven directly through test/helpers/source-harness.ts: FileSource reads
 * directories and large files exactly and resumes from snapshots; FileSink writes in-progress files
 * and renames them, and fails clearly (WEIR_IO naming the path and cause) where it cannot write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSink, FileSource } from '../../src/connectors/file/index.js';
import { WeirError } from '../../src/errors.js';
import { drain, harness, tmpDir, withTimeout } from '../helpers/source-harness.js';

function writeInputDir(): { dir: string; expected: string[] } {
  const dir = tmpDir();
  fs.mkdirSync(path.join(dir, 'sub'));
  // Multi-byte characters (2, 3 and 4 bytes) so small chunks split them.
  fs.writeFileSync(path.join(dir, 'a.txt'), 'héllo wörld\n€uro 𝄞 clef\r\nlast line no newline ñ');
  fs.writeFileSync(path.join(dir, 'b.txt'), '');
  fs.writeFileSync(path.join(dir, 'sub', 'c.txt'), '\ufeffbom first\n\nafter empty\r\n');
  fs.writeFileSync(path.join(dir, '.hidden'), 'skip me\n');
  fs.writeFileSync(path.join(dir, '_SUCCESS'), 'skip me too\n');
  fs.mkdirSync(path.join(dir, '.git'));
  fs.writeFileSync(path.join(dir, '.git', 'x.txt'), 'skip\n');
  const expected = ['héllo wörld', '€uro 𝄞 clef', 'last line no newline ñ', 'bom first', '', 'after empty'];
  return { dir, expected };
}

test('FileSource reads a directory in name order, whatever the chunk size', async () => {
  const { dir, expected } = writeInputDir();
  for (const chunkSize of [1, 2, 3, 5, 7, 16, 1024]) {
    const outs = await (await harness(FileSource.lines(dir, { chunkSize }), 1)).run();
    assert.deepEqual(outs[0], expected, `chunkSize ${chunkSize}`);
  }
  const outs = await (await harness(FileSource.lines(dir, { chunkSize: 4 }), 3)).run();
  assert.deepEqual(outs.flat().sort(), expected.slice().sort());
});

test('FileSource reads a large file with exact lines', async () => {
  const dir = tmpDir();
  const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'ü'.repeat(i % 13)}`);
  const file = path.join(dir, 'big.txt');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const [out] = await (await harness(FileSource.lines(file, { chunkSize: 4096 }), 1)).run();
  assert.deepEqual(out, lines);
});

test('FileSource resolves relative paths and reports a missing path', async () => {
  const src = FileSource.lines('some/relative/dir');
  assert.equal(src.path, path.resolve(process.cwd(), 'some/relative/dir'));
  assert.equal(src.describe(), `FileSource(${src.path})`);
  const missing = path.join(tmpDir(), 'nope');
  const s = FileSource.lines(missing);
  assert.throws(
    () => s.validate(),
    (e: unknown) =>
      e instanceof WeirError &&
      e.code === 'WEIR_INPUT_NOT_FOUND' &&
      e.message.includes(missing) &&
      e.message.includes('FileSource.lines()'),
  );
  // Not validated: the enumerator fails the same way.
  await assert.rejects(
    async () => (await harness(s, 1)).run(),
    (e: unknown) => e instanceof WeirError && e.code === 'WEIR_INPUT_NOT_FOUND',
  );
});

test('FileSource snapshot mid-file resumes exactly where it stopped', async () => {
  const dir = tmpDir();
  const lines = Array.from({ length: 3000 }, (_, i) => `${i}: ${'ß€'.repeat(i % 5)}`);
  fs.writeFileSync(path.join(dir, '1.txt'), lines.slice(0, 2000).join('\r\n') + '\r\n');
  fs.writeFileSync(path.join(dir, '2.txt'), lines.slice(2000).join('\n'));
  const h = await harness(FileSource.lines(dir, { chunkSize: 333 }), 1);
  const first: string[] = [];
  await drain(h.readers[0]!, first, 1234);
  const snapshot = h.readers[0]!.snapshotState(7);
  const split = snapshot[0]!;
  assert.equal(split.line, first.length);
  const expectedOffset = Buffer.byteLength(
    lines
      .slice(0, first.length)
      .map((l) => l + '\r\n')
      .join(''),
  );
  assert.equal(split.offset, expectedOffset);
  await h.readers[0]!.close();

  const h2 = await harness(FileSource.lines(dir, { chunkSize: 333 }), 1, [snapshot], h.enumerator.snapshotState(7));
  const [rest] = await h2.run();
  assert.deepEqual([...first, ...rest!], lines);
});

test('FileSink writes JSON lines to an in-progress file and renames it at end of input', async () => {
  const dir = path.join(tmpDir(), 'out', 'nested');
  const sink = FileSink.jsonLines<{ word: string; n: number }>(dir);
  assert.equal(sink.outputLocation(), dir);
  assert.equal(sink.describe(), `FileSink(${dir})`);
  const writer = await sink.createWriter({ subtaskIndex: 1, parallelism: 2, jobId: 'j', attempt: 0 });
  const records = Array.from({ length: 50_000 }, (_, i) => ({ word: `w${i}`, n: i }));
  let promises = 0;
  for (const r of records) {
    const p = writer.write(r, undefined);
    if (p) {
      promises++;
      await p;
    }
  }
  assert.ok(promises < records.length / 100, `write() returned ${promises} promises`);
  await writer.flush(false);
  assert.deepEqual(fs.readdirSync(dir), ['.part-1-0.jsonl.inprogress']);
  await writer.flush(true);
  await writer.close();
  assert.deepEqual(fs.readdirSync(dir), ['part-1-0.jsonl']);
  const lines = fs.readFileSync(path.join(dir, 'part-1-0.jsonl'), 'utf8').split('\n');
  assert.equal(lines.pop(), '');
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)),
    records,
  );

  // close() without flush(true) also finalizes; a writer that got nothing leaves no file.
  const w2 = await sink.createWriter({ subtaskIndex: 0, parallelism: 2, jobId: 'j', attempt: 3 });
  await w2.write({ word: 'x', n: 1 }, undefined);
  await w2.close();
  const w3 = await sink.createWriter({ subtaskIndex: 2, parallelism: 3, jobId: 'j', attempt: 0 });
  await w3.close();
  assert.deepEqual(fs.readdirSync(dir).sort(), ['part-0-3.jsonl', 'part-1-0.jsonl']);
  assert.equal(fs.readFileSync(path.join(dir, 'part-0-3.jsonl'), 'utf8'), '{"word":"x","n":1}\n');
});

async function writerFailure(dir: string, checkpointing = false): Promise<WeirError> {
  const sink = FileSink.jsonLines(dir);
  const err = await withTimeout(
    sink.createWriter({ subtaskIndex: 0, parallelism: 1, jobId: 'j', attempt: 0, checkpointing }).then(
      async (w) => {
        // A directory that could be made but not written to fails at the first write.
        await w.write({ a: 1 }, undefined);
        await w.flush(true);
        await w.close();
        return undefined;
      },
      (e: unknown) => e,
    ),
    10_000,
    `createWriter(${dir})`,
  );
  assert.ok(err instanceof WeirError, `a WeirError for ${dir}, got ${String(err)}`);
  return err;
}

test('FileSink under /proc fails quickly with WEIR_IO instead of spinning in mkdir', async () => {
  const err = await writerFailure('/proc/weir-test/out');
  assert.equal(err.code, 'WEIR_IO');
  assert.match(err.message, /\/proc\/weir-test/);
  assert.match(err.message, /regular file system/);
});

test('FileSink under a file fails with WEIR_IO naming the path', async () => {
  const file = path.join(tmpDir(), 'a-file');
  fs.writeFileSync(file, 'x');
  const err = await writerFailure(path.join(file, 'out'));
  assert.equal(err.code, 'WEIR_IO');
  assert.match(err.message, /a-file/);
  assert.match(err.message, /not a directory|ENOTDIR/);
});

test('FileSink through a dangling symbolic link fails with WEIR_IO naming the path', async () => {
  const dir = tmpDir();
  fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
  const err = await writerFailure(path.join(dir, 'dangling', 'out'));
  assert.equal(err.code, 'WEIR_IO');
  assert.match(err.message, /dangling/);
});

test('FileSink on a read-only file system fails with WEIR_IO naming EROFS', async (t) => {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-ro-'));
  const { spawnSync } = await import('node:child_process');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt]).status === 0;
  if (!mounted) {
    fs.rmdirSync(mnt);
    t.skip('cannot mount a read-only tmpfs here (not root?)');
    return;
  }
  try {
    for (const [dir, checkpointing] of [
      [mnt, false],
      [path.join(mnt, 'sub', 'dir'), false],
      [mnt, true],
    ] as const) {
      const err = await writerFailure(dir, checkpointing);
      assert.equal(err.code, 'WEIR_IO', `${dir}: ${err.message}`);
      assert.match(err.message, /EROFS|read-only/, dir);
      assert.ok(err.message.includes(mnt), err.message);
    }
  } finally {
    spawnSync('umount', [mnt]);
    fs.rmdirSync(mnt);
  }
});

test('FileSink on a full disk fails with WEIR_IO naming ENOSPC and the file', async (t) => {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-full-'));
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status !== 0) {
    fs.rmdirSync(mnt);
    t.skip('cannot mount a small tmpfs here (not root?)');
    return;
  }
  try {
    const writer = await FileSink.jsonLines(mnt).createWriter({ subtaskIndex: 0, parallelism: 1, jobId: 'j', attempt: 0 });
    const record = { pad: 'x'.repeat(1000) };
    const err = await withTimeout(
      (async () => {
        try {
          for (let i = 0; i < 1000; i++) await writer.write(record, undefined);
          await writer.flush(true);
          await writer.close();
        } catch (e) {
          return e;
        }
        return undefined;
      })(),
      10_000,
      'writing 1 MB to a 64 kB file system',
    );
    assert.ok(err instanceof WeirError, String(err));
    assert.equal(err.code, 'WEIR_IO');
    assert.match(err.message, /ENOSPC/);
    assert.match(err.message, /disk is full/);
    assert.ok(err.message.includes(mnt), err.message);
  } finally {
    // Lazily: the failed writer may still hold its file open.
    spawnSync('umount', ['-l', mnt]);
    fs.rmdirSync(mnt);
  }
});
