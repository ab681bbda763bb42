/**
 * The options of `weir operator` (the Flink Kubernetes Operator's `kubernetes.operator.*` keys),
 * kept beside the main table in options.ts, which spreads them in.
 */
import type { OptionSpec } from './options.js';

export const KUBERNETES_OPERATOR_OPTIONS = {
  'kubernetes.operator.watched.namespaces': {
    type: 'list',
    default: [],
    defaultDescription: "the operator's own namespace (kubernetes.namespace)",
    description: 'Namespaces whose WeirDeployments the operator reconciles, separated by ; or ,.',
  },
  'kubernetes.operator.reconcile.interval': {
    type: 'duration',
    default: '15 s',
    min: 100,
    description: 'How often the operator reconciles each WeirDeployment again to observe its job (besides the changes it is told of).',
  },
  'kubernetes.operator.reconcile.parallelism': {
    type: 'integer',
    default: 8,
    min: 1,
    description: 'How many WeirDeployments the operator reconciles at the same time (each one at most once at a time).',
  },
  'kubernetes.operator.retry.initial.interval': {
    type: 'duration',
    default: '1 s',
    min: 10,
    description: 'First delay before a failed reconciliation is tried again; it doubles with every further failure.',
  },
  'kubernetes.operator.retry.max.interval': {
    type: 'duration',
    default: '1 min',
    min: 10,
    description: 'Longest delay between tries of a failing reconciliation.',
  },
  'kubernetes.operator.savepoint.timeout': {
    type: 'duration',
    default: '5 min',
    min: 1000,
    description: 'How long the operator waits for a savepoint (upgrade, suspend, manual trigger) before it reports the attempt failed.',
  },
  'kubernetes.operator.deployment.readiness.timeout': {
    type: 'duration',
    default: '5 min',
    min: 1000,
    description: "How long the operator waits for a WeirDeployment's JobManager to answer before it reports the deployment failed.",
  },
} as const satisfies Record<string, OptionSpec>;
