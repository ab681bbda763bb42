/** Weir's metric system (Flink's): types, groups and scopes, the registry, reporters and the JobManager's metric store. */
export * from './types.js';
export { MetricGroup } from './group.js';
export { MetricRegistry, sampleMetric, type MetricReporter, type MetricRegistryOptions } from './registry.js';
export { ScopeFormats, DEFAULT_SCOPE_FORMATS, LOGICAL_SCOPES, SCOPE_VARIABLES, logicalScope } from './scope.js';
export * from './groups.js';
export { registerSystemMetrics } from './system.js';
export { MetricStore, type MetricQueryService, type MetricValues } from './metric-store.js';
export * from './query.js';
export {
  createReporters,
  reporterNames,
  PrometheusReporter,
  LogReporter,
  JsonLinesFileReporter,
  parsePortRange,
} from './reporters/index.js';
export type { MetricGroupDump, MetricValueDump, ScopeCategory, SubGroup } from './dump-schema.js';
