/**
 * examples/broadcast-state.ts and examples/async-io.ts run through runProgram (what `weir run`
 * does) at parallelism 1 and 2; their FileSink output must equal an answer computed here in plain
 * TypeScript from the examples' data modules.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../dist/client/run-program.js';
import { PAYMENTS, RATES } from '../../examples/data/fx.js';
import { ORDERS, PRICES } from '../../examples/data/prices.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

async function runExample(name: string, parallelism: number): Promise<unknown[]> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `weir-example-${name}-`));
  tempDirs.push(out);
  const r = await runProgram({ program: path.join(root, 'examples', `${name}.ts`), args: [out], parallelism });
  assert.equal(r.results[0]!.status, 'FINISHED', JSON.stringify(r.results[0]!.error));
  const rows: unknown[] = [];
  for (const f of fs.readdirSync(out)) {
    assert.match(f, /^part-.*\.jsonl$/, 'only finished part files');
    for (const line of fs.readFileSync(path.join(out, f), 'utf8').split('\n')) if (line) rows.push(JSON.parse(line));
  }
  return rows;
}

const byKey = <T>(rows: T[], key: (r: T) => number): T[] => [...rows].sort((a, b) => key(a) - key(b));

for (const p of [1, 2]) {
  test(`examples/broadcast-state.ts at parallelism ${p}`, async () => {
    const rate = new Map(RATES.map((r) => [r.currency, r.toEur]));
    rate.set('EUR', 1);
    const expected = PAYMENTS.map((x) => ({ id: x.id, account: x.account, eur: Math.round(x.amount * rate.get(x.currency)! * 100) / 100 }));
    const rows = (await runExample('broadcast-state', p)) as { id: number }[];
    assert.deepEqual(
      byKey(rows, (r) => r.id),
      expected,
    );
  });

  test(`examples/async-io.ts at parallelism ${p} (its own HTTP price service)`, async () => {
    const expected = ORDERS.map((o) => ({ orderId: o.orderId, sku: o.sku, quantity: o.quantity, totalCents: PRICES[o.sku]! * o.quantity }));
    const rows = (await runExample('async-io', p)) as { orderId: number }[];
    assert.deepEqual(
      byKey(rows, (r) => r.orderId),
      expected,
    );
  });
}
