/**
 * The web dashboard in a real browser (Debian's Chromium through playwright-core) against a
 * session cluster started with the real `weir cluster start`: a program submitted from the Submit
 * page, its job graph showing records per second, a savepoint triggered and the job cancelled from
 * the job page, the job found under Completed Jobs with its checkpoints and exceptions, the
 * uploaded program run again and stopped with a savepoint, every other page visited; no console
 * errors and no failed requests anywhere. Then the JobManager restarts with security.rest.token:
 * the page asks for the token and shows the job from the job archive, and a hidden tab stops
 * polling.
 * On failure, a screenshot of every page visited is in the directory the failure names.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/ports.js';
import { launchChromium, watch, type Browser } from '../helpers/services/chromium.js';
import { waitFor } from '../helpers/wait.js';

const WEIR = join(process.cwd(), 'bin', 'weir.mjs');
const dir = mkdtempSync(join(tmpdir(), 'weir-dashboard-'));
const shots = join(dir, 'screenshots');
const pidDir = join(dir, 'pid');
const confDir = join(dir, 'conf');
const TOKEN = 'dashboard-test-token-0123456789abcdef';
let restPort = 0;
let rpcPort = 0;
let base = '';
let browser: Browser;
let jobId = '';
let shot = 0;

function weir(...args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [WEIR, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function startCluster(extra = ''): void {
  writeFileSync(
    join(confDir, 'config.yaml'),
    `jobmanager.rpc.port: ${rpcPort}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 2\n` +
      `jobmanager.archive.dir: ${join(dir, 'archive')}\nexecution.checkpointing.dir: ${join(dir, 'checkpoints')}\n` +
      `execution.checkpointing.savepoint-dir: ${join(dir, 'savepoints')}\n${extra}`,
  );
  const r = weir('cluster', 'start', '--taskmanagers', '1', '--conf-dir', confDir, '--log-dir', join(dir, 'log'), '--pid-dir', pidDir);
  assert.equal(r.code, 0, r.out);
}

/** Screenshots every page visited (kept only when the test fails) and fails on any console error or failed request. */
async function openPage(t: TestContext): Promise<{ page: Page; snap(name: string): Promise<void> }> {
  const page = await browser.context.newPage();
  const w = watch(page);
  page.on('dialog', (d) => void d.accept());
  const snap = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(shots, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true }).catch(() => undefined);
  };
  t.after(async () => {
    await page.close().catch(() => undefined);
  });
  return {
    page,
    snap: async (name) => {
      await snap(name);
      assert.deepEqual(w.problems, [], `problems on the pages visited (screenshots in ${shots})`);
    },
  };
}

/** Runs a step; on failure the current page's screenshot is added and the error names the screenshots' directory. */
async function step<T>(page: Page, name: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    await page.screenshot({ path: join(shots, `failed-${name}.png`), fullPage: true }).catch(() => undefined);
    throw new Error(`${name}: ${(e as Error).message}\nScreenshots of the pages visited: ${shots}`, { cause: e });
  }
}

before(async () => {
  mkdirSync(confDir, { recursive: true });
  mkdirSync(shots, { recursive: true });
  [restPort, rpcPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${restPort}`;
  startCluster();
  browser = await launchChromium();
});

/** Tests that ran to their end: the directory (screenshots, logs) is kept when one did not. */
let passed = 0;
after(async () => {
  await browser?.close();
  weir('cluster', 'stop', '--pid-dir', pidDir);
  if (passed < 2) process.stderr.write(`dashboard test: screenshots and logs kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
});

test('submit from the Submit page, watch the graph, savepoint and cancel from the job page, find it under Completed Jobs', async (t) => {
  const { page, snap } = await openPage(t);
  const out = join(dir, 'out');

  await step(page, 'submit', async () => {
    await page.goto(`${base}/#/submit`);
    await page.setInputFiles('input[name=program]', 'test/programs/dashboard-job.ts');
    await page.fill('input[name=parallelism]', '2');
    await page.fill('input[name=args]', `${out} 2000`);
    await snap('submit');
    await page.click('[data-action=submit]');
    await page.waitForURL(/#\/job\/[0-9a-f]{32}$/, { timeout: 30_000 });
    jobId = /#\/job\/([0-9a-f]{32})$/.exec(page.url())![1]!;
  });

  await step(page, 'job graph', async () => {
    // Each vertex shows its rates; the source's records out per second becomes non-zero.
    await waitFor('the job graph to show records/s', 30_000, async () => {
      const rates = await page.locator('g.vertex .vertex-rates').allTextContents();
      return rates.length === 2 && /Out: [1-9]/.test(rates[0]!) && /In: [1-9]/.test(rates[1]!) ? rates : undefined;
    });
    await page.locator('g.vertex').first().click();
    await page.waitForSelector('aside.drawer tr[data-subtask="1"]');
    await waitFor('the drawer to show per-subtask rates', 10_000, async () =>
      /[1-9]\d*\/s/.test((await page.locator('aside.drawer tr[data-subtask="0"]').textContent()) ?? ''),
    );
    await snap('job');
  });

  const savepoint = await step(page, 'savepoint', async () => {
    await page.click('[data-action=savepoint]');
    const msg = page.locator('[data-message]');
    await waitFor('the savepoint to complete', 30_000, async () => /Savepoint completed: /.test((await msg.textContent()) ?? ''));
    const location = /Savepoint completed: (\S+)/.exec((await msg.textContent())!)![1]!;
    assert.ok(existsSync(join(location.replace(/^file:\/\//, ''), '_metadata')), `the savepoint ${location} has its _metadata`);
    return location;
  });

  await step(page, 'cancel', async () => {
    await page.click('[data-action=cancel]');
    await page.waitForSelector('.job-header .tag:text("CANCELED")', { timeout: 30_000 });
    await snap('cancelled');
  });

  await step(page, 'completed jobs', async () => {
    await page.click('[data-nav="jobs/completed"]');
    await page.waitForSelector(`tr[data-job="${jobId}"]`);
    await snap('completed-jobs');
    await page.click(`tr[data-job="${jobId}"]`);
    await page.click('[data-tab=Checkpoints]');
    await page.waitForSelector('tr[data-checkpoint]');
    const latest = (await page.locator('.checkpoints').textContent()) ?? '';
    assert.match(latest, new RegExp(`Latest savepoint#\\d+ at .*${savepoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    await page.locator('tr[data-checkpoint]').first().click();
    await page.waitForSelector('tr.details');
    await snap('checkpoints');
    await page.click('[data-tab=Exceptions]');
    await page.waitForSelector('.exceptions');
    assert.match((await page.locator('.exceptions').textContent()) ?? '', /Root Exception.*Exception History/);
    await snap('exceptions');
    await page.click('[data-tab=Configuration]');
    await page.waitForSelector('table.kv');
    await snap('configuration');
  });

  await step(page, 'run again and stop with savepoint', async () => {
    // The uploaded program is listed on the Submit page and runs again with new settings.
    await page.click('[data-nav="submit"]');
    await page.fill('input[name=parallelism]', '1');
    await page.fill('input[name=args]', `${join(dir, 'out2')} 1000`);
    await page.click('[data-action=run-bundle]');
    await page.waitForURL(/#\/job\/[0-9a-f]{32}$/, { timeout: 30_000 });
    assert.ok(!page.url().endsWith(jobId), 'a new job');
    await page.waitForSelector('.job-header .tag:text("RUNNING")', { timeout: 30_000 });
    await page.click('[data-action=stop]');
    await page.waitForSelector('.job-header .tag:text("FINISHED")', { timeout: 30_000 });
    assert.match((await page.locator('[data-message]').textContent()) ?? '', /Stopped; savepoint: \S+savepoint-/);
    await snap('stopped');
  });

  await step(page, 'other pages', async () => {
    await page.click('[data-nav="overview"]');
    await waitFor('the overview', 10_000, async () => /1TaskManagers2Total slots/.test((await page.locator('.stats').textContent()) ?? ''));
    await snap('overview');
    await page.click('[data-nav="taskmanagers"]');
    await page.locator('tr[data-taskmanager]').first().click();
    await page.waitForSelector('pre.log');
    await waitFor('the TaskManager metrics', 10_000, async () => /Event-loop delay \(p99\)\d/.test((await page.textContent('main')) ?? ''));
    await snap('taskmanager');
    await page.click('[data-nav="jobmanager"]');
    await page.waitForSelector('tr[data-key="rest.port"]');
    await snap('jobmanager-config');
    await page.click('[data-tab=Logs]');
    await waitFor('the JobManager log', 10_000, async () => /JobManager started/.test((await page.locator('pre.log').textContent()) ?? ''));
    await page.click('[data-tab=Metrics]');
    await waitFor('the JobManager metrics', 10_000, async () => /numRegisteredTaskManagers1/.test((await page.textContent('main')) ?? ''));
    await snap('jobmanager-metrics');
  });
  passed++;
});

test('after a restart with security.rest.token the page asks for the token and shows the job from the archive', async (t) => {
  assert.ok(jobId, 'the first test submitted a job');
  const stopped = weir('cluster', 'stop', '--pid-dir', pidDir);
  assert.equal(stopped.code, 0, stopped.out);
  startCluster(`security.rest.token: ${TOKEN}\n`);
  const page = await browser.context.newPage();
  t.after(() => page.close().catch(() => undefined));
  const statuses: number[] = [];
  page.on('response', (r) => statuses.push(r.status()));
  page.on('dialog', (d) => void d.accept());
  await step(page, 'token', async () => {
    await page.goto(`${base}/#/jobs/completed`);
    await page.waitForSelector('.token-prompt input[name=token]');
    assert.ok(statuses.includes(401), 'the API refused the request without the token');
    await page.fill('input[name=token]', TOKEN);
    await page.click('.token-prompt button[type=submit]');
    await page.waitForSelector(`tr[data-job="${jobId}"]`);
    assert.match((await page.locator(`tr[data-job="${jobId}"]`).textContent()) ?? '', /\(archived\).*CANCELED/);
    await page.click(`tr[data-job="${jobId}"]`);
    await page.click('[data-tab=Checkpoints]');
    await page.waitForSelector('tr[data-checkpoint]');
    await page.screenshot({ path: join(shots, 'archived.png'), fullPage: true });
  });
  await step(page, 'hidden tab', async () => {
    // A hidden tab asks nothing: no request during two poll intervals; shown again, it asks at once.
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    // Evaluated in the page (this file is compiled without the DOM's types).
    const setHidden = (hidden: boolean): Promise<void> =>
      page.evaluate(
        `Object.defineProperty(document, 'hidden', { value: ${hidden}, configurable: true }); document.dispatchEvent(new Event('visibilitychange'))`,
      );
    await setHidden(true);
    const before = requests.length;
    await new Promise((r) => setTimeout(r, 4500));
    assert.deepEqual(requests.slice(before), [], 'no request while hidden');
    await setHidden(false);
    await waitFor('a request once shown again', 2000, () => requests.length > before);
  });
  assert.deepEqual(
    statuses.filter((s) => s >= 400),
    [401],
    'after the token was given, every request succeeded',
  );
  passed++;
});
