/**
 * The reporters a process starts, from `metrics.reporters` and each reporter's
 * `metrics.reporter.<name>.*` keys (Flink's reporter configuration).
 */
import type { Configuration } from '../../config/index.js';
import { WeirError } from '../../errors.js';
import type { MetricReporter } from '../registry.js';
import { PrometheusReporter } from './prometheus.js';
import { JsonLinesFileReporter, LogReporter } from './scheduled.js';

export { PrometheusReporter, parsePortRange } from './prometheus.js';
export { JsonLinesFileReporter, LogReporter } from './scheduled.js';

/** The names in `metrics.reporters` (Flink separates them with commas, Weir's lists with ';': both work). */
export function reporterNames(config: Configuration): string[] {
  return [...new Set(config.get('metrics.reporters').flatMap((n) => n.split(',').map((x) => x.trim())))].filter((n) => n !== '');
}

export function createReporters(config: Configuration, log: (text: string) => void): MetricReporter[] {
  return reporterNames(config).map((name): MetricReporter => {
    switch (name) {
      case 'prom':
        return new PrometheusReporter({
          port: config.get('metrics.reporter.prom.port'),
          host: config.get('metrics.reporter.prom.host'),
          prefix: config.get('metrics.reporter.prom.prefix'),
          filterLabelValueCharacters: config.get('metrics.reporter.prom.filterLabelValueCharacters'),
        });
      case 'slf4j':
        return new LogReporter(config.get('metrics.reporter.slf4j.interval'), log);
      case 'file': {
        const path = config.get('metrics.reporter.file.path');
        if (path === undefined || path.trim() === '')
          throw new WeirError(
            'WEIR_METRICS_REPORTER',
            "metrics.reporters names 'file' but metrics.reporter.file.path is not set: set the file to write to",
          );
        return new JsonLinesFileReporter(config.get('metrics.reporter.file.interval'), path.replaceAll('{pid}', String(process.pid)));
      }
      default:
        throw new WeirError('WEIR_CONFIG_BAD_VALUE', `metrics.reporters names '${name}': the reporters are prom, slf4j and file`);
    }
  });
}
