/** The error page documents every error code the engine can raise, and only those. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/errors.js';

test('docs/errors.md lists every error code', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(WEIR_[A-Z_]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort());
});

test('README shows the two-command quick start', () => {
  const readme = readFileSync('README.md', 'utf8');
  assert.match(readme, /npm install && npx weir run examples\/word-count\.ts\nnpm test/);
});
