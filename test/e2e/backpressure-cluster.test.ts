/**
 * Backpressure across processes: on a session cluster of two TaskManager processes, a slow sink
 * behind a keyBy slows the sources in both processes through the TCP data connection, the records
 * in flight stay bounded, and the TaskManagers' memory stays flat.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Configuration } from '../../dist/config/index.js';
import { runProgram } from '../../dist/client/run-program.js';
import { startCluster, stopCluster } from '../../dist/cluster/standalone/cluster-script.js';
import { RestClient } from '../../dist/rest/client.js';
import { freePort } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'weir-bp-cluster-'));
const pidDir = join(dir, 'pid');
after(async () => {
  await stopCluster({ pidDir });
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

test('a slow sink backpressures sources in other TaskManager processes; memory stays flat', async (t) => {
  const confDir = join(dir, 'conf');
  mkdirSync(confDir);
  const restPort = await freePort();
  writeFileSync(
    join(confDir, 'config.yaml'),
    `jobmanager.rpc.port: ${await freePort()}\nrest.port: ${restPort}\ntaskmanager.numberOfTaskSlots: 1\n`,
  );
  const cluster = await startCluster({ confDir, taskManagers: 2, logDir: join(dir, 'log'), pidDir });
  const rest = new RestClient({ url: `http://127.0.0.1:${restPort}` });
  const config = Configuration.fromEntries({ 'execution.target': 'remote', 'execution.attached': false, 'rest.port': restPort });
  const run = await runProgram({ program: 'test/programs/slow-sink-keyed.ts', config });
  const jobId = run.jobs[0]!.jobId;

  const samples: { t: number; out: number; sunk: number; rss: number[] }[] = [];
  const deadline = Date.now() + 30_000;
  // The pause is the sampling period of a measurement over time, not a synchronisation.
  while (samples.length < 16 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    const job = await rest.job(jobId);
    const [source, sink] = job.vertices;
    if (!source || !sink || sink.metrics['read-records'] === 0) continue;
    samples.push({
      t: Date.now(),
      out: source.metrics['write-records'],
      sunk: sink.metrics['read-records'],
      rss: cluster.taskManagerPids.map(rssMb),
    });
  }
  await rest.cancelJob(jobId);
  assert.ok(samples.length >= 10, `enough samples with records flowing (${samples.length})`);
  const first = samples[3]!;
  const last = samples.at(-1)!;
  const secs = (last.t - first.t) / 1000;
  const sourceRate = (last.out - first.out) / secs;
  const sinkRate = (last.sunk - first.sunk) / secs;
  const maxInFlight = Math.max(...samples.map((s) => s.out - s.sunk));
  const growth = Math.max(...last.rss.map((r, i) => r - first.rss[i]!));
  t.diagnostic(
    `source ${Math.round(sourceRate)}/s, sink ${Math.round(sinkRate)}/s, max in flight ${maxInFlight}, TaskManager RSS growth ${growth.toFixed(1)} MiB`,
  );
  // Two sink subtasks take at most 64 records per ms each; the generators could make millions per second.
  assert.ok(sinkRate < 160_000, `the sink is slow (${Math.round(sinkRate)}/s)`);
  assert.ok(
    sourceRate < sinkRate * 1.5 + 10_000,
    `the sources slowed to the sink's pace (${Math.round(sourceRate)}/s vs ${Math.round(sinkRate)}/s)`,
  );
  assert.ok(maxInFlight < 120_000, `records in flight stay bounded (${maxInFlight})`);
  assert.ok(growth < 100, `TaskManager memory stays flat (grew ${growth.toFixed(1)} MiB)`);
});
