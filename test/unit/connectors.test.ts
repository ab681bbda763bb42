/**
 * Built-in connectors driven directly: a fake coordinator answers split requests (asynchronously,
 * as over RPC) and each reader is polled until END_OF_INPUT, bounded in polls and time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ReaderOutput, Source, SourceReader, SourceSplit, SplitEnumerator } from '../../src/api/source.js';
import { CollectionSource, NumberSequenceSource } from '../../src/connectors/collection/index.js';
import { DataGeneratorSource } from '../../src/connectors/datagen/index.js';
import { FileSink, FileSource } from '../../src/connectors/file/index.js';
import { SocketTextSource } from '../../src/connectors/socket/index.js';
import { WeirError } from '../../src/errors.js';
import { restoredWriterStates } from '../../src/connectors/base/index.js';

const MAX_POLLS = 100_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

interface Harness<T, S extends SourceSplit> {
  enumerator: SplitEnumerator<S, unknown>;
  readers: SourceReader<T, S>[];
  outputs: T[][];
  /** Polls every reader until it ends; resolves with the records of each reader. */
  run(timeoutMs?: number): Promise<T[][]>;
}

/** Wires an enumerator and `parallelism` readers through a fake coordinator with asynchronous delivery. */
async function harness<T, S extends SourceSplit>(
  source: Source<T, S, unknown>,
  parallelism: number,
  restoredReaderSplits?: S[][],
  restoredEnum?: unknown,
): Promise<Harness<T, S>> {
  const readers: SourceReader<T, S>[] = [];
  const registered: number[] = [];
  const enumerator = source.createEnumerator(
    {
      currentParallelism: () => parallelism,
      registeredReaders: () => registered.slice(),
      assignSplit: (split, subtask) => setImmediate(() => readers[subtask]!.addSplits([structuredClone(split)])),
      signalNoMoreSplits: (subtask) => setImmediate(() => readers[subtask]!.notifyNoMoreSplits()),
    },
    restoredEnum,
  );
  await enumerator.start();
  for (let i = 0; i < parallelism; i++) {
    const reader = source.createReader({
      subtaskIndex: i,
      parallelism,
      sendSplitRequest: () => setImmediate(() => enumerator.handleSplitRequest(i)),
    });
    readers.push(reader);
    const restored = restoredReaderSplits?.[i];
    if (restored?.length) reader.addSplits(restored.map((s) => structuredClone(s)));
    registered.push(i);
    enumerator.addReader(i);
    await reader.start();
  }
  const outputs: T[][] = readers.map(() => []);
  return {
    enumerator,
    readers,
    outputs,
    async run(timeoutMs = 10_000) {
      await withTimeout(Promise.all(readers.map((r, i) => drain(r, outputs[i]!))), timeoutMs, 'source did not end');
      return outputs;
    },
  };
}

async function drain<T>(reader: SourceReader<T, SourceSplit>, out: T[], stopAfter = Infinity): Promise<void> {
  const output: ReaderOutput<T> = { collect: (r) => void out.push(r) };
  for (let polls = 0; polls < MAX_POLLS; polls++) {
    if (out.length >= stopAfter) return;
    const status = reader.pollNext(output);
    if (status === 'END_OF_INPUT') return;
    if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
  }
  throw new Error(`reader did not end within ${MAX_POLLS} polls`);
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'weir-connectors-'));
}

test('CollectionSource emits the items in order from one reader', async () => {
  const items = Array.from({ length: 1300 }, (_, i) => ({ i, s: `item-${i}` }));
  const source = new CollectionSource(items);
  assert.equal(source.fixedParallelism, 1);
  assert.equal(source.boundedness, 'BOUNDED');
  const h = await harness(source, 1);
  const [out] = await h.run();
  assert.deepEqual(out, items);
  assert.deepEqual(await (await harness(new CollectionSource<number>([]), 1)).run(), [[]]);
});

test('CollectionSource resumes from a mid-split snapshot', async () => {
  const items = Array.from({ length: 2000 }, (_, i) => i);
  const h = await harness(new CollectionSource(items), 1);
  const first: number[] = [];
  await drain(h.readers[0]!, first, 600);
  const snapshot = h.readers[0]!.snapshotState(1);
  assert.equal(snapshot.length, 1);
  const h2 = await harness(new CollectionSource(items), 1, [snapshot], h.enumerator.snapshotState(1));
  const [rest] = await h2.run();
  assert.deepEqual([...first, ...rest!], items);
});

for (const parallelism of [1, 2, 3]) {
  test(`NumberSequenceSource covers the range with no gaps or duplicates (parallelism ${parallelism})`, async () => {
    const h = await harness(new NumberSequenceSource(-5, 10_000), parallelism);
    const outs = await h.run();
    const all = outs.flat().sort((a, b) => a - b);
    assert.equal(all.length, 10_006);
    all.forEach((n, i) => assert.equal(n, i - 5));
    for (const out of outs)
      for (let i = 1; i < out.length; i++)
        if (out[i]! !== out[i - 1]! + 1) assert.ok(out[i]! > out[i - 1]!, 'each split is emitted in order');
    if (parallelism > 1)
      assert.ok(
        outs.every((o) => o.length > 0),
        'every reader got work',
      );
  });
}

test('NumberSequenceSource: a single number, and a snapshot of every reader resumes exactly', async () => {
  assert.deepEqual((await (await harness(new NumberSequenceSource(7, 7), 2)).run()).flat(), [7]);
  assert.throws(() => new NumberSequenceSource(3, 1), WeirError);

  const h = await harness(new NumberSequenceSource(1, 5000), 2);
  const firsts: number[][] = [[], []];
  await Promise.all(h.readers.map((r, i) => drain(r, firsts[i]!, 700)));
  const readerState = h.readers.map((r) => r.snapshotState(1));
  const enumState = h.enumerator.snapshotState(1);
  const h2 = await harness(new NumberSequenceSource(1, 5000), 2, readerState, enumState);
  const rest = await h2.run();
  const all = [...firsts.flat(), ...rest.flat()].sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 5000 }, (_, i) => i + 1),
  );
});

test('DataGeneratorSource is deterministic across parallelisms', async () => {
  const gen = (i: number) => ({ id: i, name: `user-${i % 7}` });
  const expected = Array.from({ length: 3001 }, (_, i) => gen(i));
  for (const p of [1, 3]) {
    const outs = await (await harness(new DataGeneratorSource(gen, 3001), p)).run();
    assert.deepEqual(
      outs.flat().sort((a, b) => a.id - b.id),
      expected,
    );
  }
  const unbounded = new DataGeneratorSource((i) => i, Infinity);
  assert.equal(unbounded.boundedness, 'CONTINUOUS_UNBOUNDED');
  const h = await harness(unbounded, 2);
  const outs: number[][] = [[], []];
  await Promise.all(h.readers.map((r, i) => drain(r, outs[i]!, 1000)));
  // Strided: together the readers cover a prefix of the indexes.
  const seen = new Set(outs.flat());
  for (let i = 0; i < 1000; i++) assert.ok(seen.has(i), `index ${i} generated`);
  for (const r of h.readers) await r.close();
});

test('DataGeneratorSource honours the rate limit with timers', async () => {
  // 300 records at 1000/s over 2 readers takes ~300 ms; no burst of the whole count at once.
  const source = new DataGeneratorSource((i) => i, 300, { ratePerSecond: 1000 });
  const h = await harness(source, 2);
  const t0 = performance.now();
  const outs = await h.run();
  const elapsed = performance.now() - t0;
  assert.equal(outs.flat().length, 300);
  assert.ok(elapsed >= 200, `took ${elapsed.toFixed(0)} ms, expected >= 200 ms`);
  assert.ok(elapsed < 3000, `took ${elapsed.toFixed(0)} ms`);
});

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

test('SocketTextSource emits lines until the server closes the connection', async () => {
  const server = net.createServer((conn) => {
    // Split a multi-byte character and a CRLF across writes.
    const payload = Buffer.from('first\r\nsecond line ü\nthird€\nno newline at end');
    conn.write(payload.subarray(0, 6));
    setTimeout(() => {
      conn.write(payload.subarray(6, 21));
      setTimeout(() => conn.end(payload.subarray(21)), 10);
    }, 10);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const source = new SocketTextSource('127.0.0.1', port);
    assert.equal(source.fixedParallelism, 1);
    assert.equal(source.boundedness, 'CONTINUOUS_UNBOUNDED');
    const [out] = await (await harness(source, 1)).run();
    assert.deepEqual(out, ['first', 'second line ü', 'third€', 'no newline at end']);
  } finally {
    server.close();
  }
});

test('SocketTextSource with a custom delimiter', async () => {
  const server = net.createServer((conn) => conn.end('a;b;;c;'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const [out] = await (await harness(new SocketTextSource('127.0.0.1', port, ';'), 1)).run();
    assert.deepEqual(out, ['a', 'b', '', 'c']);
  } finally {
    server.close();
  }
});

test('SocketTextSource pauses a fast server and loses nothing', async () => {
  const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i}`);
  const server = net.createServer((conn) => conn.end(lines.join('\n') + '\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const [out] = await (await harness(new SocketTextSource('127.0.0.1', port), 1)).run();
    assert.equal(out!.length, lines.length);
    assert.deepEqual(out, lines);
  } finally {
    server.close();
  }
});

test('SocketTextSource fails clearly when the connection is refused', async () => {
  // A port that was just free: listen, note it, close.
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  const h = await harness(new SocketTextSource('127.0.0.1', port), 1);
  await assert.rejects(
    h.run(),
    (e: unknown) =>
      e instanceof WeirError &&
      e.code === 'WEIR_INPUT_NOT_FOUND' &&
      e.message.includes(`127.0.0.1:${port}`) &&
      /ECONNREFUSED/.test(e.message),
  );
  await h.readers[0]!.close();
});

/** How createWriter fails for `dir`: its error (code and message), bounded in time. */
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

test('restored writer states: a subtask takes its own and those of subtasks gone after a rescale down, never a live one', () => {
  const states = [0, 1, 2, 3].map((subtask) => ({ subtask, seq: subtask * 10 }));
  assert.deepEqual(restoredWriterStates({ subtaskIndex: 1, parallelism: 2 }, [states[1]!, states[3]!]), {
    own: states[1],
    vanished: [states[3]],
  });
  // A live subtask's state that reached this one is neither its own nor vanished.
  assert.deepEqual(restoredWriterStates({ subtaskIndex: 0, parallelism: 2 }, [states[0]!, states[1]!, states[2]!]), {
    own: states[0],
    vanished: [states[2]],
  });
  // Scaled up: a new subtask has no state of its own.
  assert.deepEqual(restoredWriterStates({ subtaskIndex: 5, parallelism: 6 }, []), { own: undefined, vanished: [] });
  assert.deepEqual(restoredWriterStates({ subtaskIndex: 0, parallelism: 1 }, undefined), { own: undefined, vanished: [] });
});
