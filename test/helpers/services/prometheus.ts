/**
 * A real Prometheus (Debian package) for the tests: started on 127.0.0.1 and a free port with a
 * generated configuration that scrapes the given targets every `scrapeIntervalMs`, stopped by the
 * test. Queries go through Prometheus's HTTP API (`/api/v1/query`).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../ports.js';
import { ensureInstalled, startServer, type ServerProcess } from './server-process.js';

const BINARY = '/usr/bin/prometheus';

export interface Prometheus {
  readonly url: string;
  readonly server: ServerProcess;
  /** An instant PromQL query: the result vector (labels and value). */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  /** The scrape targets and their health. */
  targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: string[], scrapeIntervalMs = 1000): Promise<Prometheus> {
  await ensureInstalled('prometheus', () => existsSync(BINARY));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServer({
    name: 'prometheus',
    command: BINARY,
    args: (dir) => {
      const config = join(dir, 'prometheus.yml');
      writeFileSync(
        config,
        [
          'global:',
          `  scrape_interval: ${scrapeIntervalMs}ms`,
          `  evaluation_interval: ${scrapeIntervalMs}ms`,
          'scrape_configs:',
          '  - job_name: weir',
          '    static_configs:',
          `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
          '',
        ].join('\n'),
      );
      return [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ];
    },
    ready: async () => (await fetch(`${url}/-/ready`)).ok,
  });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    url,
    server,
    async query(promql) {
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `/api/v1/query?query=${encodeURIComponent(promql)}`,
      );
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = await api<{ activeTargets: { scrapeUrl: string; health: string; lastError: string }[] }>('/api/v1/targets');
      return data.activeTargets;
    },
    stop: () => server.stop(),
  };
}
