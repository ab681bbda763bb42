/**
 * The metric registry of a cluster process (JobManager, TaskManager, local mini-cluster): scope
 * formats and reporters from its configuration, reporters started. A reporter that cannot start
 * (no free port in its range) is logged and left out: the process runs on without it, as Flink's.
 */
import type { Configuration } from '../config/index.js';
import { MetricRegistry } from './registry.js';
import { PrometheusReporter } from './reporters/prometheus.js';
import { createReporters } from './reporters/index.js';
import { ScopeFormats } from './scope.js';

export interface ProcessLog {
  info(text: string): void;
  warn(text: string): void;
}

export async function startProcessMetricRegistry(config: Configuration, log: ProcessLog, what: string): Promise<MetricRegistry> {
  const registry = new MetricRegistry({
    scopeFormats: ScopeFormats.fromConfig(config),
    reporters: createReporters(config, (t) => log.info(t)),
  });
  await registry.start((name, e) =>
    log.warn(`metrics reporter ${name} of the ${what} did not start: ${e instanceof Error ? e.message : String(e)}`),
  );
  for (const r of registry.reporters) {
    if (r instanceof PrometheusReporter && r.port !== undefined)
      log.info(`Prometheus metrics of the ${what} at http://${config.get('metrics.reporter.prom.host')}:${r.port}/metrics`);
  }
  return registry;
}
