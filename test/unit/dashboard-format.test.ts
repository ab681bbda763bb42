/** The dashboard's formatting: Flink's vertex colours, rates, watermarks, secret keys, program arguments. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duration, isSecretKey, percent, rate, splitArgs, vertexColor, watermark } from '../../web/src/format.js';

test('vertices are coloured as in Flink: idle blue, busy red, backpressured black', () => {
  assert.equal(vertexColor(0, 0), 'hsl(240, 80%, 45%)');
  assert.equal(vertexColor(1000, 0), 'hsl(0, 80%, 45%)');
  assert.equal(vertexColor(0, 1000), 'hsl(240, 80%, 0%)');
  assert.equal(vertexColor(500, 500), 'hsl(120, 80%, 23%)');
  // Out-of-range figures are clamped; no figures yet is grey.
  assert.equal(vertexColor(2000, -5), 'hsl(0, 80%, 45%)');
  assert.equal(vertexColor(undefined, undefined), 'hsl(210, 10%, 45%)');
});

test('rates, percentages, durations and watermarks', () => {
  assert.equal(rate(0), '0.0/s');
  assert.equal(rate(993.4), '993/s');
  assert.equal(rate(25_300), '25.3K/s');
  assert.equal(rate(2_500_000), '2.5M/s');
  assert.equal(rate(undefined), '-');
  assert.equal(percent(37), '4%');
  assert.equal(duration(999), '999ms');
  assert.equal(duration(3_723_000), '1h 2m');
  assert.equal(watermark(Number.MIN_SAFE_INTEGER), 'No Watermark');
  assert.equal(watermark(-9223372036854775808), 'No Watermark');
  assert.equal(watermark(undefined), 'No Watermark');
  assert.match(watermark(Date.UTC(2026, 0, 2, 3, 4, 5)), /^2026-01-0\d \d\d:04:05$/);
});

test('secret keys are masked; program arguments split as a shell does', () => {
  for (const k of ['security.rest.token', 'security.cluster.secret', 's3.secret-key', 's3.access-key', 'sink.password'])
    assert.ok(isSecretKey(k), k);
  for (const k of ['rest.port', 'parallelism.default', 'execution.checkpointing.dir']) assert.ok(!isSecretKey(k), k);
  assert.deepEqual(splitArgs('/tmp/out  2000'), ['/tmp/out', '2000']);
  assert.deepEqual(splitArgs(`--name "a b" 'c d' e\\"f "g\\"h"`), ['--name', 'a b', 'c d', 'e\\"f', 'g"h']);
  assert.deepEqual(splitArgs('   '), []);
});
