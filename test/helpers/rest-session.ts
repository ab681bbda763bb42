/**
 * The session cluster the REST end-to-end tests talk to (a LocalMiniCluster behind startRestServer,
 * reached through RemoteClusterClient, plain fetch and the real `weir` command), and the helpers
 * they share: bounded waits, HTTP calls, plan-mode submissions and the rest-count program's sums.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleProgram, type Bundle } from '../../dist/client/bundler.js';
import { inspectProgram } from '../../dist/client/inspect-program.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { RemoteClusterClient } from '../../dist/client/remote-cluster-client.js';
import { graphDefaults } from '../../dist/client/run-program.js';
import { Configuration } from '../../dist/config/index.js';
import type { JobResult } from '../../dist/runtime/jobmanager/job-master.js';
import { startRestServer, type RestServer } from '../../dist/rest/server.js';

const WEIR = join(process.cwd(), 'bin', 'weir.mjs');
const NO_CONF = join(tmpdir(), 'weir-no-conf');

/** Rejects when `p` takes longer than `ms`: every wait of the REST tests is bounded. */
export function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]);
}

export function weir(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WEIR, ...args],
      { timeout: 60_000, env: { ...process.env, WEIR_CONF_DIR: NO_CONF } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export async function http(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> & { errors?: string[] }; headers: Headers }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

export function keys(o: unknown): string[] {
  return Object.keys(o as object).sort();
}

export function assertHasKeys(o: unknown, expected: string[], where: string): void {
  const got = new Set(keys(o));
  for (const k of expected) assert.ok(got.has(k), `${where} has '${k}' (got ${[...got].join(', ')})`);
}

/** What plan mode produces for a program: the submission and its bundle, without running anything. */
export async function prepare(program: string, args: string[], parallelism?: number) {
  const config = Configuration.fromEntries({});
  const bundle: Bundle = await bundleProgram(program);
  const { jobGraph } = await within(30_000, inspectProgram(program, args, config, parallelism), `plan of ${program}`);
  return {
    bundle,
    request: {
      jobGraph,
      programArgs: args,
      cwd: process.cwd(),
      executionIndex: 0,
      graphDefaults: graphDefaults(config, parallelism),
      config: config.toJSON() as Record<string, unknown>,
    },
  };
}

/** The three sums of 1..n by x % 3, as test/programs/rest-count.ts collects them. */
export function expectedSums(n: number): { k: number; v: number }[] {
  const sums = [0, 0, 0];
  for (let x = 1; x <= n; x++) sums[x % 3]! += x;
  return sums.map((v, k) => ({ k, v }));
}

export function collectedSums(r: JobResult): { k: number; v: number }[] {
  return ((r.collected['collect-0'] ?? []) as { k: number; v: number }[]).slice().sort((a, b) => a.k - b.k);
}

export interface RestSession {
  cluster: LocalMiniCluster;
  server: RestServer;
  client: RemoteClusterClient;
  /** The REST server's port. */
  port: string;
  /** Where the server keeps uploaded bundles and large results. */
  blobDir: string;
  close(): Promise<void>;
}

/** A mini-cluster with 4 slots behind a REST server on a free port, and a client of it. */
export async function startRestSession(): Promise<RestSession> {
  const blobDir = mkdtempSync(join(tmpdir(), 'weir-rest-blobs-'));
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 4 });
  const server = await startRestServer({ jobManager: cluster.jobManager, config: Configuration.fromEntries({ 'rest.port': 0 }), blobDir });
  const client = new RemoteClusterClient({ url: server.url });
  return {
    cluster,
    server,
    client,
    port: new URL(server.url).port,
    blobDir,
    async close() {
      await client.close();
      await server.close();
      await cluster.close();
    },
  };
}
