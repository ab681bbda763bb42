/**
 * Storage benchmarks (`npm run bench -- --only storage`): checkpoint duration and size of 1 M keys
 * written to a local directory and to S3 (SeaweedFS on loopback, started here as the tests start
 * it), per backend (bench/checkpoint/backend-snapshot.ts with --storage), and the throughput of
 * PostgresSink per delivery guarantee against a PostgreSQL server started here. Each measurement
 * runs in its own process.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSeaweedS3 } from '../../test/helpers/services/seaweedfs.js';
import { startPostgres } from '../../test/helpers/services/postgresql.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface StorageSuiteOptions {
  keys: number;
  pgRecords: number;
}

export const DEFAULT_STORAGE_OPTIONS: StorageSuiteOptions = { keys: 1_000_000, pgRecords: 200_000 };

export interface StorageSuiteResult {
  checkpoints: { storage: 'local' | 's3'; backend: string; result: Record<string, unknown> }[];
  postgres: Record<string, unknown>[];
}

function measure(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`${script} ${args.join(' ')} exited ${code}: ${out.slice(-2000)}`));
      else resolve(JSON.parse(line.slice(7)) as Record<string, unknown>);
    });
  });
}

export async function runStorageSuite(o: StorageSuiteOptions): Promise<StorageSuiteResult> {
  const result: StorageSuiteResult = { checkpoints: [], postgres: [] };
  const s3 = await startSeaweedS3();
  try {
    await s3.createBucket('weir-bench');
    const snapshot = join(here, '..', 'checkpoint', 'backend-snapshot.ts');
    for (const backend of ['hashmap', 'lsm']) {
      for (const storage of ['local', 's3'] as const) {
        const args = ['--backend', backend, '--keys', String(o.keys)];
        if (storage === 's3') args.push('--storage', 's3://weir-bench/checkpoints');
        const r = await measure(snapshot, args, { WEIR_BENCH_FS_CONFIG: JSON.stringify(s3.config) });
        result.checkpoints.push({ storage, backend, result: r });
      }
    }
  } finally {
    await s3.stop();
  }
  const pg = await startPostgres();
  try {
    for (const [guarantee, upsert] of [
      ['AT_LEAST_ONCE', false],
      ['AT_LEAST_ONCE', true],
      ['EXACTLY_ONCE', false],
    ] as const) {
      const args = ['--url', pg.url, '--guarantee', guarantee, '--records', String(o.pgRecords)];
      if (upsert) args.push('--upsert');
      result.postgres.push(await measure(join(here, 'measure-pg.ts'), args));
    }
  } finally {
    await pg.stop();
  }
  return result;
}

export function reportStorageSuite(r: StorageSuiteResult): string[] {
  const lines: string[] = [];
  const log = (l: string): void => void lines.push(l);
  log('\n## Checkpoints to a local directory and to S3 (SeaweedFS on loopback)\n');
  log('| backend | storage | checkpoint | sync ms | async ms | total ms | bytes written | restore ms |');
  log('|---|---|---|---:|---:|---:|---:|---:|');
  for (const c of r.checkpoints) {
    const x = c.result as Record<string, { syncMs?: number; asyncMs?: number; totalMs?: number; uploadedBytes?: number; ms?: number }>;
    const restore = x.restore?.ms ?? '';
    for (const kind of ['full', 'incremental', 'canonical'] as const) {
      const p = x[kind];
      if (!p) continue;
      log(
        `| ${c.backend} | ${c.storage} | ${kind} | ${p.syncMs} | ${p.asyncMs} | ${p.totalMs} | ${p.uploadedBytes} | ${kind === 'full' ? restore : ''} |`,
      );
    }
  }
  log('\n## PostgresSink throughput (parallelism 1, batches of 1 000 rows, checkpoints every second)\n');
  log('| delivery guarantee | statement | records | seconds | records/s |');
  log('|---|---|---:|---:|---:|');
  for (const p of r.postgres)
    log(`| ${p.guarantee} | ${p.upsert ? 'upsert' : 'insert'} | ${p.records} | ${p.seconds} | ${p.recordsPerSecond} |`);
  return lines;
}
