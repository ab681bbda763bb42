/**
 * The benchmark suite: Nexmark queries side by side (Weir, fused loop, RxJS, Apache Flink), the keyed-exchange
 * micro-benchmark, the backpressure benchmark, the checkpoint benchmark (bench/checkpoint/) and the
 * deployment-mode benchmark (bench/deployment/). Every measurement runs in its own process
 * (bench/measure.ts for the baselines, bench/measure-weir.mjs for Weir) so JIT state and memory of
 * one never affect another.
 *
 *   npm run bench                                    every query, default sizes, then the micro-benchmarks
 *   npm run bench -- q5 --events 10000000 --parallelism 2
 *   npm run bench -- q0 q1 q2 --impl weir,fused --repeat 3
 *   npm run bench -- --only micro
 *   npm run bench -- --only checkpoint
 *   npm run bench -- --only deployment
 *   npm run bench -- --only async
 *   npm run bench -- --only metrics                  q0 and q1 with the metric system's periodic work on and off
 *   npm run bench -- --only storage                   checkpoints to S3 vs a local directory, PostgresSink throughput
 *   npm run bench -- --only ha                        leader kill → new leader → job RUNNING, etcd and ZooKeeper
 *   npm run bench -- --only kafka                     Kafka → Weir → Kafka on a real broker (needs Java and Maven)
 *   npm run bench -- --only nats                      NATS → Weir → NATS on a real nats-server with JetStream
 *   npm run bench -- --only kubernetes                start-up of Kubernetes application and session clusters (test control plane)
 *
 * Options: --events N (all queries), --parallelism P[,P2] (Weir and Flink; default 1), --impl list
 * (weir,fused,rx,flink: Flink only when java and mvn are on PATH, see bench/nexmark/flink.ts),
 * --flink-repeat N (runs of each query in one JVM: the first is reported, the best is the warm-JVM note; default 3),
 * --repeat N (best of N by CPU time), --rate R (events per second of event time),
 * --exchange-records N, --bp-records N, --window-records N, --bp-rate R, --only <section>, --kafka-records N, --nats-records N, --json FILE,
 * --cpu-prof DIR (V8 CPU profiles of the Weir runs, one file per thread, into DIR); checkpoint
 * benchmark: --cp-keys N, --cp-dip-keys N[,N2], --cp-dip-records N, --cp-dip-parallelism P,
 * --cp-interval MS, --cp-kills N, --cp-recovery-parallelism P, --cp-restart-delay MS; deployment
 * benchmark: --deploy-runs N, --deploy-records N, --deploy-parallelism P, --deploy-slots S, --deploy-modes list; storage benchmark: --storage-keys N, --pg-records N.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DEPLOYMENT_OPTIONS, reportDeploymentSuite, runDeploymentSuite, type DeploymentSuiteOptions } from './deployment/suite.js';
import { isDeploymentMode, type DeploymentModeResult } from './deployment/results.js';
import { reportCheckpointSuite, runCheckpointSuite, type CheckpointSuiteOptions, type CheckpointSuiteResult } from './checkpoint/suite.js';
import type { Measurement } from './measure.js';
import { reportAsyncSuite, runAsyncSuite } from './async/suite.js';
import { reportMetricsOverhead, runMetricsOverhead, type MetricsOverheadResult } from './metrics/overhead.js';
import {
  DEFAULT_STORAGE_OPTIONS,
  reportStorageSuite,
  runStorageSuite,
  type StorageSuiteOptions,
  type StorageSuiteResult,
} from './storage/suite.js';
import { DEFAULT_KAFKA_OPTIONS, reportKafkaSuite, runKafkaSuite, type KafkaSuiteOptions } from './kafka/suite.js';
import { reportHaSuite, runHaSuite, type HaBackendResult, type HaSuiteOptions } from './ha/suite.js';
import { reportKubernetesSuite, runKubernetesSuite, type KubernetesSuiteResult } from './kubernetes/suite.js';
import { DEFAULT_NATS_OPTIONS, reportNatsSuite, runNatsSuite, type NatsSuiteOptions } from './nats/suite.js';
import { isQueryName, QUERIES, QUERY_INFO, type QueryName } from './nexmark/queries.js';
import { flinkClasspath, flinkUnavailable, runFlink, type FlinkMeasurement } from './nexmark/flink.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Default events per query: sized so the whole default run takes a few minutes on 2 cores. */
const DEFAULT_EVENTS: Record<QueryName, number> = {
  q0: 5_000_000,
  q1: 5_000_000,
  q2: 5_000_000,
  q3: 5_000_000,
  q4: 2_000_000,
  q5: 1_000_000,
  q7: 2_000_000,
  q8: 5_000_000,
  q11: 1_000_000,
};

/** Targets as fractions of the fused loop's events per CPU-second. */
// q0-q2 (stateless, chained) at parallelism 1; the stateful queries at every parallelism.
const FUSED_TARGET: Partial<Record<QueryName, number>> = { q0: 0.85, q1: 0.85, q2: 0.85, q4: 0.5, q5: 0.5, q7: 0.5, q11: 0.5 };
const STATELESS_TARGET: ReadonlySet<QueryName> = new Set<QueryName>(['q0', 'q1', 'q2']);
const EXCHANGE_TARGET = 1_500_000;

interface Args {
  queries: QueryName[];
  events: number | undefined;
  parallelism: number[];
  impls: string[];
  repeat: number;
  flinkRepeat: number;
  rate: number;
  only: Section | undefined;
  exchangeRecords: number;
  bpRecords: number;
  windowRecords: number;
  bpRate: number;
  json: string | undefined;
  cpuProf: string | undefined;
  /** -D key=value: configuration of the Weir runs (as weir run -D). */
  conf: string[];
  checkpoint: CheckpointSuiteOptions;
  deployment: DeploymentSuiteOptions;
  storage: StorageSuiteOptions;
  kafka: KafkaSuiteOptions;
  ha: HaSuiteOptions;
  nats: NatsSuiteOptions;
}

type Section = 'nexmark' | 'micro' | 'checkpoint' | 'deployment' | 'async' | 'metrics' | 'storage' | 'kafka' | 'nats' | 'ha' | 'kubernetes';
const SECTIONS: readonly Section[] = [
  'nexmark',
  'micro',
  'checkpoint',
  'deployment',
  'async',
  'metrics',
  'storage',
  'kafka',
  'nats',
  'ha',
  'kubernetes',
];

function parseArgs(argv: string[]): Args {
  const a: Args = {
    queries: [],
    events: undefined,
    parallelism: [1],
    impls: ['weir', 'fused', 'rx', 'flink'],
    repeat: 1,
    flinkRepeat: 3,
    rate: 10_000,
    only: undefined,
    exchangeRecords: 5_000_000,
    bpRecords: 1_500_000,
    windowRecords: 500_000,
    bpRate: 150_000,
    json: undefined,
    cpuProf: undefined,
    conf: [],
    checkpoint: {
      keys: 1_000_000,
      dipKeys: [100_000, 1_000_000],
      dipRecords: 6_000_000,
      dipParallelism: 1,
      dipInterval: 1000,
      kills: 5,
      recoveryParallelism: 2,
      recoveryKeys: 100_000,
      recoveryRate: 50_000,
      restartDelayMs: 100,
    },
    deployment: { ...DEFAULT_DEPLOYMENT_OPTIONS },
    storage: { ...DEFAULT_STORAGE_OPTIONS },
    kafka: { ...DEFAULT_KAFKA_OPTIONS },
    ha: { kills: 10, backends: ['etcd', 'zookeeper'] },
    nats: { ...DEFAULT_NATS_OPTIONS },
  };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${s} needs a value`);
      return v;
    };
    if (isQueryName(s)) a.queries.push(s);
    else if (s === '--events') a.events = Number(next());
    else if (s === '--parallelism' || s === '-p') a.parallelism = next().split(',').map(Number);
    else if (s === '--impl') a.impls = next().split(',');
    else if (s === '--repeat') a.repeat = Number(next());
    else if (s === '--flink-repeat') a.flinkRepeat = Number(next());
    else if (s === '--rate') a.rate = Number(next());
    else if (s === '--only') {
      const v = next();
      if (!SECTIONS.includes(v as Section)) throw new Error(`--only takes one of ${SECTIONS.join(', ')}, got '${v}'`);
      a.only = v as Section;
    } else if (s === '--exchange-records') a.exchangeRecords = Number(next());
    else if (s === '--bp-records') a.bpRecords = Number(next());
    else if (s === '--window-records') a.windowRecords = Number(next());
    else if (s === '--bp-rate') a.bpRate = Number(next());
    else if (s === '--json') a.json = next();
    else if (s === '--kafka-records') a.kafka.records = Number(next());
    else if (s === '--nats-records') a.nats.records = Number(next());
    else if (s === '--cpu-prof') a.cpuProf = next();
    else if (s === '-D') a.conf.push(next());
    else if (s === '--cp-keys') a.checkpoint.keys = Number(next());
    else if (s === '--cp-dip-keys') a.checkpoint.dipKeys = next().split(',').map(Number);
    else if (s === '--cp-dip-records') a.checkpoint.dipRecords = Number(next());
    else if (s === '--cp-dip-parallelism') a.checkpoint.dipParallelism = Number(next());
    else if (s === '--cp-interval') a.checkpoint.dipInterval = Number(next());
    else if (s === '--cp-kills') a.checkpoint.kills = Number(next());
    else if (s === '--cp-recovery-parallelism') a.checkpoint.recoveryParallelism = Number(next());
    else if (s === '--cp-restart-delay') a.checkpoint.restartDelayMs = Number(next());
    else if (s === '--ha-kills') a.ha.kills = Number(next());
    else if (s === '--ha-backends') a.ha.backends = next().split(',') as HaSuiteOptions['backends'];
    else if (s === '--deploy-runs') a.deployment.runs = Number(next());
    else if (s === '--storage-keys') a.storage.keys = Number(next());
    else if (s === '--pg-records') a.storage.pgRecords = Number(next());
    else if (s === '--deploy-records') a.deployment.records = Number(next());
    else if (s === '--deploy-parallelism') a.deployment.parallelism = Number(next());
    else if (s === '--deploy-slots') a.deployment.slots = Number(next());
    else if (s === '--deploy-modes') {
      const modes = next().split(',');
      const bad = modes.find((m) => !isDeploymentMode(m));
      if (bad !== undefined) throw new Error(`--deploy-modes: unknown mode '${bad}'`);
      a.deployment.modes = modes.filter(isDeploymentMode);
    } else throw new Error(`unknown argument '${s}' (queries: ${QUERIES.join(' ')})`);
  }
  // Naming queries runs just those; naming nothing runs everything.
  if (a.queries.length === 0 && (a.only === undefined || a.only === 'nexmark')) a.queries = [...QUERIES];
  if (a.queries.length > 0 && a.only === undefined && argv.some((s) => isQueryName(s))) a.only = 'nexmark';
  return a;
}

let cpuProfDir: string | undefined;
const flinkRuns = new Map<string, FlinkMeasurement>();

/** Weir against Flink (first run, fresh JVM; target ≥ 100%) and against the warm JVM's best run. */
function flinkRatios(w: Measurement, f: FlinkMeasurement | undefined): string[] {
  if (!f) return ['-', '-', '-'];
  const cold = perCpuSecond(w) / perCpuSecond(f);
  const warm = perCpuSecond(w) / (f.events / (f.best.cpuMs / 1000));
  return [`${(cold * 100).toFixed(0)}%`, cold >= 1 ? 'yes' : 'NO', `${(warm * 100).toFixed(0)}%`];
}

function measure(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const weir = args.includes('--micro') || args[args.indexOf('--impl') + 1] === 'weir';
    const prof = weir && cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
    const cmd = weir
      ? [...prof, join(here, 'measure-weir.mjs'), ...args.filter((_, i) => args[i] !== '--impl' && args[i - 1] !== '--impl')]
      : ['--import', 'tsx', join(here, 'measure.ts'), ...args];
    const child = spawn(process.execPath, cmd, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`measure ${args.join(' ')} failed (exit ${code}):\n${out}`));
      else resolve(JSON.parse(line.slice(7)) as Measurement);
    });
  });
}

/** Best of `repeat` runs (lowest CPU time); the checksum must be the same every time. */
async function best(args: string[], repeat: number): Promise<Measurement> {
  let b: Measurement | undefined;
  for (let i = 0; i < repeat; i++) {
    const m = await measure(args);
    if (b && m.checksum !== b.checksum)
      throw new Error(`checksum changed between runs of ${args.join(' ')}: ${b.checksum} vs ${m.checksum}`);
    if (!b || m.cpuMs < b.cpuMs) b = m;
  }
  return b!;
}

const perCpuSecond = (m: Measurement): number => m.events / (m.cpuMs / 1000);

function fmtRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(0)} k`;
  return x.toFixed(0);
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(header), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

interface QueryResult {
  query: QueryName;
  parallelism: number;
  runs: Record<string, Measurement>;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  cpuProfDir = a.cpuProf;
  const started = Date.now();
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
  const results: QueryResult[] = [];
  const lines: string[] = [];

  if (a.only === undefined || a.only === 'nexmark') {
    // Flink runs only where Java and Maven are; otherwise the report says why it is missing.
    let flinkCp: string | undefined;
    if (a.impls.includes('flink')) {
      const reason = flinkUnavailable();
      try {
        if (reason === undefined) flinkCp = await flinkClasspath();
      } catch (e) {
        lines.push('', `**Flink: skipped: ${(e as Error).message.split('\n')[0]}**`);
      }
      if (reason !== undefined) lines.push('', `Flink: skipped: ${reason}.`);
      if (flinkCp === undefined) process.stderr.write(`  Flink skipped: ${reason ?? 'build failed'}\n`);
    }
    const mismatches: string[] = [];
    for (const q of a.queries) {
      const events = a.events ?? DEFAULT_EVENTS[q];
      const base = ['--query', q, '--events', String(events), '--rate', String(a.rate)];
      const baselines: Record<string, Measurement> = {};
      for (const impl of a.impls.filter((i) => i !== 'weir' && i !== 'flink')) {
        baselines[impl] = await best(['--impl', impl, ...base], a.repeat);
        process.stderr.write(`  ${q} ${impl}: ${fmtRate(perCpuSecond(baselines[impl]))} ev/CPU-s\n`);
      }
      const ps = a.impls.includes('weir') || flinkCp !== undefined ? a.parallelism : [0];
      for (const p of ps) {
        const runs: Record<string, Measurement> = { ...baselines };
        if (p > 0 && a.impls.includes('weir')) {
          const conf = a.conf.flatMap((kv) => ['--conf', kv]);
          runs.weir = await best(['--impl', 'weir', '--parallelism', String(p), ...conf, ...base], a.repeat);
          process.stderr.write(`  ${q} weir p${p}: ${fmtRate(perCpuSecond(runs.weir))} ev/CPU-s\n`);
        }
        if (p > 0 && flinkCp !== undefined) {
          const [f] = await runFlink({ classpath: flinkCp, queries: [q], events, rate: a.rate, parallelism: p, repeat: a.flinkRepeat });
          const ref = Object.values(runs)[0];
          if (ref && f!.checksum !== ref.checksum) {
            const msg = `${q} p${p}: FLINK CHECKSUM DIFFERS: flink=${f!.checksum} ${ref.impl}=${ref.checksum}`;
            mismatches.push(msg);
            process.stderr.write(`\n!!!!!!!! ${msg} !!!!!!!!\n\n`);
          }
          process.stderr.write(
            `  ${q} flink p${p}: ${fmtRate(perCpuSecond(f!))} ev/CPU-s (warm ${fmtRate(f!.events / (f!.best.cpuMs / 1000))})\n`,
          );
          flinkRuns.set(`${q}/${p}`, f!);
        }
        const sums = new Set(Object.values(runs).map((m) => m.checksum));
        if (sums.size > 1) {
          throw new Error(
            `${q}: checksums differ: ${Object.entries(runs)
              .map(([k, m]) => `${k}=${m.checksum}`)
              .join(' ')}`,
          );
        }
        const f = flinkRuns.get(`${q}/${p}`);
        results.push({ query: q, parallelism: p, runs: f ? { ...runs, flink: f } : runs });
      }
    }
    const header = ['query', 'events', 'impl', 'p', 'events/CPU-s', 'wall s', 'CPU s', 'peak RSS MB', 'checksum'];
    const rows: string[][] = [];
    const row = (q: QueryName, impl: string, m: Measurement): string[] => [
      q,
      String(m.events),
      impl,
      String(m.parallelism),
      fmtRate(perCpuSecond(m)),
      (m.wallMs / 1000).toFixed(2),
      (m.cpuMs / 1000).toFixed(2),
      m.peakRssMb.toFixed(0),
      m.checksum,
    ];
    for (const q of a.queries) {
      const rs = results.filter((r) => r.query === q);
      for (const r of rs) if (r.runs.weir) rows.push(row(q, 'weir', r.runs.weir));
      for (const [impl, m] of Object.entries(rs[0]?.runs ?? {})) if (impl !== 'weir' && impl !== 'flink') rows.push(row(q, impl, m));
      for (const r of rs) {
        const f = r.runs.flink as FlinkMeasurement | undefined;
        if (!f) continue;
        rows.push(row(q, 'flink', f));
        if (f.runs > 1) rows.push(row(q, `flink warm (best of ${f.runs})`, { ...f, ...f.best }));
      }
    }
    lines.push('', '### Nexmark: each implementation', '', table(header, rows));
    if (flinkCp !== undefined) {
      const f = results.map((r) => r.runs.flink as FlinkMeasurement | undefined).find((m) => m);
      lines.push(
        '',
        `flink: Apache Flink ${f?.flinkVersion ?? '?'} on Java ${f?.java ?? '?'}, local MiniCluster, object reuse on; CPU of the whole JVM ` +
          `around env.execute() (MiniCluster start, job, teardown), first run in a fresh JVM; "warm" is the best of ` +
          `${a.flinkRepeat} runs in the same JVM (JIT warmed up by the earlier runs).`,
      );
    }
    if (mismatches.length > 0) lines.push('', '**CHECKSUMS DIFFER (Flink vs the others):**', '', ...mismatches.map((m) => `- ${m}`));

    const cmpHeader = [
      'query',
      'p',
      'Weir/fused',
      'target',
      'met?',
      'Weir/RxJS',
      'target',
      'met?',
      'Weir/Flink',
      'met?',
      'Weir/Flink warm',
      'wall Weir/fused',
    ];
    const cmp: string[][] = [];
    for (const r of results) {
      const w = r.runs.weir;
      if (!w) continue;
      const f = r.runs.fused;
      const x = r.runs.rx;
      // the q0-q2 target is for the chained pipeline at parallelism 1
      const tf = r.parallelism !== 1 && STATELESS_TARGET.has(r.query) ? undefined : FUSED_TARGET[r.query];
      const rf = f ? perCpuSecond(w) / perCpuSecond(f) : undefined;
      const rx = x ? perCpuSecond(w) / perCpuSecond(x) : undefined;
      cmp.push([
        `${r.query} ${QUERY_INFO[r.query].description}`,
        String(r.parallelism),
        rf === undefined ? '-' : `${(rf * 100).toFixed(0)}%`,
        tf === undefined ? '-' : `≥ ${tf * 100}%${STATELESS_TARGET.has(r.query) ? ' (p1)' : ''}`,
        tf === undefined || rf === undefined ? '-' : rf >= tf ? 'yes' : 'NO',
        rx === undefined ? '-' : `${(rx * 100).toFixed(0)}%`,
        '≥ 100%',
        rx === undefined ? '-' : rx >= 1 ? 'yes' : 'NO',
        ...flinkRatios(w, r.runs.flink as FlinkMeasurement | undefined),
        f ? `${(w.wallMs / f.wallMs).toFixed(2)}×` : '-',
      ]);
    }
    lines.push('', '### Nexmark: Weir against the baselines (events per CPU-second)', '', table(cmpHeader, cmp));
    if (mismatches.length > 0) {
      process.exitCode = 1;
      console.error(`\n!!!!!!!! ${mismatches.length} Flink checksum(s) differ from Weir's and the baselines':\n${mismatches.join('\n')}\n`);
    }
  }

  let exchange: Measurement | undefined;
  let bp: Measurement | undefined;
  if (a.only === undefined || a.only === 'micro') {
    process.stderr.write('  keyed exchange...\n');
    exchange = await best(['--micro', 'exchange', '--records', String(a.exchangeRecords), '--parallelism', '2'], a.repeat);
    const rate = perCpuSecond(exchange);
    lines.push(
      '',
      '### Keyed exchange (hash shuffle between two slots, parallelism 2)',
      '',
      table(
        ['records', 'records/CPU-s', 'records/s (wall)', 'CPU s', 'wall s', 'peak RSS MB', 'target', 'met?'],
        [
          [
            String(exchange.events),
            fmtRate(rate),
            fmtRate(exchange.events / (exchange.wallMs / 1000)),
            (exchange.cpuMs / 1000).toFixed(2),
            (exchange.wallMs / 1000).toFixed(2),
            exchange.peakRssMb.toFixed(0),
            `≥ ${fmtRate(EXCHANGE_TARGET)}`,
            rate >= EXCHANGE_TARGET ? 'yes' : 'NO',
          ],
        ],
      ),
    );
    if (exchange.checksum.split(':')[0] !== String(exchange.events)) {
      throw new Error(`keyed exchange lost records: ${exchange.checksum} for ${exchange.events} records`);
    }
    process.stderr.write('  backpressure...\n');
    bp = await measure(['--micro', 'backpressure', '--records', String(a.bpRecords), '--rate', String(a.bpRate), '--parallelism', '2']);
    const samples = bp.rss ?? [];
    const every = Math.max(1, Math.round(samples.length / 12));
    const shown = samples.filter((_, i) => i % every === 0 || i === samples.length - 1);
    // flat: after the first second (start-up), RSS grows by less than 10% or 20 MB up to the end
    const settled = samples.filter(([t]) => t >= 1000).map(([, mb]) => mb);
    const first = settled[0] ?? 0;
    const max = Math.max(...settled);
    const growth = max - first;
    const flat = growth <= Math.max(20, first * 0.1);
    lines.push(
      '',
      `### Backpressure (sink takes ${fmtRate(a.bpRate)} records/s, source unthrottled, ${bp.events} records, parallelism 2)`,
      '',
      `records/s (wall): ${fmtRate(bp.events / (bp.wallMs / 1000))}; RSS after start-up ${first.toFixed(0)} MB, max ${max.toFixed(0)} MB ` +
        `(+${growth.toFixed(0)} MB): ${flat ? 'flat' : 'GROWING'}`,
      '',
      table(['t (s)', ...shown.map(([t]) => (t / 1000).toFixed(1))], [['RSS MB', ...shown.map(([, mb]) => mb.toFixed(0))]]),
    );
  }

  if (a.only === undefined || a.only === 'micro') {
    process.stderr.write('  windows...\n');
    const rows: string[][] = [];
    for (const c of ['time', 'count', 'sliding', 'delta']) {
      const m = await best(['--micro', 'windows', '--case', c, '--records', String(a.windowRecords), '--parallelism', '2'], a.repeat);
      rows.push([
        c,
        String(m.events),
        fmtRate(perCpuSecond(m)),
        fmtRate(m.events / (m.wallMs / 1000)),
        (m.cpuMs / 1000).toFixed(2),
        m.peakRssMb.toFixed(0),
      ]);
    }
    lines.push(
      '',
      '### Windows (100 keys, parallelism 2): default trigger vs the trigger/evictor operator',
      '',
      table(['case', 'records', 'records/CPU-s', 'records/s (wall)', 'CPU s', 'peak RSS MB'], rows),
    );
  }

  let session: SessionLatency | undefined;
  if (a.only === undefined || a.only === 'micro') {
    process.stderr.write('  session submit latency...\n');
    session = await sessionLatency();
    const row = (label: string, m: { median: number; min: number; max: number }, target: string, met: string): string[] => [
      label,
      m.median.toFixed(0),
      m.min.toFixed(0),
      m.max.toFixed(0),
      target,
      met,
    ];
    lines.push(
      '',
      `### Session mode: submission to RUNNING (a JobManager and a TaskManager process, ${session.runs} runs after a warm-up)`,
      '',
      table(
        ['from → to', 'median ms', 'min ms', 'max ms', 'target', 'met?'],
        [
          row('submit → job RUNNING', session.submitToRunningMs, '≤ 100 ms', session.submitToRunningMs.median <= 100 ? 'yes' : 'NO'),
          row('submit → every task RUNNING', session.submitToTasksRunningMs, '-', '-'),
          row('weir run (bundle, main()) → job RUNNING', session.weirRunToRunningMs, '-', '-'),
        ],
      ),
    );
  }

  let checkpoint: CheckpointSuiteResult | undefined;
  let metricsOverhead: MetricsOverheadResult[] | undefined;
  if (a.only === undefined || a.only === 'metrics') {
    const events = a.events ?? 3_000_000;
    metricsOverhead = await runMetricsOverhead(
      { queries: ['q0', 'q1'], events, parallelism: a.parallelism[0] ?? 1, rounds: Math.max(3, a.repeat) },
      measure,
      (s) => process.stderr.write(s),
    );
    lines.push(...reportMetricsOverhead(metricsOverhead, events));
  }

  if (a.only === undefined || a.only === 'checkpoint') {
    checkpoint = await runCheckpointSuite(a.checkpoint, (s) => process.stderr.write(s));
    lines.push(...reportCheckpointSuite(checkpoint, a.checkpoint));
  }

  let deployment: DeploymentModeResult[] | undefined;
  if (a.only === undefined || a.only === 'deployment') {
    deployment = await runDeploymentSuite(a.deployment, (s) => process.stderr.write(s));
    lines.push(...reportDeploymentSuite(deployment, a.deployment));
  }

  if (a.only === undefined || a.only === 'async')
    lines.push(...reportAsyncSuite(await runAsyncSuite(here, (s) => process.stderr.write(s))));
  let storage: StorageSuiteResult | undefined;
  if (a.only === undefined || a.only === 'storage') {
    storage = await runStorageSuite(a.storage);
    lines.push(...reportStorageSuite(storage));
  }
  let kafka: Awaited<ReturnType<typeof runKafkaSuite>> | undefined;
  if (a.only === undefined || a.only === 'kafka') {
    try {
      kafka = await runKafkaSuite(a.kafka, (s) => process.stderr.write(s));
      lines.push(...reportKafkaSuite(kafka, a.kafka));
    } catch (e) {
      // Said plainly in the report (e.g. no Java or Maven on this machine), not silently left out.
      lines.push(`Kafka → Weir → Kafka: not measured: ${(e as Error).message.split('\n')[0]}`);
      if (a.only === 'kafka') throw e;
    }
  }
  let ha: HaBackendResult[] | undefined;
  // Only on request: it needs the etcd and ZooKeeper servers (test/services/).
  if (a.only === 'ha') {
    ha = await runHaSuite(a.ha, (s) => process.stderr.write(s));
    lines.push(...reportHaSuite(ha, a.ha));
  }

  let kubernetes: KubernetesSuiteResult | undefined;
  // Only on request: it needs the Kubernetes control plane of the tests (test/services/kubernetes.sh).
  if (a.only === 'kubernetes') {
    kubernetes = await runKubernetesSuite({ runs: 3 }, (s) => process.stderr.write(s));
    lines.push(...reportKubernetesSuite(kubernetes, { runs: 3 }));
  }

  let nats: Awaited<ReturnType<typeof runNatsSuite>> | undefined;
  if (a.only === undefined || a.only === 'nats') {
    try {
      nats = await runNatsSuite(a.nats, (s) => process.stderr.write(s));
      lines.push(...reportNatsSuite(nats, a.nats));
    } catch (e) {
      lines.push(`NATS → Weir → NATS: not measured: ${(e as Error).message.split('\n')[0]}`);
      if (a.only === 'nats') throw e;
    }
  }

  lines.push('', `(total ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  console.log(lines.join('\n'));
  if (a.json)
    writeFileSync(
      a.json,
      JSON.stringify(
        { results, exchange, backpressure: bp, session, checkpoint, deployment, metricsOverhead, storage, kafka, nats, ha, kubernetes },
        null,
        2,
      ),
    );
}

interface SessionLatency {
  runs: number;
  submitToRunningMs: { median: number; min: number; max: number };
  submitToTasksRunningMs: { median: number; min: number; max: number };
  weirRunToRunningMs: { median: number; min: number; max: number };
}

/** Runs bench/micro/session-latency.ts in its own process (it starts a cluster of processes). */
function sessionLatency(): Promise<SessionLatency> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'micro', 'session-latency.ts'), '--runs', '10', '--pause', '1500', '--warm-pool', '2'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`session latency benchmark failed (exit ${code}): ${out}`));
      else resolve(JSON.parse(line) as SessionLatency);
    });
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
