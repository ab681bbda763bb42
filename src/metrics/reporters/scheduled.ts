/**
 * Reporters that write every metric at an interval (Flink's Scheduled reporters): the log reporter
 * (Flink's Slf4jReporter: one block of `identifier: value` lines per report) and the JSON-lines
 * file reporter (one object per metric and report: time, identifier, scope, variables, type, value),
 * for people without Prometheus.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WeirError } from '../../errors.js';
import type { MetricGroupDump, MetricValueDump } from '../dump-schema.js';
import type { MetricRegistry, MetricReporter } from '../registry.js';
import { logicalScope } from '../scope.js';

abstract class ScheduledReporter implements MetricReporter {
  abstract readonly name: string;
  protected registry: MetricRegistry | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(protected readonly intervalMs: number) {}

  async open(registry: MetricRegistry): Promise<void> {
    this.registry = registry;
    await this.prepare();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.report()).catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    // The last values are reported on close, so a short-lived process leaves its metrics behind.
    if (this.registry) await this.report().catch(() => undefined);
    this.registry = undefined;
  }

  protected prepare(): Promise<void> {
    return Promise.resolve();
  }

  abstract report(): Promise<void>;
}

function valueOf(m: MetricValueDump): string | number | boolean | Record<string, number> {
  return m.k === 'histogram' && m.h ? m.h : m.v;
}

export class LogReporter extends ScheduledReporter {
  readonly name = 'slf4j';

  constructor(
    intervalMs: number,
    private readonly write: (text: string) => void,
  ) {
    super(intervalMs);
  }

  async report(): Promise<void> {
    const reg = this.registry;
    if (!reg) return;
    const lines = ['=========================== Starting metrics report ==========================='];
    const byKind: Record<string, string[]> = { counter: [], gauge: [], meter: [], histogram: [] };
    for (const g of reg.dumpAll()) {
      for (const m of g.metrics) {
        const v = valueOf(m);
        byKind[m.k]!.push(`${reg.scopeFormats.identifier(g, m.n)}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      }
    }
    for (const [kind, title] of [
      ['counter', 'Counters'],
      ['gauge', 'Gauges'],
      ['meter', 'Meters'],
      ['histogram', 'Histograms'],
    ] as const) {
      lines.push(`-- ${title} -------------------------------------------------------------------`, ...byKind[kind]!);
    }
    lines.push('=========================== Finished metrics report ===========================');
    this.write(lines.join('\n'));
  }
}

export class JsonLinesFileReporter extends ScheduledReporter {
  readonly name = 'file';

  constructor(
    intervalMs: number,
    readonly path: string,
  ) {
    super(intervalMs);
  }

  protected override async prepare(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, '');
    } catch (e) {
      throw new WeirError(
        'WEIR_METRICS_REPORTER',
        `The file reporter cannot write metrics.reporter.file.path '${this.path}': ${(e as Error).message}`,
      );
    }
  }

  async report(): Promise<void> {
    const reg = this.registry;
    if (!reg) return;
    const time = Date.now();
    const out: string[] = [];
    for (const g of reg.dumpAll()) out.push(...linesOf(reg, g, time));
    if (out.length) await appendFile(this.path, out.join(''));
  }
}

function linesOf(reg: MetricRegistry, g: MetricGroupDump, time: number): string[] {
  const scope = logicalScope(g.category, g.sub).join('.');
  return g.metrics.map(
    (m) =>
      JSON.stringify({
        time,
        identifier: reg.scopeFormats.identifier(g, m.n),
        scope,
        name: m.n,
        type: m.k,
        value: valueOf(m),
        variables: g.variables,
      }) + '\n',
  );
}
