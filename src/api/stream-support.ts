/** Checks shared by the stream classes: a user function must have the method the API calls. */
import { WeirError } from '../errors.js';

/**
 * Output types of functions that emit through a Collector (flatMap, process) cannot be inferred from
 * the function body; when the caller does not name them (`flatMap<string>(...)` or
 * `out: Collector<string>`), they default to `any`, so untyped pipelines such as DESIGN's word count
 * still type-check, as they run.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Inferred = any;

export function checkFn(fn: unknown, method: string, api: string): unknown {
  if (typeof fn === 'function') return fn;
  if (fn !== null && typeof fn === 'object' && typeof (fn as Record<string, unknown>)[method] === 'function') return fn;
  throw new WeirError('WEIR_BAD_PIPELINE', `${api}() needs a function or an object with a ${method}() method`);
}

export function checkMethods(fn: unknown, methods: string[], api: string): unknown {
  for (const m of methods) {
    if (fn === null || typeof fn !== 'object' || typeof (fn as Record<string, unknown>)[m] !== 'function') {
      throw new WeirError('WEIR_BAD_PIPELINE', `${api}() on connected streams needs an object with ${methods.join(' and ')} methods`);
    }
  }
  return fn;
}
