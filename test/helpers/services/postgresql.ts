/**
 * A real PostgreSQL server for the tests (Debian's package, see test/services/postgresql.sh): a
 * fresh cluster made by initdb, started on a free loopback port with its socket in its own
 * directory, max_prepared_transactions > 0 (two-phase commit). As root it runs as the postgres
 * user, which PostgreSQL requires.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../ports.js';
import { ensureInstalled, startServer, type ServerProcess } from './server-process.js';

export interface PostgresServer {
  server: ServerProcess;
  port: number;
  /** postgresql://weir@127.0.0.1:<port>/weir */
  url: string;
  /** Runs one query on a fresh connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  stop(): Promise<void>;
}

function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

export async function startPostgres(): Promise<PostgresServer> {
  await ensureInstalled('postgresql', () => binDir() !== undefined);
  const bin = binDir()!;
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const pgUser = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : undefined;
  const pgGroup = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) : undefined;
  const run = (cmd: string, args: string[]): string[] => (asRoot ? ['runuser', '-u', 'postgres', '--', cmd, ...args] : [cmd, ...args]);
  const server = await startServer({
    name: 'postgresql',
    command: asRoot ? 'runuser' : join(bin, 'postgres'),
    args: (dir) => {
      const data = join(dir, 'data');
      if (asRoot) {
        chownSync(dir, pgUser!, pgGroup!);
        chmodSync(dir, 0o700);
      }
      const [c, ...a] = run(join(bin, 'initdb'), ['-D', data, '-U', 'weir', '--auth=trust', '-E', 'UTF8', '--no-sync']);
      execFileSync(c!, a, { stdio: 'pipe' });
      const serverArgs = [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${dir}`,
        '-c',
        'max_prepared_transactions=64',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ];
      return asRoot ? ['-u', 'postgres', '--', join(bin, 'postgres'), ...serverArgs] : serverArgs;
    },
    ready: async () => {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'weir', database: 'postgres' });
      await c.connect();
      try {
        const r = await c.query("SELECT 1 FROM pg_database WHERE datname = 'weir'");
        if (r.rowCount === 0) await c.query('CREATE DATABASE weir');
      } finally {
        await c.end();
      }
      return true;
    },
    readyMs: 60_000,
  });
  const url = `postgresql://weir@127.0.0.1:${port}/weir`;
  return {
    server,
    port,
    url,
    async query(sql, params) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return await c.query(sql, params);
      } finally {
        await c.end();
      }
    },
    stop: () => server.stop(),
  };
}
