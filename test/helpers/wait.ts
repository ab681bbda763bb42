/**
 * Waiting on a condition with a deadline, the one way tests synchronise with what runs concurrently
 * (never a fixed sleep).
 */
import { AssertionError } from 'node:assert';
import { inspect } from 'node:util';

export interface WaitOptions {
  /** The longest pause between two probes (ms). Polling starts faster and backs off up to it. */
  maxIntervalMs?: number;
}

/** What `waitFor` resolves with: the first answer of `cond` that counts as done. */
export type Done<T> = Exclude<T, undefined | null | false>;

const FIRST_INTERVAL_MS = 5;
const DEFAULT_MAX_INTERVAL_MS = 100;

function describe(v: unknown): string {
  if (v instanceof Error) return `error: ${v.message}`;
  return `value: ${inspect(v, { depth: 3, breakLength: Infinity, maxStringLength: 500, maxArrayLength: 20 })}`;
}

/**
 * Probes `cond` (sync or async) until it answers something other than `undefined`, `null` or
 * `false`, and resolves with that answer. A probe that throws counts as "not yet" (its error is
 * kept for the report), except a failed assertion, which is rethrown at once. When `ms` has
 * passed, rejects with an error that names `what` and the last value or error observed.
 */
export async function waitFor<T>(what: string, ms: number, cond: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Done<T>> {
  const maxInterval = Math.max(1, opts.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS);
  const deadline = Date.now() + ms;
  let interval = Math.min(FIRST_INTERVAL_MS, maxInterval);
  let last: unknown;
  for (;;) {
    try {
      last = await cond();
      if (last !== undefined && last !== null && last !== false) return last as Done<T>;
    } catch (e) {
      // A failed assertion is the test's verdict, not a "not yet".
      if (e instanceof AssertionError) throw e;
      last = e instanceof Error ? e : new Error(String(e));
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what} (last ${describe(last)})`);
    await new Promise((r) => setTimeout(r, Math.min(interval, left)));
    interval = Math.min(interval * 2, maxInterval);
  }
}
