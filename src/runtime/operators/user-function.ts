/**
 * User functions come as plain functions or as objects with a named method (and maybe open/close).
 * `bindMethod` turns either into a plain function once, at operator construction, so the per-record
 * path is a direct call. Errors thrown inside user code are wrapped by the task, not here.
 */
import type { RuntimeContext } from '../../api/functions.js';

export function bindMethod<F extends (...args: never[]) => unknown>(fn: unknown, method: string, what: string): F {
  if (typeof fn === 'function') return fn as F;
  if (fn !== null && typeof fn === 'object') {
    const m = (fn as Record<string, unknown>)[method];
    if (typeof m === 'function') return m.bind(fn) as F;
  }
  throw new TypeError(`${what} must be a function or an object with a ${method}() method`);
}

export function optionalMethod<F extends (...args: never[]) => unknown>(fn: unknown, method: string): F | undefined {
  if (fn !== null && typeof fn === 'object') {
    const m = (fn as Record<string, unknown>)[method];
    if (typeof m === 'function') return m.bind(fn) as F;
  }
  return undefined;
}

/** Gives a rich function its runtime context and calls its open(ctx), if it has one. */
export async function openFunction(fn: unknown, ctx: RuntimeContext): Promise<void> {
  if (fn === null || typeof fn !== 'object') return;
  const f = fn as { setRuntimeContext?: (c: RuntimeContext) => void; open?: (c: RuntimeContext) => unknown };
  if (typeof f.setRuntimeContext === 'function') f.setRuntimeContext(ctx);
  if (typeof f.open === 'function') await f.open(ctx);
}

export async function closeFunction(fn: unknown): Promise<void> {
  if (fn === null || typeof fn !== 'object') return;
  const f = fn as { close?: () => unknown };
  if (typeof f.close === 'function') await f.close();
}
