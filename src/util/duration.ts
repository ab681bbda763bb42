/**
 * Durations: milliseconds (`number`) or a string such as `'10s'`. Shared by the API (every method
 * that takes a duration), the configuration and the runtime, so it lives below all of them.
 */
import { WeirError } from '../errors.js';

export type Duration = number | string;

const UNITS: Record<string, number> = {
  ms: 1,
  millis: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  seconds: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** Converts a Duration to milliseconds; throws WEIR_BAD_DURATION naming the value if it is malformed. */
export function toMillis(d: Duration, what = 'duration'): number {
  if (typeof d === 'number') {
    if (!Number.isFinite(d) || d < 0)
      throw new WeirError('WEIR_BAD_DURATION', `${what} must be a non-negative number of milliseconds, got ${d}`);
    return d;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(d);
  const unit = m ? (m[2] ?? '').toLowerCase() || 'ms' : '';
  const factor = UNITS[unit];
  if (!m || factor === undefined) {
    throw new WeirError(
      'WEIR_BAD_DURATION',
      `${what} '${d}' is not a duration: use milliseconds or a string like '500ms', '10s', '5m', '1h'`,
    );
  }
  return Math.round(Number(m[1]) * factor);
}
