/**
 * Bundles and blobs: `POST /bundles/upload`, `GET /bundles`, `POST /bundles/:id/run`, and
 * `POST /blobs/upload` (distributed cache files). Uploads are raw bytes, size-limited by
 * rest.upload.max-size, and stored content-addressed, never under a name the client chose.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { ExecutionRecord } from '../../api/execution-context.js';
import { rename, writeFile } from 'node:fs/promises';
import { blobPath } from '../../runtime/blob/blob-server.js';
import type { StoredCachedFile } from '../../runtime/blob/cached-files.js';
import {
  BlobUploadResponseSchema,
  BundleIdParams,
  BundleListSchema,
  BundleRunRequestSchema,
  BundleRunResponseSchema,
  BundleUploadQuery,
  BundleUploadResponseSchema,
  withErrors,
  type BundleRunRequest,
} from '../api.js';
import { HttpError } from '../http-error.js';
import { checkJobGraph, checkProgram, jobConfiguration } from '../job-submission.js';
import type { RestApp, RouteContext } from './context.js';

/** The routes whose body may be as large as rest.upload.max-size. */
export const UPLOAD_ROUTES: readonly string[] = ['/bundles/upload', '/blobs/upload'];

export function bundleRoutes(app: RestApp, ctx: RouteContext): void {
  const { store, blobDir, uploadLimit } = ctx;

  app.post(
    '/bundles/upload',
    { bodyLimit: uploadLimit, schema: { querystring: BundleUploadQuery, response: withErrors({ 200: BundleUploadResponseSchema }) } },
    async (req) => {
      if (!Buffer.isBuffer(req.body)) {
        throw new HttpError(415, `Upload the bundle's bytes as the request body with Content-Type: application/octet-stream`);
      }
      if (req.body.length === 0) throw new HttpError(400, 'The uploaded bundle is empty');
      const info = await store.put(req.body, req.query.name);
      return { id: info.id, filename: `${info.id}.mjs`, status: 'success' as const, size: info.size };
    },
  );

  // Distributed cache files: stored as `<sha256>.blob` where the BlobServer serves them to TaskManagers.
  app.post(
    '/blobs/upload',
    { bodyLimit: uploadLimit, schema: { response: withErrors({ 200: BlobUploadResponseSchema }) } },
    async (req) => {
      // An empty file is a file too (fastify parses no empty body).
      const body = Buffer.isBuffer(req.body) ? req.body : req.headers['content-length'] === '0' ? Buffer.alloc(0) : undefined;
      if (!body) throw new HttpError(415, `Upload the file's bytes as the request body with Content-Type: application/octet-stream`);
      const id = createHash('sha256').update(body).digest('hex');
      const path = blobPath(blobDir, id, 'file');
      if (!existsSync(path)) {
        const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(tmp, body, { mode: 0o600 });
        await rename(tmp, path);
      }
      return { id, size: body.length };
    },
  );

  app.get('/bundles', { schema: { response: withErrors({ 200: BundleListSchema }) } }, async () => ({
    address: ctx.address(),
    files: store.list(),
  }));

  app.post(
    '/bundles/:id/run',
    { schema: { params: BundleIdParams, body: BundleRunRequestSchema, response: withErrors({ 200: BundleRunResponseSchema }) } },
    async (req) => {
      const bundle = store.get(req.params.id);
      if (!bundle) throw new HttpError(404, `Bundle ${req.params.id} not found: upload it first (POST /bundles/upload)`);
      const b = req.body;
      checkJobGraph(b.jobGraph);
      const programArgs = b.programArgs ?? [];
      const cwd = b.cwd ?? process.cwd();
      checkProgram(programArgs, cwd);
      const jobConfig = jobConfiguration(ctx.config, b.config);
      const dispatcher = ctx.jobManager.dispatcher;
      if (b.jobId !== undefined && dispatcher.hasJob(b.jobId)) throw new HttpError(409, `A job with id ${b.jobId} already exists`);
      const cachedFiles = storedCachedFiles(blobDir, b.cachedFiles ?? []);
      const observed = b.observedBlob !== undefined ? readObserved(blobDir, b.observedBlob) : b.observed;
      const jobid = dispatcher.submit({
        ...(b.jobId !== undefined ? { jobId: b.jobId } : {}),
        jobGraph: b.jobGraph,
        bundle: { id: bundle.info.id, path: bundle.path },
        programArgs,
        cwd,
        executionIndex: b.executionIndex ?? 0,
        graphDefaults: b.graphDefaults,
        config: jobConfig,
        ...(b.structuralCheck ? { structuralCheck: true } : {}),
        ...(observed?.length ? { observed } : {}),
        ...(cachedFiles.length ? { cachedFiles } : {}),
      });
      return { jobid };
    },
  );
}

/** What main() saw of earlier executions, uploaded as a blob because it was large (BundleRunRequest.observedBlob). */
function readObserved(blobDir: string, blobId: string): ExecutionRecord[] {
  const path = blobPath(blobDir, blobId, 'file');
  if (!existsSync(path))
    throw new HttpError(404, `The records of earlier executions (blob ${blobId}) were not found: upload them first (POST /blobs/upload)`);
  const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(v)) throw new HttpError(400, `blob ${blobId} does not hold the records of earlier executions`);
  return v as ExecutionRecord[];
}

/** The submitted cached files with where their uploaded blobs are; each must have been uploaded, under a name of its own. */
function storedCachedFiles(blobDir: string, files: NonNullable<BundleRunRequest['cachedFiles']>): StoredCachedFile[] {
  return files.map((f, i) => {
    if (files.findIndex((g) => g.name === f.name) !== i)
      throw new HttpError(400, `body/cachedFiles/${i}/name repeats the name '${f.name}'`, 'WEIR_CACHED_FILE');
    const path = blobPath(blobDir, f.blobId, 'file');
    if (!existsSync(path))
      throw new HttpError(
        404,
        `Cached file '${f.name}' (blob ${f.blobId}) not found: upload it first (POST /blobs/upload)`,
        'WEIR_CACHED_FILE',
      );
    return { ...f, path };
  });
}
