/**
 * Helm for the tests (linting and rendering the operator's chart in deploy/helm/), built by
 * test/services/helm.sh from its Go module into the services cache.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureInstalled, REPO_ROOT, SERVICES_CACHE } from './server-process.js';

const execFileAsync = promisify(execFile);
export const HELM = join(SERVICES_CACHE, 'bin', 'helm');

/** Installs helm when it is missing; resolves with the path of the binary. */
export async function ensureHelm(): Promise<string> {
  await ensureInstalled('helm', () => existsSync(HELM));
  return HELM;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs helm in the repository root; resolves with the exit code and output, also on failure. `env`
 * adds variables (e.g. HELM_CONFIG_HOME/HELM_CACHE_HOME/HELM_DATA_HOME of a test's own directory,
 * so that no user's repositories or plugins apply).
 */
export async function helm(args: readonly string[], env: Record<string, string> = {}): Promise<HelmResult> {
  const bin = await ensureHelm();
  try {
    const { stdout, stderr } = await execFileAsync(bin, [...args], {
      cwd: REPO_ROOT,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message };
  }
}
