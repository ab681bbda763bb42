/**
 * The pod runner's containers: one local process per container of a pod (a test tool; see
 * pod-runner.ts and docs/kubernetes.md). The image is ignored; the container's command is run on
 * this machine, with a command named `weir` mapped to this checkout's bin/weir.mjs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { REPO_ROOT } from '../services/server-process.js';

export const WEIR_BIN = join(REPO_ROOT, 'bin', 'weir.mjs');

/**
 * The local command line of a container. A command (or, without one, the first argument) whose
 * file name is `weir` runs this checkout's `bin/weir.mjs` with the Node.js running the runner;
 * a container without a command runs `weir` with its args (Weir's image has `weir` as its
 * entrypoint). Anything else runs as written, found on PATH. `$(VAR)` references to the container's
 * environment are expanded, as the kubelet does.
 */
export function localCommand(container: V1Container, env: Record<string, string>): { file: string; args: string[] } {
  const expand = (w: string): string => w.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
  const words = [...(container.command ?? []), ...(container.args ?? [])].map(expand);
  if (container.command === undefined || container.command.length === 0) words.unshift('weir');
  const [first, ...rest] = words;
  if (basename(first!) === 'weir') return { file: process.execPath, args: [WEIR_BIN, ...rest] };
  return { file: first!, args: rest };
}

export interface ContainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running container: a detached process group, so that stopping it reaches its children. */
export class ContainerProcess {
  readonly child: ChildProcess;
  readonly startedAt = new Date();
  readonly exited: Promise<ContainerExit>;
  private exit: ContainerExit | undefined;

  constructor(
    readonly name: string,
    file: string,
    args: string[],
    env: Record<string, string>,
    dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, `${name}.log`), 'a');
    try {
      this.child = spawn(file, args, { cwd: dir, env, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((resolve) => {
      // A command that cannot be started ends like a process that exits with 127 (a shell's answer).
      this.child.once('error', () => {
        this.exit ??= { code: 127, signal: null };
        resolve(this.exit);
      });
      this.child.once('exit', (code, signal) => {
        this.exit ??= { code, signal };
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.child.pid === undefined || !this.running) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** SIGTERM, then SIGKILL once `graceMs` has passed (the kubelet's termination). */
  async stop(graceMs: number): Promise<ContainerExit> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), Math.max(0, graceMs));
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
