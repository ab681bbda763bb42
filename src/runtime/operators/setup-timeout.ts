/**
 * A bound on how long a source or sink may take to set up (task.setup.timeout): a directory on a
 * hung mount or a host that never answers fails the task with a clear error instead of leaving it
 * INITIALIZING for ever.
 */
import { parseDuration } from '../../config/configuration.js';
import { OPTIONS } from '../../config/options.js';
import { WeirError } from '../../errors.js';

const KEY = 'task.setup.timeout';

/** task.setup.timeout of the job's configuration, in ms. */
export function setupTimeoutMs(config: Readonly<Record<string, unknown>>): number {
  const raw = config[KEY];
  const ms = typeof raw === 'number' || typeof raw === 'string' ? parseDuration(raw) : undefined;
  return ms !== undefined && ms > 0 ? ms : parseDuration(OPTIONS[KEY].default)!;
}

/** `setup`'s result, or a WEIR_SETUP_TIMEOUT error naming `what` when it takes longer than `ms`. */
export async function withSetupTimeout<T>(what: string, ms: number, setup: () => Promise<T> | T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new WeirError(
            'WEIR_SETUP_TIMEOUT',
            `${what} did not finish setting up within ${ms} ms (${KEY}): check the path or service it uses, or raise ${KEY}`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(setup), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How a source or sink describes itself in an error, when it can. */
export function describeConnector(c: object, fallback: string): string {
  const d = (c as { describe?: unknown }).describe;
  if (typeof d !== 'function') return fallback;
  try {
    const s: unknown = d.call(c);
    return typeof s === 'string' && s ? s : fallback;
  } catch {
    return fallback;
  }
}
