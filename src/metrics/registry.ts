/**
 * The metric registry of one thread (Flink's MetricRegistryImpl): the groups registered here, the
 * views it updates every UPDATE_INTERVAL_SECONDS, the samples other threads or processes sent
 * (a slot thread's tasks, at its TaskManager; a TaskManager's, at the JobManager), and the
 * reporters that expose all of them. Reporters read values when they report (a scrape, an
 * interval), never on the record path.
 */
import type { MetricGroupDump, MetricValueDump } from './dump-schema.js';
import type { MetricGroup } from './group.js';
import { ScopeFormats } from './scope.js';
import {
  UPDATE_INTERVAL_SECONDS,
  isView,
  kindOf,
  type Gauge,
  type Histogram,
  type Meter,
  type Counter,
  type Metric,
  type View,
} from './types.js';

/** A reporter (Flink's MetricReporter): started with the registry, asked for nothing on the record path. */
export interface MetricReporter {
  readonly name: string;
  open(registry: MetricRegistry): Promise<void>;
  close(): Promise<void>;
}

export interface MetricRegistryOptions {
  scopeFormats?: ScopeFormats;
  reporters?: MetricReporter[];
  /** Update views (meters, timer gauges) on a timer; off for registries that only hold samples. */
  updateViews?: boolean;
}

export class MetricRegistry {
  readonly scopeFormats: ScopeFormats;
  readonly reporters: readonly MetricReporter[];
  private readonly groups = new Set<MetricGroup>();
  private readonly views = new Set<View>();
  private readonly remote = new Map<string, MetricGroupDump[]>();
  private viewTimer: NodeJS.Timeout | undefined;

  constructor(options: MetricRegistryOptions = {}) {
    this.scopeFormats = options.scopeFormats ?? new ScopeFormats();
    this.reporters = options.reporters ?? [];
    if (options.updateViews !== false) {
      this.viewTimer = setInterval(() => this.updateViews(), UPDATE_INTERVAL_SECONDS * 1000);
      this.viewTimer.unref();
    }
  }

  /** Starts the reporters; one that cannot start is closed and left out (the process runs on). */
  async start(onError: (reporter: string, e: unknown) => void = () => undefined): Promise<void> {
    for (const r of this.reporters) {
      try {
        await r.open(this);
      } catch (e) {
        onError(r.name, e);
      }
    }
  }

  async close(): Promise<void> {
    if (this.viewTimer) clearInterval(this.viewTimer);
    await Promise.allSettled(this.reporters.map((r) => r.close()));
  }

  /** Updates every view now (the timer does this every UPDATE_INTERVAL_SECONDS). */
  updateViews(): void {
    for (const v of this.views) v.update();
  }

  addGroup(g: MetricGroup): void {
    this.groups.add(g);
  }

  removeGroup(g: MetricGroup): void {
    this.groups.delete(g);
    for (const m of g.metrics.values()) if (isView(m)) this.views.delete(m);
  }

  onRegister(m: Metric): void {
    if (isView(m)) this.views.add(m);
  }

  /** Samples from elsewhere under `key` (a slot thread, a TaskManager), replacing its previous ones. */
  setRemote(key: string, dumps: MetricGroupDump[]): void {
    this.remote.set(key, dumps);
  }

  removeRemote(key: string): void {
    this.remote.delete(key);
  }

  remoteKeys(): string[] {
    return [...this.remote.keys()];
  }

  remoteOf(key: string): readonly MetricGroupDump[] {
    return this.remote.get(key) ?? [];
  }

  /** Current values of this thread's groups that have metrics. */
  dumpLocal(): MetricGroupDump[] {
    const out: MetricGroupDump[] = [];
    for (const g of this.groups) if (g.metrics.size > 0 && !g.isClosed) out.push(g.dump());
    return out;
  }

  /** Everything this registry's reporters show: its own groups and the latest samples from elsewhere. */
  dumpAll(): MetricGroupDump[] {
    const out = this.dumpLocal();
    for (const d of this.remote.values()) out.push(...d);
    return out;
  }

  sample(metrics: ReadonlyMap<string, Metric>): MetricValueDump[] {
    const out: MetricValueDump[] = [];
    for (const [n, m] of metrics) {
      try {
        out.push(sampleMetric(n, m));
      } catch {
        // A gauge whose function throws is left out of this sample (as Flink's reporters skip it).
      }
    }
    return out;
  }
}

/** Non-finite numbers travel as text ('NaN', 'Infinity'): message schemas take finite numbers only. */
const finite = (v: number): number | string => (Number.isFinite(v) ? v : String(v));

export function sampleMetric(n: string, m: Metric): MetricValueDump {
  switch (kindOf(m)) {
    case 'counter':
      return { n, k: 'counter', v: finite((m as Counter).getCount()) };
    case 'meter':
      return { n, k: 'meter', v: finite((m as Meter).getRate()) };
    case 'histogram': {
      const h = m as Histogram;
      const s = h.getStatistics();
      // A user histogram fed NaN or Infinity reports 0 for what is not a finite number.
      const f = (x: number): number => (Number.isFinite(x) ? x : 0);
      const q = (x: number): number => f(s.quantile(x));
      return {
        n,
        k: 'histogram',
        v: h.getCount(),
        h: {
          count: h.getCount(),
          min: f(s.min),
          max: f(s.max),
          mean: f(s.mean),
          stddev: f(s.stddev),
          p50: q(0.5),
          p75: q(0.75),
          p95: q(0.95),
          p98: q(0.98),
          p99: q(0.99),
          p999: q(0.999),
        },
      };
    }
    default: {
      const v = (m as Gauge<unknown>).getValue();
      if (typeof v === 'number') return { n, k: 'gauge', v: finite(v) };
      return { n, k: 'gauge', v: typeof v === 'boolean' || typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)) };
    }
  }
}
