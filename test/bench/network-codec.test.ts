/**
 * The network batch codec (src/runtime/network/buffer-codec.ts), which the benchmark work made
 * columnar: every batch must decode to what MessagePack gave back before (plain objects with their
 * keys in order, numbers, strings, undefined), whatever layout the encoder picked, also from
 * buffers that arrive at an unaligned offset (through a byte stream).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packr, Unpackr } from 'msgpackr';
import { BatchDecoder, BatchEncoder } from '../../src/runtime/network/buffer-codec.js';

type Ts = (number | undefined)[] | null;

/** What the MessagePack codec gives back for a batch. */
function viaMsgpack(values: unknown[], timestamps: Ts): [unknown[], Ts] {
  return new Unpackr({ sequential: true }).unpack(new Packr({ sequential: true }).pack([values, timestamps])) as [unknown[], Ts];
}

function unaligned(b: Uint8Array, by: number): Uint8Array {
  const u = new Uint8Array(b.length + by);
  u.set(b, by);
  return u.subarray(by);
}

const BATCHES: [string, unknown[], Ts][] = [
  ['numbers', [1, 2, 3.5, NaN, Infinity, -Infinity, 2 ** 60, -7], null],
  [
    'strings',
    ['a', 'héllo wörld', '', 'x'.repeat(100), '😀 emoji', 'abcdefghijklmnopq', 'ascii only but long enough'],
    [1, 2, 3, 4, 5, 6, 7],
  ],
  [
    'records',
    [
      { a: 1, b: 'x' },
      { a: 2.5, b: 'y'.repeat(40) },
    ],
    [10, 20],
  ],
  [
    'records with null and nested fields',
    [
      { a: 1, b: null, c: { d: [1, 2] } },
      { a: 2, b: 'z', c: undefined },
    ],
    [10, undefined],
  ],
  ['records with mixed field types', [{ k: 1 }, { k: 'one' }, { k: true }], null],
  ['different shapes', [{ a: 1 }, { b: 2 }], null],
  [
    'same keys, other order',
    [
      { a: 1, b: 2 },
      { b: 2, a: 1 },
    ],
    null,
  ],
  ['class instances and dates', [new Date(5), new Map([[1, 2]])], null],
  [
    'arrays',
    [
      [1, 'a'],
      [2, 'b'],
    ],
    [1, 2],
  ],
  ['integer-like keys', [{ 2: 'b', 1: 'a', x: 3 }], null],
  ['a "__proto__" key', [JSON.parse('{"__proto__": 1, "a": 2}') as unknown], null],
  ['null-prototype objects', [Object.assign(Object.create(null) as object, { a: 1 })], null],
  ['empty objects', [{}, {}], [1, 1]],
  ['booleans', [true, false], null],
  ['no timestamps given', [{ a: 1 }], [undefined]],
];

test('batches decode to what MessagePack gave back, aligned or not', () => {
  for (const [name, values, ts] of BATCHES) {
    const [expected, expectedTs] = viaMsgpack(values, ts);
    const enc = new BatchEncoder();
    const buf = enc.encode(values, ts);
    const [got, gotTs] = new BatchDecoder().decode(buf);
    assert.deepEqual(got, expected, name);
    assert.deepEqual(
      gotTs ?? null,
      expectedTs === null || expectedTs.every((t) => t === undefined) ? null : expectedTs,
      `${name}: timestamps`,
    );
    for (const off of [1, 3, 5]) {
      const [again] = new BatchDecoder().decode(unaligned(new BatchEncoder().encode(values, ts), off));
      assert.deepEqual(again, expected, `${name} at offset ${off}`);
    }
  }
});

test('a channel describes a record shape once and decodes its buffers in order', () => {
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  const batch = (i: number) => Array.from({ length: 50 }, (_, j) => ({ id: i * 50 + j, name: `n${j}`, score: j / 3 }));
  const first = enc.encode(batch(0), null);
  const second = enc.encode(batch(1), null);
  assert.ok(second.length < first.length, 'the second buffer refers to the shape');
  assert.deepEqual(dec.decode(first)[0], batch(0));
  assert.deepEqual(dec.decode(second)[0], batch(1));
  // interleaving shapes, and falling back to MessagePack in between, keeps both sides in step
  const other = [{ x: 'a' }, { x: 'b' }];
  const mixed = [{ id: 1 }, 'str', 3];
  for (const v of [other, mixed, batch(2), other, batch(3)]) assert.deepEqual(dec.decode(enc.encode(v, null))[0], v);
  // decoded records of one shape share their keys' order
  const [a, b] = dec.decode(enc.encode(batch(4), null))[0] as object[];
  assert.deepEqual(Object.keys(a!), ['id', 'name', 'score']);
  assert.deepEqual(Object.keys(b!), ['id', 'name', 'score']);
});

test('many shapes and very wide records still round-trip', () => {
  const enc = new BatchEncoder();
  const dec = new BatchDecoder();
  for (let i = 0; i < 300; i++) {
    const v = [{ [`k${i}`]: i, s: 'x' }];
    assert.deepEqual(dec.decode(enc.encode(v, [i]))[0], v);
  }
  const wide = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, i]));
  assert.deepEqual(dec.decode(enc.encode([wide, wide], null))[0], [wide, wide]);
});
