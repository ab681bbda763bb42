/**
 * Takes docs/dashboard-job.png: starts a session cluster with the real `weir cluster start`,
 * submits test/programs/dashboard-job.ts from the dashboard's Submit page, waits until the job
 * graph shows records per second, opens a vertex's drawer and screenshots the job page in Debian's
 * Chromium. Run: npm run build && node --import tsx scripts/dashboard-screenshot.ts [out.png]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/ports.js';
import { launchChromium } from '../test/helpers/services/chromium.js';
import { waitFor } from '../test/helpers/wait.js';

const out = process.argv[2] ?? 'docs/dashboard-job.png';
const dir = mkdtempSync(join(tmpdir(), 'weir-screenshot-'));
const weir = (...args: string[]): string => {
  const r = spawnSync(process.execPath, ['bin/weir.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`weir ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
};
const restPort = await freePort();
mkdirSync(join(dir, 'conf'));
writeFileSync(
  join(dir, 'conf', 'config.yaml'),
  `rest.port: ${restPort}\njobmanager.rpc.port: ${await freePort()}\ntaskmanager.numberOfTaskSlots: 2\n` +
    `execution.checkpointing.dir: ${join(dir, 'checkpoints')}\n`,
);
weir(
  'cluster',
  'start',
  '--taskmanagers',
  '1',
  '--conf-dir',
  join(dir, 'conf'),
  '--log-dir',
  join(dir, 'log'),
  '--pid-dir',
  join(dir, 'pid'),
);
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`http://127.0.0.1:${restPort}/#/submit`);
  await page.setInputFiles('input[name=program]', 'test/programs/dashboard-job.ts');
  await page.fill('input[name=parallelism]', '2');
  await page.fill('input[name=args]', `${join(dir, 'out')} 3000`);
  await page.click('[data-action=submit]');
  await page.waitForURL(/#\/job\/[0-9a-f]{32}$/, { timeout: 30_000 });
  await waitFor('records/s in the graph', 30_000, async () => {
    const rates = await page.locator('g.vertex .vertex-rates').allTextContents();
    return rates.length === 2 && rates.every((r) => /[1-9]/.test(r));
  });
  await page.locator('g.vertex').nth(1).click();
  await page.waitForSelector('aside.drawer tr[data-subtask="1"]');
  // Two polls more: every subtask's rates and watermark are in.
  await page.waitForTimeout(4500);
  await page.screenshot({ path: out });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  spawnSync(process.execPath, ['bin/weir.mjs', 'cluster', 'stop', '--pid-dir', join(dir, 'pid')]);
  rmSync(dir, { recursive: true, force: true });
}
