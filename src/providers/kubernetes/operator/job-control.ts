/**
 * What the operator does with a WeirDeployment's job through its JobManager's REST API: reads the
 * bundle from its URI, uploads it and runs its main() in the JobManager (`POST /bundles/upload`,
 * `POST /bundles/:id/run-program` with the savepoint path and parallelism), observes the job, and
 * stops it for an upgrade or suspension as the upgrade mode says.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFileSystem, schemeOf } from '../../../fs/index.js';
import { WeirError } from '../../../errors.js';
import type { ProgramRunRequest, ProgramRunResponse } from '../../../rest/api.js';
import { RestApiError, type RestClient } from '../../../rest/client.js';
import type { JobSpec, SavepointRecord } from './resource.js';

/** The bundle's bytes and file name; a URI that cannot be read is a WEIR_OPERATOR error naming it. */
export async function readBundle(uri: string, settings: Record<string, string>): Promise<{ bytes: Buffer; name: string }> {
  let scheme: string;
  try {
    scheme = schemeOf(uri);
  } catch {
    scheme = '';
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || !['file', 's3', 's3a', 's3p'].includes(scheme))
    throw new WeirError('WEIR_OPERATOR', `job.bundleURI '${uri}' is not a file:// or s3:// URI`);
  try {
    const bytes =
      scheme === 'file' ? await getFileSystem(uri).readFile(fileURLToPath(uri)) : await getFileSystem(uri, settings).readFile(uri);
    return { bytes, name: basename(new URL(uri).pathname) || 'program.mjs' };
  } catch (e) {
    throw new WeirError('WEIR_OPERATOR', `cannot read job.bundleURI '${uri}': ${(e as Error).message}`);
  }
}

export async function submitJob(
  rest: RestClient,
  job: JobSpec,
  bundle: { bytes: Buffer; name: string },
  savepointPath: string | undefined,
): Promise<string> {
  const uploaded = await rest.uploadBundle(bundle.bytes, bundle.name);
  const body: ProgramRunRequest = {
    programArgsList: job.args ?? [],
    ...(job.parallelism !== undefined ? { parallelism: job.parallelism } : {}),
    ...(savepointPath !== undefined ? { savepointPath } : {}),
    ...(job.allowNonRestoredState ? { allowNonRestoredState: true } : {}),
  };
  try {
    const r = await rest.request<ProgramRunResponse>('POST', `/bundles/${encodeURIComponent(uploaded.id)}/run-program`, { json: body });
    return r.jobid;
  } catch (e) {
    throw new WeirError('WEIR_OPERATOR', `the job of ${job.bundleURI} could not be submitted: ${(e as Error).message}`);
  }
}

export interface ObservedJob {
  jobId: string;
  jobName: string;
  state: string;
  startTime: number;
  /** The root exception of a failed job. */
  failure?: string;
}

/** The job as the JobManager reports it; undefined when it does not know the job (a new JobManager). */
export async function observeJob(rest: RestClient, jobId: string): Promise<ObservedJob | undefined> {
  try {
    const j = await rest.job(jobId);
    const o: ObservedJob = { jobId, jobName: j.name, state: j.state, startTime: j['start-time'] };
    if (j.state === 'FAILED') {
      const ex = await rest.jobExceptions(jobId).catch(() => undefined);
      o.failure = ex?.['root-exception']?.split('\n')[0] ?? 'the job failed';
    }
    return o;
  } catch (e) {
    if (e instanceof RestApiError && e.status === 404) return undefined;
    throw e;
  }
}

const TERMINAL = new Set(['FINISHED', 'CANCELED', 'FAILED']);
export const isTerminal = (state: string | undefined): boolean => state !== undefined && TERMINAL.has(state);

/** Stop-with-savepoint: the savepoint's location once the job has stopped. */
export async function stopWithSavepoint(rest: RestClient, jobId: string, timeoutMs: number): Promise<string> {
  const trigger = await rest.stopWithSavepoint(jobId, {});
  const location = await rest.awaitSavepoint(jobId, trigger, timeoutMs, 200);
  await awaitTerminal(rest, jobId, timeoutMs);
  return location;
}

export async function triggerSavepoint(rest: RestClient, jobId: string, timeoutMs: number): Promise<string> {
  const trigger = await rest.triggerSavepoint(jobId, {});
  return rest.awaitSavepoint(jobId, trigger, timeoutMs, 200);
}

export async function cancelJob(rest: RestClient, jobId: string, timeoutMs: number): Promise<void> {
  await rest.cancelJob(jobId);
  await awaitTerminal(rest, jobId, timeoutMs);
}

async function awaitTerminal(rest: RestClient, jobId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isTerminal((await rest.jobStatus(jobId)).status)) {
    if (Date.now() > deadline) throw new WeirError('WEIR_OPERATOR', `job ${jobId} did not stop within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Where the job's state was last completely taken: the newer of its latest completed checkpoint and
 * its latest savepoint (a stop-with-savepoint whose outcome the operator did not record, because it
 * stopped meanwhile, is the newest state and the sink has committed up to it).
 */
export async function latestCheckpoint(rest: RestClient, jobId: string): Promise<string | undefined> {
  type Entry = { id?: number; external_path?: string } | null;
  const stats = await rest.request<{ latest: { completed: Entry; savepoint: Entry } }>(
    'GET',
    `/jobs/${encodeURIComponent(jobId)}/checkpoints`,
  );
  const candidates = [stats.latest.completed, stats.latest.savepoint].filter((e) => e?.external_path !== undefined);
  candidates.sort((a, b) => (b!.id ?? 0) - (a!.id ?? 0));
  return candidates[0]?.external_path;
}

/** A job of this JobManager that has not ended (one submitted by an operator that stopped before recording it). */
export async function unfinishedJob(rest: RestClient): Promise<string | undefined> {
  const { jobs } = await rest.jobsOverview();
  return jobs.find((j) => !j.archived && !isTerminal(j.state))?.jid;
}

/**
 * Stops the running job before an upgrade or a suspension as `upgradeMode` says: savepoint → a
 * stop-with-savepoint; last-state → cancel, then the latest completed checkpoint (retained on
 * cancellation); stateless → cancel. Returns where the next run starts from (undefined: afresh).
 */
export async function stopForUpgrade(
  rest: RestClient,
  jobId: string,
  mode: NonNullable<JobSpec['upgradeMode']>,
  timeoutMs: number,
  triggerType: SavepointRecord['triggerType'],
): Promise<SavepointRecord | undefined> {
  const state = (await rest.jobStatus(jobId)).status;
  if (isTerminal(state)) {
    if (mode === 'stateless') return undefined;
    const checkpoint = await latestCheckpoint(rest, jobId);
    return checkpoint ? { location: checkpoint, timeStamp: Date.now(), triggerType: 'CHECKPOINT' } : undefined;
  }
  if (mode === 'savepoint') return { location: await stopWithSavepoint(rest, jobId, timeoutMs), timeStamp: Date.now(), triggerType };
  await cancelJob(rest, jobId, timeoutMs);
  // Read once the job has stopped: a checkpoint completing meanwhile has committed its output, so
  // the next run has to start from it, not from one read before.
  const checkpoint = mode === 'last-state' ? await latestCheckpoint(rest, jobId) : undefined;
  return checkpoint ? { location: checkpoint, timeStamp: Date.now(), triggerType: 'CHECKPOINT' } : undefined;
}

export function describeRestError(e: unknown): string {
  return e instanceof RestApiError ? `${e.message} (HTTP ${e.status})` : (e as Error).message;
}
