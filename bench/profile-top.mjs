/**
 * Prints the top frames by self time of each V8 CPU profile in a directory (what `npm run bench --
 * q5 --impl weir --cpu-prof DIR` writes: one file per thread). Threads that were mostly idle are
 * listed with their totals only.
 *
 *   node bench/profile-top.mjs DIR [N]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const top = Number(process.argv[3] ?? 20);
if (dir === undefined) {
  console.error('usage: node bench/profile-top.mjs DIR [N]');
  process.exit(2);
}
for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const perNode = new Map();
  for (let i = 0; i < p.samples.length; i++) perNode.set(p.samples[i], (perNode.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const self = new Map();
  let total = 0;
  for (const [id, us] of perNode) {
    const cf = byId.get(id).callFrame;
    const where = cf.url === '' ? '' : ` ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
    const k = `${cf.functionName || '(anonymous)'}${where}`;
    self.set(k, (self.get(k) ?? 0) + us);
    total += us;
  }
  const busy = total - (self.get('(idle)') ?? 0);
  console.log(`${f}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy`);
  if (busy < 0.2 * total) continue;
  for (const [k, us] of [...self]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    console.log(`  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${k}`);
  }
}
