/**
 * The command line of `npm run bench` (bench/run.ts): sections, queries, sizes and the options of
 * each suite, with the defaults and targets the report compares against.
 */

import { DEFAULT_DEPLOYMENT_OPTIONS, type DeploymentSuiteOptions } from './deployment/suite.js';
import { isDeploymentMode } from './deployment/results.js';
import { type CheckpointSuiteOptions } from './checkpoint/suite.js';
import { DEFAULT_STORAGE_OPTIONS, type StorageSuiteOptions } from './storage/suite.js';
import { DEFAULT_KAFKA_OPTIONS, type KafkaSuiteOptions } from './kafka/suite.js';
import { type HaSuiteOptions } from './ha/suite.js';
import { DEFAULT_NATS_OPTIONS, type NatsSuiteOptions } from './nats/suite.js';
import { isQueryName, QUERIES, type QueryName } from './nexmark/queries.js';

/** Default events per query: sized so the whole default run takes a few minutes on 2 cores. */
export const DEFAULT_EVENTS: Record<QueryName, number> = {
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
export const FUSED_TARGET: Partial<Record<QueryName, number>> = { q0: 0.85, q1: 0.85, q2: 0.85, q4: 0.5, q5: 0.5, q7: 0.5, q11: 0.5 };
export const STATELESS_TARGET: ReadonlySet<QueryName> = new Set<QueryName>(['q0', 'q1', 'q2']);
export const EXCHANGE_TARGET = 1_500_000;

export interface Args {
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

export type Section =
  'nexmark' | 'micro' | 'checkpoint' | 'deployment' | 'async' | 'metrics' | 'storage' | 'kafka' | 'nats' | 'ha' | 'kubernetes';
export const SECTIONS: readonly Section[] = [
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

export function parseArgs(argv: string[]): Args {
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
