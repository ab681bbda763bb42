/**
 * One run of the checkpoint benchmark's keyed job (bench/checkpoint/keyed-state-program.ts) on the
 * local mini-cluster, in this (fresh) process, with or without periodic checkpoints. Prints one JSON
 * line prefixed `RESULT `: the sink's records per time bucket (all subtasks added up), every
 * checkpoint's trigger time, duration and size (polled from the JobMaster while the job runs), and
 * the totals. Plain JavaScript run by plain `node`, as bench/measure-weir.mjs (worker threads run the
 * compiled engine, without a TypeScript loader).
 *
 *   node bench/checkpoint/measure-dip.mjs --backend hashmap --interval 1000 --records 5000000 --keys 1000000 --parallelism 1
 *
 * --interval 0 runs without checkpoints (the baseline). A state backend this build cannot run jobs
 * with gives `{"unavailable": "<reason>"}` instead of failing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../../dist/config/index.js';
import { LocalMiniCluster } from '../../dist/cluster/local-mini-cluster.js';
import { runProgram } from '../../dist/client/run-program.js';

const here = dirname(fileURLToPath(import.meta.url));

function opt(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

const backend = opt('backend', 'hashmap');
const interval = Number(opt('interval', '1000'));
const records = Number(opt('records', '5000000'));
const keys = Number(opt('keys', '1000000'));
const parallelism = Number(opt('parallelism', '1'));
const bucketMs = Number(opt('bucket-ms', '100'));

const work = mkdtempSync(join(tmpdir(), 'weir-bench-dip-'));
const out = join(work, 'out');
const entries = {
  'state.backend.type': backend,
  'execution.checkpointing.dir': join(work, 'checkpoints'),
  'restart-strategy.type': 'none',
};
if (interval > 0) entries['execution.checkpointing.interval'] = interval;
const cluster = new LocalMiniCluster({ slotsPerTaskManager: parallelism });
/** Checkpoints by id, as last seen in the JobMaster's statistics. */
const checkpoints = new Map();
let jobId;
let poller;
let result;
try {
  const poll = () => {
    if (jobId === undefined) return;
    for (const h of cluster.jobManager.dispatcher.job(jobId).checkpointStats().history) {
      checkpoints.set(h.id, {
        id: h.id,
        status: h.status,
        triggerTimestamp: h.trigger_timestamp,
        durationMs: h.end_to_end_duration,
        stateSize: h.state_size,
      });
    }
  };
  // The main thread only waits while the worker threads run the job: polling here costs them nothing.
  poller = setInterval(poll, 100);
  const t0 = Date.now();
  let run;
  try {
    run = await runProgram({
      program: join(here, 'keyed-state-program.ts'),
      args: ['--records', String(records), '--keys', String(keys), '--out', out, '--bucket-ms', String(bucketMs)],
      parallelism,
      cluster,
      config: Configuration.fromEntries(entries),
      listener: { onSubmitted: (j) => (jobId = j.jobId) },
    });
  } catch (e) {
    // A backend this build refuses for jobs (a configuration error, before the job starts).
    if (e?.code === 'WEIR_CONFIG_BAD_VALUE' && String(e.message).includes('state.backend.type')) {
      result = { backend, interval, unavailable: String(e.message) };
    } else throw e;
  }
  if (run) {
    const wallMs = Date.now() - t0;
    poll();
    const r = run.results[0];
    if (r.status !== 'FINISHED') throw new Error(`job ended ${r.status}: ${JSON.stringify(r.error ?? r).slice(0, 2000)}`);
    const buckets = new Map();
    let received = 0;
    let finalKeys = 0;
    let finalCountSum = 0;
    for (const f of readdirSync(out)) {
      if (!/^sink-\d+\.json$/.test(f)) continue;
      const s = JSON.parse(readFileSync(join(out, f), 'utf8'));
      received += s.received;
      finalKeys += s.finalKeys;
      finalCountSum += s.finalCountSum;
      for (const [b, n] of s.buckets) buckets.set(b, (buckets.get(b) ?? 0) + n);
    }
    result = {
      backend,
      interval,
      records,
      keys,
      parallelism,
      bucketMs,
      wallMs,
      received,
      finalKeys,
      finalCountSum,
      buckets: [...buckets.entries()].sort((a, b) => a[0] - b[0]),
      checkpoints: [...checkpoints.values()].sort((a, b) => a.id - b.id),
    };
  }
} finally {
  clearInterval(poller);
  await cluster.close();
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
