/** socketTextStream reads lines from a real TCP server on loopback until the server closes. */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { runProgram } from '../../dist/client/run-program.js';

for (const parallelism of [1, 2]) {
  test(`socket text source feeds a keyed sum (parallelism ${parallelism})`, async () => {
    const lines = ['a b c', 'b c', 'c', 'd a'];
    const server = createServer((sock) => {
      sock.end(lines.join('\n') + '\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const run = await runProgram({ program: 'test/programs/socket-words.ts', args: [String(port)], parallelism });
      const rows = run.exports.counts as [string, number][];
      const final = new Map<string, number>();
      for (const [w, n] of rows) final.set(w, Math.max(final.get(w) ?? 0, n));
      assert.deepEqual(Object.fromEntries([...final].sort()), { a: 2, b: 2, c: 3, d: 1 });
      assert.equal(rows.length, 8, 'one rolling update per word occurrence');
    } finally {
      server.close();
    }
  });
}
