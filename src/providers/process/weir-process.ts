/**
 * Starting `weir` processes on this machine: what `weir cluster start` and the process resource
 * provider both run, and the small helpers to watch them (liveness, the end of a log).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WeirError } from '../../errors.js';

export function defaultWeirCommand(): string[] {
  return [process.execPath, fileURLToPath(new URL('../../../bin/weir.mjs', import.meta.url))];
}

export interface SpawnWeirOptions {
  /** File the process's stdout and stderr are appended to. */
  log: string;
  /** Its own process group, so it outlives the command that started it. */
  detached: boolean;
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  weirCommand?: string[];
}

/**
 * Starts `weir <args>` as a child process logging to `o.log` (what `weir cluster start` and the
 * process resource provider run). Throws WEIR_CLUSTER_DEPLOYMENT when it cannot be started.
 */
export function spawnWeir(args: string[], o: SpawnWeirOptions): ChildProcess {
  const [cmd, ...cmdArgs] = o.weirCommand ?? defaultWeirCommand();
  const fd = openSync(o.log, 'a', 0o600);
  try {
    const child = spawn(cmd!, [...cmdArgs, ...args], {
      detached: o.detached,
      stdio: ['ignore', fd, fd],
      ...(o.cwd ? { cwd: o.cwd } : {}),
      env: { ...process.env, ...(o.env ?? {}) },
    });
    if (child.pid === undefined) throw new WeirError('WEIR_CLUSTER_DEPLOYMENT', `cannot start 'weir ${args[0] ?? ''}' (${cmd})`);
    // A failed spawn is also reported as an 'error' event after the pid check; the exit handlers see it.
    child.on('error', () => undefined);
    return child;
  } finally {
    closeSync(fd);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
