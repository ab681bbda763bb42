/**
 * The async I/O benchmark: bench/async/async-program.ts on the embedded cluster at parallelism 1,
 * a service latency of 5 ms, for several capacities. Time is from submission to the job's end.
 */
import { join } from 'node:path';
import { runProgram } from '../../dist/client/run-program.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';

export interface AsyncRow {
  capacity: number;
  records: number;
  latencyMs: number;
  seconds: number;
  perSecond: number;
  ideal: number;
}

export async function runAsyncSuite(benchDir: string, log: (s: string) => void): Promise<AsyncRow[]> {
  const cluster = new LocalMiniCluster({ slotsPerTaskManager: 1 });
  const rows: AsyncRow[] = [];
  const latencyMs = 5;
  try {
    for (const capacity of [1, 10, 100, 500]) {
      const records = Math.min(50_000, capacity * 400);
      log(`  async I/O, capacity ${capacity}...\n`);
      let submitted = 0;
      const r = await runProgram({
        program: join(benchDir, 'async', 'async-program.ts'),
        args: ['--records', String(records), '--latency', String(latencyMs), '--capacity', String(capacity)],
        parallelism: 1,
        cluster,
        listener: { onSubmitted: () => (submitted = performance.now()) },
      });
      const seconds = (performance.now() - submitted) / 1000;
      if (r.results[0]?.status !== 'FINISHED') throw new Error(`async benchmark job ended ${String(r.results[0]?.status)}`);
      rows.push({ capacity, records, latencyMs, seconds, perSecond: records / seconds, ideal: (capacity * 1000) / latencyMs });
    }
  } finally {
    await cluster.close();
  }
  return rows;
}

export function reportAsyncSuite(rows: AsyncRow[]): string[] {
  const lines = ['', `### Async I/O (unorderedWait, service latency ${rows[0]?.latencyMs ?? 5} ms, parallelism 1)`, ''];
  lines.push('| capacity | records | s | records/s | capacity / latency | share |', '|---|---|---|---|---|---|');
  for (const r of rows) {
    lines.push(
      `| ${r.capacity} | ${r.records} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${Math.round(r.ideal)} | ${((100 * r.perSecond) / r.ideal).toFixed(0)}% |`,
    );
  }
  return lines;
}
