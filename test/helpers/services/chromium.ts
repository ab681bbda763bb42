/**
 * Debian's Chromium driven by playwright-core (no browser download): headless, without sandbox, GPU
 * or background networking, in a fresh user-data directory removed on close. A `watch()`ed page
 * records console errors, uncaught page errors, failed requests and HTTP error answers, so a test
 * can assert that a page it visited had none.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ensureInstalled } from './server-process.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  await ensureInstalled('chromium', () => existsSync(CHROMIUM));
  const userDataDir = mkdtempSync(join(tmpdir(), 'weir-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** What went wrong on a page: console errors, page errors, failed requests, HTTP errors (with the pages they happened on). */
export function watch(page: Page): { problems: string[] } {
  const problems: string[] = [];
  const where = (): string => page.url().replace(/^https?:\/\/[^/]+/, '');
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error on ${where()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error on ${where()}: ${e.message}`));
  page.on('requestfailed', (r) => {
    problems.push(`request failed on ${where()}: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} on ${where()}: ${r.request().method()} ${r.url()}`);
  });
  return { problems };
}
