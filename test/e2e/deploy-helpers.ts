/**
 * What the deployment-mode tests share: the real `weir` command (synchronously or as a process whose
 * output is collected), reading a keyed sum's output, and the bookkeeping
 * that kills every process a test started (also the ones a cluster started, found in its logs) and
 * removes its directories.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WEIR = join(process.cwd(), 'bin', 'weir.mjs');

export interface Run {
  code: number;
  out: string;
}

/** Every pid seen: killed (SIGKILL) by `cleanup()` if still alive. */
const pids = new Set<number>();
const dirs: string[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function weir(...args: string[]): Run {
  const r = spawnSync(process.execPath, [WEIR, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

export function weirAsync(args: string[], opts: { cwd?: string } = {}): { child: ChildProcess; done: Promise<Run>; output(): string } {
  const child = spawn(process.execPath, [WEIR, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  pids.add(child.pid!);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const done = new Promise<Run>((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, out })));
  return { child, done, output: () => out };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remembers pids named in log text ("pid 123"), so that cleanup() can kill them. */
export function notePids(text: string): number[] {
  const found = [...text.matchAll(/\bpid (\d+)/g)].map((m) => Number(m[1]));
  for (const p of found) pids.add(p);
  return found;
}

export function notePid(pid: number): void {
  pids.add(pid);
}

export async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const r = await fetch(url);
    return r.ok ? ((await r.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** The final value of each key of a keyed sum's output: the largest sum written for it. */
export function finalSums(out: string): Map<number, number> {
  const m = new Map<number, number>();
  if (!existsSync(out)) return m;
  for (const f of readdirSync(out).filter((f) => f.endsWith('.jsonl'))) {
    for (const l of readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(l) as { k: number; v: number };
      m.set(r.k, Math.max(m.get(r.k) ?? 0, r.v));
    }
  }
  return m;
}

export function expectedSums(count: number, keys: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < count; i++) m.set(i % keys, (m.get(i % keys) ?? 0) + i);
  return m;
}

/** Whether `pid` runs a command that names one of this test's directories (guards against pid reuse). */
function ours(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return dirs.some((d) => cmd.includes(d));
  } catch {
    return false;
  }
}

/** Kills what is left of the test's processes and removes its directories. */
export function cleanup(): void {
  for (const p of pids) {
    if (alive(p) && ours(p)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
