/** Turns the raw results of bench/checkpoint/measure-dip.mjs into the figures bench/run.ts reports. */

export interface DipCheckpoint {
  id: number;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  triggerTimestamp: number;
  durationMs: number;
  stateSize: number;
}

/** What measure-dip.mjs prints for one run. */
export interface DipRun {
  backend: string;
  interval: number;
  /** Set when this build cannot run jobs with the backend. */
  unavailable?: string;
  records: number;
  keys: number;
  parallelism: number;
  bucketMs: number;
  wallMs: number;
  received: number;
  finalKeys: number;
  finalCountSum: number;
  /** [bucket number (Date.now() / bucketMs), records]; buckets without records are absent. */
  buckets: [number, number][];
  checkpoints: DipCheckpoint[];
}

export interface DipSummary {
  /** Median records/s per bucket of the run without checkpoints (state full, last bucket left out). */
  baselineRate: number;
  /** Median records/s per bucket of the checkpointed run, buckets outside any checkpoint; undefined when checkpoints covered it all. */
  betweenCheckpointsRate: number | undefined;
  /** Lowest records/s of a bucket during a checkpoint. */
  minDuringCheckpointRate: number;
  /** 1 - minDuringCheckpointRate / baselineRate. */
  dip: number;
  /** Longest run of consecutive buckets without a record while a checkpoint was under way (ms). */
  longestStallMs: number;
  /** Records per second over the measured stretch: without, with checkpoints. */
  averageRate: { baseline: number; checkpointed: number };
  /** Share of the time a checkpoint was under way in the measured stretch. */
  checkpointBusy: number;
  checkpointsCompleted: number;
  medianCheckpointMs: number;
  maxStateSize: number;
}

interface Series {
  /** Records per bucket, consecutive buckets (zeros filled in), from the first to the last. */
  counts: number[];
  first: number;
  /** Index of the first bucket with all keys in state (cumulative records ≥ keys). */
  full: number;
}

function series(r: DipRun): Series {
  if (r.buckets.length === 0) throw new Error(`the ${r.interval > 0 ? 'checkpointed' : 'baseline'} run recorded no buckets`);
  const first = r.buckets[0]![0];
  const last = r.buckets.at(-1)![0];
  const counts = new Array<number>(last - first + 1).fill(0);
  for (const [b, n] of r.buckets) counts[b - first] = n;
  let cum = 0;
  let full = counts.length - 1;
  for (let i = 0; i < counts.length; i++) {
    cum += counts[i]!;
    if (cum >= r.keys) {
      full = i + 1;
      break;
    }
  }
  return { counts, first, full: Math.min(full, Math.max(0, counts.length - 2)) };
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Compares a run with checkpoints to one without, over the stretch where every key is in state (the last, partial bucket left out). */
export function analyseDip(baseline: DipRun, checkpointed: DipRun): DipSummary {
  const perSecond = (n: number, r: DipRun): number => (n * 1000) / r.bucketMs;
  const b = series(baseline);
  const bSteady = b.counts.slice(b.full, b.counts.length - 1);
  const c = series(checkpointed);
  const end = c.counts.length - 1;
  const bucketMs = checkpointed.bucketMs;
  const runEnd = (c.first + c.counts.length) * bucketMs;
  const windows = checkpointed.checkpoints.map((cp) => [
    cp.triggerTimestamp,
    cp.status === 'IN_PROGRESS' ? runEnd : cp.triggerTimestamp + cp.durationMs,
  ]);
  const during: number[] = [];
  const between: number[] = [];
  let stall = 0;
  let longestStall = 0;
  for (let i = c.full; i < end; i++) {
    const start = (c.first + i) * bucketMs;
    const inCheckpoint = windows.some(([s, e]) => s! < start + bucketMs && e! >= start);
    (inCheckpoint ? during : between).push(c.counts[i]!);
    stall = inCheckpoint && c.counts[i] === 0 ? stall + 1 : 0;
    longestStall = Math.max(longestStall, stall);
  }
  const baselineRate = perSecond(median(bSteady), baseline);
  const minDuring = during.length > 0 ? perSecond(Math.min(...during), checkpointed) : baselineRate;
  const sum = (xs: number[]): number => xs.reduce((a, x) => a + x, 0);
  const completed = checkpointed.checkpoints.filter((x) => x.status === 'COMPLETED');
  const measured = end - c.full;
  return {
    baselineRate,
    betweenCheckpointsRate: between.length > 0 ? perSecond(median(between), checkpointed) : undefined,
    minDuringCheckpointRate: minDuring,
    dip: baselineRate > 0 ? Math.max(0, 1 - minDuring / baselineRate) : 0,
    longestStallMs: longestStall * bucketMs,
    averageRate: {
      baseline: bSteady.length > 0 ? perSecond(sum(bSteady) / bSteady.length, baseline) : 0,
      checkpointed: measured > 0 ? perSecond(sum(c.counts.slice(c.full, end)) / measured, checkpointed) : 0,
    },
    checkpointBusy: measured > 0 ? during.length / measured : 0,
    checkpointsCompleted: completed.length,
    medianCheckpointMs: median(completed.map((x) => x.durationMs)),
    maxStateSize: Math.max(0, ...completed.map((x) => x.stateSize)),
  };
}
