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

import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportDeploymentSuite, runDeploymentSuite } from './deployment/suite.js';
import { type DeploymentModeResult } from './deployment/results.js';
import { reportCheckpointSuite, runCheckpointSuite, type CheckpointSuiteResult } from './checkpoint/suite.js';
import type { Measurement } from './measure.js';
import { reportAsyncSuite, runAsyncSuite } from './async/suite.js';
import { reportMetricsOverhead, runMetricsOverhead, type MetricsOverheadResult } from './metrics/overhead.js';
import { reportStorageSuite, runStorageSuite, type StorageSuiteResult } from './storage/suite.js';
import { reportKafkaSuite, runKafkaSuite } from './kafka/suite.js';
import { reportHaSuite, runHaSuite, type HaBackendResult } from './ha/suite.js';
import { reportKubernetesSuite, runKubernetesSuite, type KubernetesSuiteResult } from './kubernetes/suite.js';
import { reportNatsSuite, runNatsSuite } from './nats/suite.js';
import { QUERY_INFO, type QueryName } from './nexmark/queries.js';
import { flinkClasspath, flinkUnavailable, runFlink, type FlinkMeasurement } from './nexmark/flink.js';
import { DEFAULT_EVENTS, EXCHANGE_TARGET, FUSED_TARGET, parseArgs, STATELESS_TARGET } from './run-args.js';
import {
  best,
  flinkRatios,
  flinkRuns,
  fmtRate,
  measure,
  perCpuSecond,
  sessionLatency,
  setCpuProfDir,
  table,
  type SessionLatency,
} from './run-measure.js';

const here = dirname(fileURLToPath(import.meta.url));

interface QueryResult {
  query: QueryName;
  parallelism: number;
  runs: Record<string, Measurement>;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  setCpuProfDir(a.cpuProf);
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

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
