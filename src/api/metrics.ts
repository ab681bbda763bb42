/**
 * What user functions see of the metric system (Flink's org.apache.flink.metrics API):
 * `getRuntimeContext().getMetricGroup()` returns the operator's group, on which a function
 * registers counters, gauges, meters and histograms, and sub-groups. Values are sampled by the
 * runtime (about once a second) and shown by the reporters and the REST API; registering and
 * counting never send a message.
 */
import type { Counter, Gauge, Histogram, Meter } from '../metrics/types.js';

// One declaration of the metric types, shared with the metric system that implements them.
export type { Counter, Gauge, Histogram, HistogramStatistics, Meter } from '../metrics/types.js';

export interface MetricGroup {
  /** A counter (a new SimpleCounter unless one is given). */
  counter(name: string, counter?: Counter): Counter;
  /** A gauge: an object with getValue(), or a function returning the value. */
  gauge<T>(name: string, gauge: Gauge<T> | (() => T)): Gauge<T>;
  /** A meter (a MeterView over 60 s unless one is given). */
  meter(name: string, meter?: Meter): Meter;
  /** A histogram (a DescriptiveStatisticsHistogram of the last 500 values unless one is given). */
  histogram(name: string, histogram?: Histogram): Histogram;
  /** A sub-group; with a value, a key/value group whose key becomes the variable `<key>`. */
  addGroup(name: string, value?: string): MetricGroup;
  getAllVariables(): Readonly<Record<string, string>>;
  getScopeComponents(): string[];
  getMetricIdentifier(name: string): string;
}
