/**
 * The job archive (Flink's `jobmanager.archive.fs.dir` and HistoryServer): when a job reaches a
 * terminal state, the JobManager writes what its REST API showed of it to
 * `<jobmanager.archive.dir>/<jobId>/`, one JSON file per REST resource, in the REST API's shapes:
 *
 * | file | REST resource |
 * |---|---|
 * | `overview.json` | the job's entry of `/jobs/overview` |
 * | `job.json` | `/jobs/:id` (final status, timestamps, vertices) |
 * | `plan.json` | `/jobs/:id/plan` |
 * | `exceptions.json` | `/jobs/:id/exceptions` (every exception, up to 1000) |
 * | `checkpoints.json` | `/jobs/:id/checkpoints` |
 * | `checkpoint-config.json` | `/jobs/:id/checkpoints/config` (jobs with checkpointing) |
 * | `config.json` | the job's configuration (no secrets) |
 * | `archive.json` | format version, time of archiving |
 * | `logs/` | reserved for process logs (a dedicated cluster copies them in when it tears down) |
 *
 * The directory is written under a temporary name and renamed, so a reader never sees half of an
 * archive. Any JobManager configured with the same directory serves archived jobs it does not run
 * (JobArchive below), and `weir list --all` reads the directory when no cluster answers.
 *
 * The files are the REST API's JSON, so this module uses the REST views, as Flink's archivist uses
 * its REST handlers.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { canonicalLocation, getFileSystem, isRemote, joinPath } from '../fs/index.js';
import { join, resolve } from 'node:path';
import { isSecretKey } from '../config/index.js';
import { planJson } from '../graph/plan.js';
import {
  CHECKPOINTING_STATISTICS_FIELDS,
  JobDetailsSchema,
  JobExceptionsSchema,
  JOB_STATUSES,
  type JobDetails,
  type JobExceptions,
  type JobOverviewEntry,
  type JobPlanInfo,
} from './api.js';
import { jobDetails, jobExceptions, jobOverviewEntry } from './views.js';
import type { CheckpointConfigInfo, CheckpointingStatistics } from '../runtime/checkpoint/checkpoint-coordinator.js';
import type { JobMaster } from '../runtime/jobmanager/job-master.js';
import { isGloballyTerminal } from '../runtime/jobmanager/job-status.js';

export const ARCHIVE_FORMAT = 1;
/** The most exceptions an archive keeps (newest first). */
const MAX_ARCHIVED_EXCEPTIONS = 1000;
const JOB_DIR = /^[0-9a-f]{32}$/;

/** What an archive holds, by file. */
export interface JobArchiveFiles {
  overview: JobOverviewEntry;
  job: JobDetails;
  plan: JobPlanInfo;
  exceptions: JobExceptions;
  checkpoints: CheckpointingStatistics;
  'checkpoint-config': CheckpointConfigInfo;
  config: Record<string, unknown>;
  archive: { format: number; jobId: string; archivedAt: number };
}

export type JobArchiveFile = keyof JobArchiveFiles;

/** `file:///x` and `file:/x` name the directory /x; `s3://bucket/path` an S3 prefix; anything else is a local path. */
export function archiveDirectory(configured: string): string {
  if (isRemote(configured)) return canonicalLocation(configured);
  return resolve(configured.replace(/^file:(\/\/)?/, ''));
}

/** The archive of an ended job, as JSON documents (what archiveJob writes). */
export function jobArchiveFiles(jm: JobMaster, now = Date.now()): Partial<JobArchiveFiles> {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(jm.submission.config)) if (!isSecretKey(k)) config[k] = v;
  const files: Partial<JobArchiveFiles> = {
    overview: jobOverviewEntry(jm, now),
    job: jobDetails(jm, now),
    plan: { plan: planJson(jm.jobGraph, jm.jobId) },
    exceptions: jobExceptions(jm, MAX_ARCHIVED_EXCEPTIONS),
    checkpoints: jm.checkpointStats(),
    config,
    archive: { format: ARCHIVE_FORMAT, jobId: jm.jobId, archivedAt: now },
  };
  const cpConfig = jm.checkpointConfig();
  if (cpConfig) files['checkpoint-config'] = cpConfig;
  return files;
}

/**
 * Archives a job that reached a terminal state to `<archiveDir>/<jobId>/` (replacing an older
 * archive of the same id) and returns that directory. The Dispatcher calls it for every job that
 * ends when `jobmanager.archive.dir` is set.
 */
export async function archiveJob(archiveDir: string, jm: JobMaster): Promise<string> {
  if (!isGloballyTerminal(jm.status)) throw new Error(`job ${jm.jobId} is ${jm.status}: only ended jobs are archived`);
  const dir = archiveDirectory(archiveDir);
  if (isRemote(dir)) {
    // Object stores have no rename: overview.json, which readers look for first, is written last.
    const target = joinPath(dir, jm.jobId);
    const fs = getFileSystem(target);
    const files = Object.entries(jobArchiveFiles(jm));
    files.sort(([a], [b]) => (a === 'overview' ? 1 : 0) - (b === 'overview' ? 1 : 0));
    for (const [name, doc] of files) await fs.writeFile(joinPath(target, `${name}.json`), JSON.stringify(doc, null, 1));
    return target;
  }
  const target = join(dir, jm.jobId);
  const tmp = join(dir, `.${jm.jobId}.${randomBytes(6).toString('hex')}.tmp`);
  await mkdir(join(tmp, 'logs'), { recursive: true });
  try {
    for (const [name, doc] of Object.entries(jobArchiveFiles(jm))) {
      await writeFile(join(tmp, `${name}.json`), JSON.stringify(doc, null, 1));
    }
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return target;
}

/** An archived job as lists show it: its `/jobs/overview` entry, marked archived. */
export type ArchivedJobOverview = JobOverviewEntry & { archived: true };

/** Top-level fields a file must have to be served (the REST response schemas'). */
const REQUIRED: Partial<Record<JobArchiveFile, readonly string[]>> = {
  job: JobDetailsSchema.required,
  plan: ['plan'],
  exceptions: JobExceptionsSchema.required,
  checkpoints: CHECKPOINTING_STATISTICS_FIELDS,
};

function isOverview(v: unknown, jobId: string): v is JobOverviewEntry {
  const o = v as Partial<JobOverviewEntry> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    o.jid === jobId &&
    typeof o.name === 'string' &&
    JOB_STATUSES.includes(o.state as never) &&
    isGloballyTerminal(o.state!) &&
    (['start-time', 'end-time', 'duration', 'last-modification'] as const).every((k) => Number.isInteger(o[k])) &&
    typeof o.tasks === 'object' &&
    o.tasks !== null
  );
}

/**
 * Reads an archive directory (the HistoryServer's side). Archives never change once written, so
 * what was read is kept (by the time the directory was renamed into place). An entry that cannot
 * be read or does not have the expected shape is skipped with one warning.
 */
export class JobArchive {
  readonly dir: string;
  private readonly overviews = new Map<string, { mtimeMs: number; entry: ArchivedJobOverview }>();
  private readonly warned = new Set<string>();
  private listing: { mtimeMs: number; jobs: ArchivedJobOverview[] } | undefined;

  constructor(
    archiveDir: string,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    this.dir = archiveDirectory(archiveDir);
  }

  /**
   * Every readable archived job, oldest first. Archives arrive and leave by renames in the
   * directory, so while its modification time stays the same the last listing holds.
   */
  async list(): Promise<ArchivedJobOverview[]> {
    if (isRemote(this.dir)) return this.listRemote();
    let names: string[];
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(this.dir)).mtimeMs;
      if (this.listing?.mtimeMs === mtimeMs) return [...this.listing.jobs];
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: ArchivedJobOverview[] = [];
    for (const jobId of names.filter((n) => JOB_DIR.test(n))) {
      const entry = await this.overview(jobId);
      if (entry) out.push(entry);
    }
    out.sort((a, b) => a['start-time'] - b['start-time']);
    this.listing = { mtimeMs, jobs: out };
    return [...out];
  }

  /** An S3 prefix: listed every time (no directory mtime); overviews are kept once read, archives never change. */
  private async listRemote(): Promise<ArchivedJobOverview[]> {
    const names = (await getFileSystem(this.dir).list(this.dir)).filter((f) => f.isDir).map((f) => f.name);
    const out: ArchivedJobOverview[] = [];
    for (const jobId of names.filter((n) => JOB_DIR.test(n))) {
      const entry = await this.overview(jobId);
      if (entry) out.push(entry);
    }
    return out.sort((a, b) => a['start-time'] - b['start-time']);
  }

  /** The `/jobs/overview` entry of an archived job, or undefined (not archived, or unreadable). */
  async overview(jobId: string): Promise<ArchivedJobOverview | undefined> {
    if (!JOB_DIR.test(jobId)) return undefined;
    if (isRemote(this.dir)) {
      const known = this.overviews.get(jobId);
      if (known) return known.entry;
      const file = joinPath(this.dir, jobId, 'overview.json');
      if (
        !(await getFileSystem(file)
          .stat(file)
          .catch(() => undefined))
      )
        return undefined;
      const v = await this.readJson(jobId, 'overview');
      if (v === undefined || !isOverview(v, jobId)) {
        if (v !== undefined) this.skip(jobId, 'overview.json does not describe an ended job with this id');
        return undefined;
      }
      const entry: ArchivedJobOverview = { ...v, archived: true };
      this.overviews.set(jobId, { mtimeMs: 0, entry });
      return entry;
    }
    const s = await stat(join(this.dir, jobId)).catch(() => undefined);
    if (!s?.isDirectory()) return undefined;
    const known = this.overviews.get(jobId);
    if (known && known.mtimeMs === s.mtimeMs) return known.entry;
    const v = await this.readJson(jobId, 'overview');
    if (v === undefined) return undefined;
    if (!isOverview(v, jobId)) {
      this.skip(jobId, 'overview.json does not describe an ended job with this id');
      return undefined;
    }
    const entry: ArchivedJobOverview = { ...v, archived: true };
    this.overviews.set(jobId, { mtimeMs: s.mtimeMs, entry });
    return entry;
  }

  /** One archived document of a job whose overview is readable, or undefined. */
  async read<K extends JobArchiveFile>(jobId: string, file: K): Promise<JobArchiveFiles[K] | undefined> {
    const overview = await this.overview(jobId);
    if (!overview) return undefined;
    if (file === 'overview') return overview as unknown as JobArchiveFiles[K];
    const v = await this.readJson(jobId, file, file === 'checkpoint-config');
    if (v === undefined) return undefined;
    const required = REQUIRED[file] ?? [];
    if (typeof v !== 'object' || v === null || required.some((k) => !(k in v))) {
      this.skip(jobId, `${file}.json lacks ${required.filter((k) => !(k in (v as object))).join(', ') || 'an object'}`);
      return undefined;
    }
    return v as JobArchiveFiles[K];
  }

  private async readJson(jobId: string, file: JobArchiveFile, optional = false): Promise<unknown> {
    const path = joinPath(this.dir, jobId, `${file}.json`);
    try {
      if (isRemote(path)) {
        const fs = getFileSystem(path);
        if (optional && !(await fs.stat(path))) return undefined;
        return JSON.parse((await fs.readFile(path)).toString('utf8')) as unknown;
      }
      return JSON.parse(await readFile(path, 'utf8')) as unknown;
    } catch (e) {
      if (!(optional && (e as NodeJS.ErrnoException).code === 'ENOENT')) this.skip(jobId, `${file}.json: ${(e as Error).message}`);
      return undefined;
    }
  }

  private skip(jobId: string, why: string): void {
    const key = `${jobId}\u0000${why}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(`skipping the archived job ${jobId} in ${this.dir}: ${why}`);
  }
}

/** `/jobs/:id/exceptions` of an archived job with `maxExceptions` applied. */
export function limitExceptions(e: JobExceptions, max: number): JobExceptions {
  const entries = e.exceptionHistory.entries;
  const all = e['all-exceptions'];
  if (entries.length <= max && all.length <= max) return e;
  return {
    ...e,
    'all-exceptions': all.slice(0, max),
    truncated: true,
    exceptionHistory: { entries: entries.slice(0, max), truncated: true },
  };
}
