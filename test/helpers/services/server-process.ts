/**
 * What the helpers for real servers share: installing a server through its script in
 * test/services/, starting it as a child process on loopback, waiting until it answers, and
 * stopping it (also when the test process is killed: the pid is recorded for `.ci/run`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '../wait.js';

const run = promisify(execFile);
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The same directory as test/services/lib.sh's WEIR_SERVICES_CACHE. */
export const SERVICES_CACHE =
  process.env.WEIR_SERVICES_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'weir', 'services');

const installed = new Set<string>();

/**
 * Makes sure `test/services/<name>.sh install` has run (once per test process). `present` says
 * whether the server is already there, so a machine that has it never runs the script.
 */
export async function ensureInstalled(name: string, present: () => boolean): Promise<void> {
  if (installed.has(name) || present()) {
    installed.add(name);
    return;
  }
  const script = join(REPO_ROOT, 'test/services', `${name}.sh`);
  try {
    await run('bash', [script, 'install'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
  } catch (e) {
    const out = e as { stderr?: string; message: string };
    throw new Error(`${name} is not installed and 'bash test/services/${name}.sh install' failed: ${out.stderr || out.message}`);
  }
  if (!present()) throw new Error(`${name} is still missing after 'bash test/services/${name}.sh install'`);
  installed.add(name);
}

export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** A directory of the server's own (data, config, log), removed by `stop()`. */
  readonly dir: string;
  /** The server's log so far (stdout and stderr), for failure messages. */
  log(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; removes the data directory. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: (dir: string) => string[];
  env?: NodeJS.ProcessEnv;
  /** Resolves truthy once the server serves; polled until `readyMs`. */
  ready: (dir: string) => Promise<boolean> | boolean;
  readyMs?: number;
  /** An existing directory to use instead of a fresh one (kept by `stop()`: restarts reuse it). */
  dir?: string;
}

/** Starts a server, waits until `ready`, and returns a handle to stop it. */
export async function startServer(opts: StartOptions): Promise<ServerProcess> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `weir-${opts.name}-`));
  const logFile = join(dir, 'server.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(opts.command, opts.args(dir), {
    cwd: dir,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  const pidFile = join(tmpdir(), `weir-service-${opts.name}-${child.pid}.pid`);
  if (child.pid !== undefined) writeFileSync(pidFile, String(child.pid));
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '');
  let stopped = false;
  const stop = async (graceMs = 5000): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await waitFor(`${opts.name} to exit`, graceMs, () => exited).catch(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      });
    }
    try {
      unlinkSync(pidFile);
    } catch {
      /* not written */
    }
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const outcome = await waitFor(`${opts.name} to serve`, opts.readyMs ?? 60_000, async () => {
      if (exited) return 'exited';
      try {
        return (await opts.ready(dir)) && 'ready';
      } catch {
        return false;
      }
    });
    if (outcome === 'exited') throw new Error(`${opts.name} exited during start-up`);
  } catch (e) {
    await stop(1000);
    throw new Error(`${opts.name} did not start: ${(e as Error).message}\n--- log ---\n${log()}`);
  }
  return { name: opts.name, child, dir, log, stop };
}
