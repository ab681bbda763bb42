/**
 * The Flink baseline: the Nexmark queries as Apache Flink DataStream programs (bench/flink/, built
 * by bench/flink/build.sh from Maven Central artifacts into the services cache), run on Flink's
 * local MiniCluster in a JVM of their own. One JVM per query and parallelism, as every other
 * implementation gets a fresh process; with `repeat` > 1 the query runs again in the same JVM, so
 * the first run is the cold figure and the best one the JIT-warm one.
 */
import { execFile, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Measurement } from '../measure.js';
import type { QueryName } from './queries.js';

const run = promisify(execFile);
const BUILD = join(dirname(fileURLToPath(import.meta.url)), '..', 'flink', 'build.sh');

/** What a Flink run reports: the first run (fresh JVM) as the measurement, and the best of all runs. */
export interface FlinkMeasurement extends Measurement {
  runs: number;
  best: { cpuMs: number; wallMs: number; peakRssMb: number };
  runCpuMs: number[];
  flinkVersion: string;
  java: string;
}

/** Why Flink cannot run here (no java or mvn on PATH), or undefined when it can. */
export function flinkUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = ['java', 'mvn'].filter((c) => spawnSync('/bin/sh', ['-c', `command -v ${c}`], { stdio: 'ignore', env }).status !== 0);
  return missing.length === 0 ? undefined : `${missing.join(' and ')} not on PATH (Flink needs Java 17+ and Maven)`;
}

/** Builds bench/flink if its sources changed (idempotent) and returns the JVM classpath. */
export async function flinkClasspath(): Promise<string> {
  try {
    const { stdout } = await run('bash', [BUILD, 'classpath'], { maxBuffer: 16 * 1024 * 1024, timeout: 20 * 60_000 });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`building bench/flink failed ('bash bench/flink/build.sh'): ${(err.stderr || err.message).trim()}`);
  }
}

export interface FlinkRunOptions {
  classpath: string;
  queries: QueryName[];
  events: number;
  rate: number;
  parallelism: number;
  repeat: number;
  /** Extra JVM options (e.g. a heap size). */
  jvm?: string[];
  timeoutMs?: number;
}

/** Runs the queries in one JVM and returns one measurement per query. */
export async function runFlink(o: FlinkRunOptions): Promise<FlinkMeasurement[]> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const args = [
    ...(o.jvm ?? []),
    '-cp',
    o.classpath,
    'weir.bench.nexmark.Main',
    '--query',
    o.queries.join(','),
    '--events',
    String(o.events),
    '--rate',
    String(o.rate),
    '--parallelism',
    String(o.parallelism),
    '--repeat',
    String(o.repeat),
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(java, args, { maxBuffer: 64 * 1024 * 1024, timeout: o.timeoutMs ?? 60 * 60_000 }));
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`Flink run of ${o.queries.join(',')} failed: ${(err.stderr || err.message).trim().slice(-4000)}`);
  }
  const out = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as FlinkMeasurement);
  if (out.length !== o.queries.length) throw new Error(`Flink printed ${out.length} results for ${o.queries.length} queries:\n${stdout}`);
  return out;
}
