/**
 * The Prometheus reporter (Flink's PrometheusReporter): an HTTP endpoint on the first free port of
 * `metrics.reporter.prom.port` (a range, so several processes on one host each find one), answering
 * every path with the process's metrics in Prometheus's text format, rendered by prom-client. Names
 * are Flink's: prefix, logical scope and metric name joined by `_`
 * (`weir_taskmanager_job_task_operator_numRecordsOut`); the group's variables are labels
 * (`job_id`, `task_name`, `subtask_index`, ...). As in Flink, counters and meters are exported as
 * gauges (a meter as its rate), booleans as 0/1, histograms as summaries (quantiles and count);
 * gauges whose value is not a number are left out.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import { WeirError } from '../../errors.js';
import type { MetricGroupDump } from '../dump-schema.js';
import type { MetricRegistry, MetricReporter } from '../registry.js';

const require = createRequire(import.meta.url);
let loaded: typeof PromClient | undefined;
/** prom-client loads on first scrape (it takes a noticeable part of a second): processes without the reporter don't pay. */
function promClient(): typeof PromClient {
  return (loaded ??= require('prom-client') as typeof PromClient);
}
import { logicalScope } from '../scope.js';

export interface PrometheusReporterOptions {
  /** A port ('9249') or a range ('9249-9260'). */
  port: string;
  host: string;
  prefix: string;
  filterLabelValueCharacters: boolean;
}

interface Series {
  labels: Record<string, string>;
  value: number;
}

const NAME_FILTER = /[^a-zA-Z0-9:_]/g;
const HISTOGRAM_QUANTILES = [
  ['0.5', 'p50'],
  ['0.75', 'p75'],
  ['0.95', 'p95'],
  ['0.98', 'p98'],
  ['0.99', 'p99'],
  ['0.999', 'p999'],
] as const;

export class PrometheusReporter implements MetricReporter {
  readonly name = 'prom';
  private server: Server | undefined;
  private registry: MetricRegistry | undefined;
  port: number | undefined;

  constructor(private readonly options: PrometheusReporterOptions) {}

  async open(registry: MetricRegistry): Promise<void> {
    this.registry = registry;
    const [lo, hi] = parsePortRange(this.options.port);
    const failures: string[] = [];
    for (let p = lo; p <= hi; p++) {
      const server = createServer((req, res) => {
        void this.scrape().then(
          ({ body, contentType }) => {
            res.writeHead(200, { 'content-type': contentType });
            res.end(body);
          },
          (e: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(String(e));
          },
        );
      });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(p, this.options.host, () => resolve());
        });
        this.server = server;
        this.port = (server.address() as AddressInfo).port;
        return;
      } catch (e) {
        failures.push(`${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    throw new WeirError(
      'WEIR_METRICS_REPORTER',
      `The Prometheus reporter found no free port in metrics.reporter.prom.port '${this.options.port}' on ${this.options.host} (${failures.slice(0, 5).join(', ')}${failures.length > 5 ? ', ...' : ''}); widen the range`,
    );
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** The exposition of every metric the registry holds right now. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    const { Gauge, Registry } = promClient();
    const prom = new Registry();
    const series = this.collect(this.registry?.dumpAll() ?? []);
    for (const [name, list] of series) {
      const labelNames = [...new Set(list.flatMap((s) => Object.keys(s.labels)))];
      const g = new Gauge({ name, help: name, labelNames, registers: [prom] });
      for (const s of list) g.set(s.labels, s.value);
    }
    return { body: await prom.metrics(), contentType: prom.contentType };
  }

  private collect(dumps: readonly MetricGroupDump[]): Map<string, Series[]> {
    const out = new Map<string, Series[]>();
    const seen = new Set<string>();
    const add = (name: string, labels: Record<string, string>, value: number): void => {
      // Two groups may report the same series (a task restarted in place): the first wins.
      const key = `${name}${JSON.stringify(labels)}`;
      if (seen.has(key)) return;
      seen.add(key);
      let l = out.get(name);
      if (!l) out.set(name, (l = []));
      l.push({ labels, value });
    };
    for (const g of dumps) {
      const scope = [this.options.prefix, ...logicalScope(g.category, g.sub)].map((c) => c.replace(NAME_FILTER, '_')).join('_');
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(g.variables)) {
        labels[k.replace(/^<|>$/g, '').replace(NAME_FILTER, '_')] = this.options.filterLabelValueCharacters
          ? v.replace(NAME_FILTER, '_')
          : v;
      }
      for (const m of g.metrics) {
        const name = `${scope}_${m.n.replace(NAME_FILTER, '_')}`;
        if (m.k === 'histogram' && m.h) {
          for (const [q, field] of HISTOGRAM_QUANTILES) add(name, { ...labels, quantile: q }, m.h[field]);
          add(`${name}_count`, labels, m.h.count);
          continue;
        }
        const v = typeof m.v === 'boolean' ? (m.v ? 1 : 0) : typeof m.v === 'number' ? m.v : Number.NaN;
        if (Number.isFinite(v) || (typeof m.v === 'number' && !Number.isNaN(m.v))) add(name, labels, v);
      }
    }
    return out;
  }
}

export function parsePortRange(spec: string): [number, number] {
  const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(spec);
  if (!m) throw new WeirError('WEIR_CONFIG_BAD_VALUE', `'${spec}' is not a port or port range such as '9249' or '9249-9260'`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return [lo, hi];
}
