/**
 * Built-in connectors driven directly through test/helpers/source-harness.ts: collections, number
 * sequences, generated data and sockets, and how sink subtasks share restored writer states. (The
 * file connectors: file-connectors.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { CollectionSource, NumberSequenceSource } from '../../src/connectors/collection/index.js';
import { DataGeneratorSource } from '../../src/connectors/datagen/index.js';
import { SocketTextSource } from '../../src/connectors/socket/index.js';
import { restoredWriterStates } from '../../src/connectors/base/index.js';
import { WeirError } from '../../src/errors.js';
import { drain, harness } from '../helpers/source-harness.js';

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
