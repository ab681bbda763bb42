/** Accumulators as Flink's REST API shows them: name, Flink's class name, and the value as a string. */
import { valueString, type AccumulatorSnapshot } from '../api/accumulators.js';
import type { UserAccumulator } from './api.js';

export function userAccumulators(accumulators: Readonly<Record<string, AccumulatorSnapshot>> | undefined): UserAccumulator[] {
  return Object.entries(accumulators ?? {})
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([name, acc]) => ({ name, type: acc.type, value: valueString(acc) }));
}
