/**
 * Metric groups (Flink's MetricGroup): named collections of metrics with a scope category,
 * variables and user sub-groups. `addGroup('name')` adds a component; `addGroup('key', 'value')`
 * adds a component pair and the variable `<key>`. A metric name is unique within its group: a second
 * registration of the same name keeps the first (Flink logs and ignores it), so a restarted
 * function that registers again does not fail.
 */
import type { MetricGroupDump, ScopeCategory, SubGroup } from './dump-schema.js';
import type { MetricRegistry } from './registry.js';
import { logicalScope } from './scope.js';
import {
  DescriptiveStatisticsHistogram,
  MeterView,
  SimpleCounter,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type Metric,
} from './types.js';

export class MetricGroup {
  /** The metrics of this group by name, in registration order. */
  readonly metrics = new Map<string, Metric>();
  private readonly children = new Map<string, MetricGroup>();
  private closed = false;

  constructor(
    readonly registry: MetricRegistry,
    readonly category: ScopeCategory,
    readonly variables: Readonly<Record<string, string>>,
    readonly sub: readonly SubGroup[] = [],
  ) {
    registry.addGroup(this);
  }

  counter(name: string, counter?: Counter): Counter {
    return this.add(name, counter ?? new SimpleCounter());
  }

  gauge<T>(name: string, gauge: Gauge<T> | (() => T)): Gauge<T> {
    return this.add(name, typeof gauge === 'function' ? { getValue: gauge } : gauge);
  }

  meter(name: string, meter?: Meter): Meter {
    return this.add(name, meter ?? new MeterView());
  }

  histogram(name: string, histogram?: Histogram): Histogram {
    return this.add(name, histogram ?? new DescriptiveStatisticsHistogram());
  }

  /** A sub-group: `addGroup(name)`, or `addGroup(key, value)` which also adds the variable `<key>`. */
  addGroup(name: string, value?: string): MetricGroup {
    const id = value === undefined ? name : `${name}\u0000${value}`;
    let g = this.children.get(id);
    if (!g) {
      const vars = value === undefined ? this.variables : { ...this.variables, [`<${name}>`]: value };
      g = new MetricGroup(this.registry, this.category, vars, [...this.sub, value === undefined ? { name } : { name, value }]);
      this.children.set(id, g);
    }
    return g;
  }

  getAllVariables(): Readonly<Record<string, string>> {
    return this.variables;
  }

  getScopeComponents(): string[] {
    return this.registry.scopeFormats.components(this.category, this.variables, this.sub);
  }

  getMetricIdentifier(name: string): string {
    return [...this.getScopeComponents(), name].join(this.registry.scopeFormats.delimiter);
  }

  getLogicalScope(delimiter = '.'): string {
    return logicalScope(this.category, this.sub).join(delimiter);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Removes the group, its metrics and its sub-groups from the registry. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.children.values()) c.close();
    this.registry.removeGroup(this);
  }

  /** This group's current values (without sub-groups). */
  dump(): MetricGroupDump {
    return { category: this.category, variables: { ...this.variables }, sub: [...this.sub], metrics: this.registry.sample(this.metrics) };
  }

  /** This group's and its sub-groups' current values (groups without metrics left out). */
  dumpTree(): MetricGroupDump[] {
    const out: MetricGroupDump[] = this.metrics.size > 0 ? [this.dump()] : [];
    for (const c of this.children.values()) out.push(...c.dumpTree());
    return out;
  }

  private add<M extends Metric>(name: string, metric: M): M {
    if (typeof name !== 'string' || name === '') throw new TypeError('a metric needs a non-empty name');
    const existing = this.metrics.get(name);
    if (existing) return existing as M;
    this.metrics.set(name, metric);
    if (!this.closed) this.registry.onRegister(metric);
    return metric;
  }
}
