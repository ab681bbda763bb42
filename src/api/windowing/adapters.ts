/**
 * Flink's other window function shapes (WindowFunction for apply(), ProcessAllWindowFunction and
 * AllWindowFunction for windowAll) as the ProcessWindowFunction the window operators call. A rich
 * function's open/close/setRuntimeContext (and clear) still reach it through the adapter.
 */
import { WeirError } from '../../errors.js';
import type { Collector, ProcessWindowContext, RuntimeContext } from '../functions.js';

type Proc = (key: unknown, ctx: ProcessWindowContext<unknown>, elements: unknown[], out: Collector<unknown>) => void;

interface Adapted {
  process: Proc;
  open?(ctx: RuntimeContext): unknown;
  close?(): unknown;
  setRuntimeContext?(ctx: RuntimeContext): void;
  clear?(ctx: ProcessWindowContext<unknown>): void;
}

function method(fn: unknown, name: string): ((...a: never[]) => unknown) | undefined {
  if (typeof fn === 'function') return fn as (...a: never[]) => unknown;
  if (fn !== null && typeof fn === 'object') {
    const m = (fn as Record<string, unknown>)[name];
    if (typeof m === 'function') return (m as (...a: never[]) => unknown).bind(fn);
  }
  return undefined;
}

/** A ProcessWindowFunction-shaped object around `fn` whose process is `process`. */
export function adaptWindowFunction(
  fn: unknown,
  methodName: string,
  api: string,
  make: (call: (...a: never[]) => unknown) => Proc,
): Adapted {
  const call = method(fn, methodName);
  if (call === undefined) throw new WeirError('WEIR_BAD_PIPELINE', `${api} needs a function or an object with a ${methodName}() method`);
  const out: Adapted = { process: make(call) };
  if (fn !== null && typeof fn === 'object') {
    const o = fn as Record<string, unknown>;
    for (const m of ['open', 'close', 'setRuntimeContext', 'clear'] as const) {
      const f = o[m];
      if (typeof f === 'function') (out as unknown as Record<string, unknown>)[m] = (f as (...a: unknown[]) => unknown).bind(fn);
    }
  }
  return out;
}

/** WindowedStream.apply(WindowFunction): apply(key, window, input, out). */
export function fromWindowFunction(fn: unknown): Adapted {
  return adaptWindowFunction(fn, 'apply', 'apply()', (call) => {
    const f = call as (k: unknown, w: unknown, input: unknown[], out: Collector<unknown>) => void;
    return (key, ctx, elements, out) => f(key, ctx.window(), elements, out);
  });
}

/** windowAll(...).process(ProcessAllWindowFunction): process(context, elements, out). */
export function fromProcessAllWindowFunction(fn: unknown): Adapted {
  return adaptWindowFunction(fn, 'process', 'process()', (call) => {
    const f = call as (ctx: ProcessWindowContext<unknown>, input: unknown[], out: Collector<unknown>) => void;
    return (_key, ctx, elements, out) => f(ctx, elements, out);
  });
}

/** windowAll(...).apply(AllWindowFunction): apply(window, input, out). */
export function fromAllWindowFunction(fn: unknown): Adapted {
  return adaptWindowFunction(fn, 'apply', 'apply()', (call) => {
    const f = call as (w: unknown, input: unknown[], out: Collector<unknown>) => void;
    return (_key, ctx, elements, out) => f(ctx.window(), elements, out);
  });
}
