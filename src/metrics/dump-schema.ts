/**
 * Sampled metric values as they cross a boundary (slot thread → TaskManager → JobManager), Flink's
 * MetricDump: per group its scope category, variables and user sub-groups, then its metrics' current
 * values. Declarations only (see src/schema.ts); the metrics module imports the types.
 */
import { Type, type Static } from 'typebox';
import { List, Num, Str } from '../schema.js';

export const ScopeCategory = Type.Union([
  Type.Literal('jm'),
  Type.Literal('jm-job'),
  Type.Literal('tm'),
  Type.Literal('tm-job'),
  Type.Literal('task'),
  Type.Literal('operator'),
]);
export type ScopeCategory = Static<typeof ScopeCategory>;

export const HistogramDump = Type.Object({
  count: Num,
  min: Num,
  max: Num,
  mean: Num,
  stddev: Num,
  p50: Num,
  p75: Num,
  p95: Num,
  p98: Num,
  p99: Num,
  p999: Num,
});
export type HistogramDump = Static<typeof HistogramDump>;

export const MetricValueDump = Type.Object({
  /** Name within the group. */
  n: Str(1000),
  k: Type.Union([Type.Literal('counter'), Type.Literal('gauge'), Type.Literal('meter'), Type.Literal('histogram')]),
  /** Count, gauge value or meter rate; a histogram's count. */
  v: Type.Union([Num, Str(10_000), Type.Boolean()]),
  h: Type.Optional(HistogramDump),
});
export type MetricValueDump = Static<typeof MetricValueDump>;

/** One user sub-group: a name, or a key/value group (the key becomes a variable `<key>`). */
export const SubGroup = Type.Object({ name: Str(1000), value: Type.Optional(Str(1000)) });
export type SubGroup = Static<typeof SubGroup>;

export const MetricGroupDump = Type.Object({
  category: ScopeCategory,
  variables: Type.Record(Type.String(), Str(10_000)),
  sub: List(SubGroup, 100),
  metrics: List(MetricValueDump, 100_000),
});
export type MetricGroupDump = Static<typeof MetricGroupDump>;
