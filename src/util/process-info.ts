/**
 * What a Weir process tells about itself through the REST API, in Flink's terms: its environment
 * (the Node.js runtime in place of the JVM), its log files (Flink's log list, read by file name
 * only), and a thread dump (Node's equivalent: the main thread with its active handles, and every
 * worker thread the process runs). Used by JobManagers and TaskManagers alike.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { threadId } from 'node:worker_threads';

export interface LogFileInfo {
  name: string;
  size: number;
  mtime: number;
}

export interface ThreadDescription {
  threadName: string;
  stringifiedThreadInfo: string;
}

export interface ProcessEnvironment {
  jvm: { version: string; arch: string; options: string[] };
  classpath: string[];
}

/** Worker threads of this process, by thread id: registered by whoever starts one. */
const workers = new Map<number, { name: string; started: number }>();

/** Records a worker thread for thread dumps until it exits. */
export function trackWorkerThread(worker: { threadId: number; once(event: 'exit', l: () => void): unknown }, name: string): void {
  const id = worker.threadId;
  workers.set(id, { name, started: Date.now() });
  worker.once('exit', () => workers.delete(id));
}

export function processEnvironment(): ProcessEnvironment {
  return {
    jvm: { version: `Node.js ${process.version} (V8 ${process.versions.v8})`, arch: process.arch, options: [...process.execArgv] },
    // Where the process's code comes from: its entry script (Node has no class path).
    classpath: process.argv[1] ? [process.argv[1]] : [],
  };
}

/** Node's thread dump: the main thread (its active resources, memory, uptime) and each worker thread. */
export function threadDump(now = Date.now()): ThreadDescription[] {
  const resources = process.getActiveResourcesInfo();
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r, (counts.get(r) ?? 0) + 1);
  const mem = process.memoryUsage();
  const main = [
    `"main" Id=${threadId} RUNNABLE (pid ${process.pid}, uptime ${Math.round(process.uptime())} s)`,
    `    heap used ${mem.heapUsed} of ${mem.heapTotal} bytes, rss ${mem.rss} bytes`,
    `    active resources (${resources.length}): ${[...counts].map(([k, n]) => `${k} x${n}`).join(', ') || 'none'}`,
  ].join('\n');
  const out: ThreadDescription[] = [{ threadName: 'main', stringifiedThreadInfo: `${main}\n` }];
  for (const [id, w] of [...workers].sort((a, b) => a[0] - b[0])) {
    out.push({
      threadName: w.name,
      stringifiedThreadInfo: `"${w.name}" Id=${id} RUNNABLE (worker thread, running for ${now - w.started} ms)\n`,
    });
  }
  return out;
}

/** A log file name is a plain name: no separator, no `..`, nothing hidden. */
export function isLogFileName(name: string): boolean {
  return name === basename(name) && !name.includes('/') && !name.includes('\\') && !name.startsWith('.') && !name.includes('\0');
}

/** The regular files of the log directory (Flink lists every file of its log directory). */
export function listLogFiles(logDir: string | undefined): LogFileInfo[] {
  if (!logDir) return [];
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch {
    return [];
  }
  const out: LogFileInfo[] = [];
  for (const name of names.sort()) {
    if (!isLogFileName(name)) continue;
    try {
      const st = statSync(join(logDir, name));
      if (st.isFile()) out.push({ name, size: st.size, mtime: Math.round(st.mtimeMs) });
    } catch {
      // Removed while listing.
    }
  }
  return out;
}

export type LogReadResult = { ok: true; text: string; truncated: boolean } | { ok: false; why: 'bad-name' | 'no-dir' | 'missing' };

/**
 * The end of a log file of the log directory, by name only: a name that is not a plain file
 * name, or a file that resolves outside the directory (a symlink), is refused.
 */
export async function readLogFile(logDir: string | undefined, name: string, maxBytes: number): Promise<LogReadResult> {
  if (!isLogFileName(name)) return { ok: false, why: 'bad-name' };
  if (!logDir) return { ok: false, why: 'no-dir' };
  let path: string;
  try {
    const dir = realpathSync(logDir);
    path = realpathSync(join(dir, name));
    if (!path.startsWith(dir + sep) || !statSync(path).isFile()) return { ok: false, why: 'missing' };
  } catch {
    return { ok: false, why: 'missing' };
  }
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    return { ok: true, text: buf.toString('utf8'), truncated: start > 0 };
  } finally {
    await fh.close();
  }
}

/** The most of a log file's end that one answer carries. */
export const MAX_LOG_BYTES = 8 * 1024 * 1024;

export interface ProcessInspection {
  type: 'inspection';
  logs?: LogFileInfo[];
  log?: { text?: string; truncated?: boolean; refused?: 'bad-name' | 'no-dir' | 'missing' };
  threads?: ThreadDescription[];
}

/** Answers what a JobManager asks about this process (a TaskManager's logs and thread dump). */
export async function inspectProcess(
  what: 'logs' | 'log' | 'threadDump',
  name: string | undefined,
  logDir: string | undefined,
): Promise<ProcessInspection> {
  if (what === 'logs') return { type: 'inspection', logs: listLogFiles(logDir) };
  if (what === 'threadDump') return { type: 'inspection', threads: threadDump() };
  const r = await readLogFile(logDir, name ?? '', MAX_LOG_BYTES);
  return { type: 'inspection', log: r.ok ? { text: r.text, truncated: r.truncated } : { refused: r.why } };
}
