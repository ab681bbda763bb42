/**
 * Runs one Weir measurement in this (fresh) process and prints it as one JSON line prefixed
 * `RESULT ` (the same shape as bench/measure.ts prints for the baselines). Plain JavaScript, run
 * by plain `node` as `weir run` is: under a TypeScript loader every worker thread would load the
 * loader too. The engine comes compiled from dist/ and is imported before the clock starts; the
 * measured run is runProgram(): bundling, cluster start, the job, teardown.
 *
 *   node bench/measure-weir.mjs --query q5 --events 1000000 --parallelism 2
 *   node bench/measure-weir.mjs --micro exchange --records 3000000 --parallelism 2
 *   node bench/measure-weir.mjs --micro backpressure --records 1500000 --rate 150000 --parallelism 2
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../dist/client/run-program.js';
import { Configuration } from '../dist/config/index.js';

const here = dirname(fileURLToPath(import.meta.url));

function opt(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

function peakRssMb() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage.rss() / (1024 * 1024);
}

/** Adds up the part files of a ChecksumSink (bench/nexmark/weir-sink.ts): count and two sums mod 2^32. */
function readChecksum(dir) {
  let count = 0;
  let s1 = 0;
  let s2 = 0;
  for (const f of readdirSync(dir)) {
    if (!f.startsWith('part-') || !f.endsWith('.json')) continue;
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    count += p.count;
    s1 = (s1 + p.s1) >>> 0;
    s2 = (s2 + p.s2) >>> 0;
  }
  return `${count}:${s1.toString(16).padStart(8, '0')}${s2.toString(16).padStart(8, '0')}`;
}

const parallelism = Number(opt('parallelism', '1'));
const micro = process.argv.includes('--micro') ? opt('micro') : undefined;
const query = micro ?? opt('query');
const events = Number(micro ? opt('records') : opt('events'));
const out = mkdtempSync(join(tmpdir(), `weir-bench-${query}-`));
let program;
let args;
if (micro === 'exchange') {
  program = join(here, 'micro', 'exchange-program.ts');
  args = ['--records', String(events), '--out', out];
} else if (micro === 'windows') {
  program = join(here, 'micro', 'windows-program.ts');
  args = ['--records', String(events), '--case', opt('case'), '--out', out];
} else if (micro === 'backpressure') {
  program = join(here, 'micro', 'backpressure-program.ts');
  args = ['--records', String(events), '--rate', opt('rate')];
} else {
  program = join(here, 'nexmark', 'weir-program.ts');
  args = ['--query', query, '--events', String(events), '--rate', opt('rate', '10000'), '--out', out];
}

const samples = [];
const t0 = performance.now();
const c0 = process.cpuUsage();
// The main thread only waits while the workers run: sampling here does not disturb the job.
const sampler = setInterval(() => samples.push([Math.round(performance.now() - t0), process.memoryUsage.rss() / (1024 * 1024)]), 250);
try {
  // --conf key=value (repeatable): configuration of the run, as weir run -D.
  const conf = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--conf' ? [a.split('=')] : []));
  const config = Configuration.fromEntries(Object.fromEntries(conf.map(([k, ...v]) => [k, v.join('=')])));
  const run = await runProgram({ program, args, parallelism, config });
  for (const r of run.results) {
    if (r.status !== 'FINISHED') throw new Error(`job ${r.jobName} ended ${r.status}: ${JSON.stringify(r.error ?? r).slice(0, 2000)}`);
  }
  clearInterval(sampler);
  const cpu = process.cpuUsage(c0);
  const wallMs = performance.now() - t0;
  const m = {
    impl: 'weir',
    query,
    events,
    parallelism,
    checksum: micro === 'backpressure' ? '' : readChecksum(micro ? out : join(out, query)),
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs,
    peakRssMb: peakRssMb(),
  };
  if (micro === 'backpressure') m.rss = samples;
  process.stdout.write(`RESULT ${JSON.stringify(m)}\n`);
} finally {
  clearInterval(sampler);
  rmSync(out, { recursive: true, force: true });
}
process.exit(0);
