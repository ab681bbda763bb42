/**
 * The query semantics of Flink's metrics REST paths: `?get=a,b` selects metrics (without it, the
 * available names are listed), `?agg=min,max,avg,sum,skew` picks the aggregations of the aggregating
 * paths (all by default), `?subtasks=1,3,5-9` / `?taskmanagers=` / `?jobs=` pick the components.
 * Aggregations are over the components that have the metric with a numeric value; skew is how far
 * the maximum is above the average, in percent of the average (0 when the average is 0).
 */
import { WeirError } from '../errors.js';
import type { MetricValues } from './metric-store.js';

export const AGGREGATIONS = ['min', 'max', 'avg', 'sum', 'skew'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export interface MetricEntry {
  id: string;
  value?: string;
}

export type AggregatedMetric = { id: string } & Partial<Record<Aggregation, number>>;

function splitList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A metric collection: names only without `get`, else the requested metrics that exist with their values. */
export function selectMetrics(values: MetricValues, get: string | undefined): MetricEntry[] {
  if (get === undefined) return [...values.keys()].map((id) => ({ id }));
  const out: MetricEntry[] = [];
  for (const id of splitList(get)) {
    const v = values.get(id);
    if (v !== undefined) out.push({ id, value: v });
  }
  return out;
}

export function parseAggregations(raw: string | undefined): Aggregation[] {
  if (raw === undefined || raw.trim() === '') return [...AGGREGATIONS];
  const out: Aggregation[] = [];
  for (const a of splitList(raw)) {
    const k = a.toLowerCase();
    if (!(AGGREGATIONS as readonly string[]).includes(k))
      throw new WeirError('WEIR_CONFIG_BAD_VALUE', `agg '${a}' is not an aggregation: use ${AGGREGATIONS.join(', ')}`);
    if (!out.includes(k as Aggregation)) out.push(k as Aggregation);
  }
  return out;
}

/** Integer ranges such as `1,3,5-9` (Flink's `subtasks` parameter). */
export function parseRanges(raw: string): number[] {
  const out = new Set<number>();
  for (const part of splitList(raw)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new WeirError('WEIR_CONFIG_BAD_VALUE', `'${part}' is not an integer or a range such as 5-9`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 100_000) throw new WeirError('WEIR_CONFIG_BAD_VALUE', `'${part}' is not a range from low to high`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out];
}

export function parseIds(raw: string | undefined): string[] | undefined {
  return raw === undefined ? undefined : splitList(raw);
}

/** An aggregated collection over components: names (union) without `get`, else per requested metric the chosen aggregations. */
export function aggregateMetrics(
  components: readonly MetricValues[],
  get: string | undefined,
  aggs: readonly Aggregation[],
): (AggregatedMetric | { id: string })[] {
  if (get === undefined) {
    const names = new Set<string>();
    for (const c of components) for (const k of c.keys()) names.add(k);
    return [...names].map((id) => ({ id }));
  }
  const out: AggregatedMetric[] = [];
  for (const id of splitList(get)) {
    const nums: number[] = [];
    for (const c of components) {
      const v = c.get(id);
      if (v === undefined) continue;
      const n = v === 'true' ? 1 : v === 'false' ? 0 : Number(v);
      if (Number.isFinite(n)) nums.push(n);
    }
    if (nums.length === 0) continue;
    const sum = nums.reduce((a, b) => a + b, 0);
    const min = Math.min(...nums);
    const max = Math.max(...nums);
    const avg = sum / nums.length;
    const all: Record<Aggregation, number> = { min, max, avg, sum, skew: avg === 0 ? 0 : ((max - avg) / Math.abs(avg)) * 100 };
    const row: AggregatedMetric = { id };
    for (const a of aggs) row[a] = all[a];
    out.push(row);
  }
  return out;
}
