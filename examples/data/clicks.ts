/**
 * Input of examples/sessions.ts (and of its test): page views of a few users, in event-time
 * order. Timestamps are milliseconds.
 */
export interface Click {
  user: string;
  ts: number;
  page: string;
}

/** A user's session ends after this much event time without a click. */
export const SESSION_GAP_MS = 30_000;

const c = (user: string, seconds: number, page: string): Click => ({ user, ts: seconds * 1000, page });

export const CLICKS: Click[] = [
  c('ana', 0, '/home'),
  c('ben', 2, '/home'),
  c('ana', 10, '/search'),
  c('cleo', 12, '/home'),
  c('ana', 25, '/item/7'),
  c('ben', 31, '/cart'), // 29 s after ben's last click: same session
  c('ben', 62, '/home'), // 31 s later: ben's first session ended at 61 s, a new one starts
  c('cleo', 70, '/search'),
  c('ana', 90, '/home'),
  c('ana', 100, '/item/3'),
  c('cleo', 101, '/item/3'),
  c('ben', 102, '/checkout'),
  c('dev', 120, '/home'),
  c('ana', 129.999, '/cart'),
  c('cleo', 131, '/cart'),
  c('ben', 180, '/home'),
  c('dev', 181, '/search'),
  c('ana', 200, '/home'),
];
