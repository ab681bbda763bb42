/** Inputs of the API test programs, shared with test/e2e/api.test.ts, which computes the expected results. */

export const NUMBERS: number[] = Array.from({ length: 30 }, (_, i) => i + 1);

export interface Reading {
  key: string;
  v: number;
  w: number;
  id: number;
}

/** For sum/min/max/minBy/maxBy: ties on v (minBy/maxBy keep the first) and w differing from v's order. */
export const READINGS: Reading[] = [
  { key: 'a', v: 5, w: 1, id: 1 },
  { key: 'b', v: 7, w: 2, id: 2 },
  { key: 'a', v: 3, w: 9, id: 3 },
  { key: 'a', v: 8, w: 4, id: 4 },
  { key: 'b', v: 7, w: 8, id: 5 },
  { key: 'c', v: -2, w: 0, id: 6 },
  { key: 'a', v: 3, w: 7, id: 7 },
  { key: 'b', v: 1, w: 3, id: 8 },
  { key: 'a', v: 8, w: 2, id: 9 },
  { key: 'c', v: 4, w: 5, id: 10 },
  { key: 'b', v: 9, w: 6, id: 11 },
];

export interface Purchase {
  user: string;
  item: string;
  amount: number;
}

/** For keyed state; item 'reset' clears the user's state. */
export const PURCHASES: Purchase[] = [
  { user: 'u1', item: 'apple', amount: 3 },
  { user: 'u2', item: 'pear', amount: 10 },
  { user: 'u1', item: 'fig', amount: 4 },
  { user: 'u1', item: 'apple', amount: 5 },
  { user: 'u3', item: 'kiwi', amount: 1 },
  { user: 'u2', item: 'pear', amount: 2 },
  { user: 'u2', item: 'reset', amount: 0 },
  { user: 'u1', item: 'plum', amount: 8 },
  { user: 'u2', item: 'fig', amount: 6 },
  { user: 'u3', item: 'kiwi', amount: 9 },
  { user: 'u1', item: 'fig', amount: 1 },
];

export interface Ev {
  key: string;
  ts: number;
  v: number;
}

/** For event-time windows: in timestamp order, so no record is ever late whatever the watermark timing. */
export const WINDOW_EVENTS: Ev[] = [
  { key: 'x', ts: 0, v: 1 },
  { key: 'y', ts: 500, v: 10 },
  { key: 'x', ts: 1000, v: 2 },
  { key: 'x', ts: 2500, v: 3 },
  { key: 'y', ts: 3000, v: 20 },
  { key: 'y', ts: 3100, v: 30 },
  { key: 'x', ts: 4000, v: 4 },
  { key: 'x', ts: 4999, v: 5 },
  { key: 'x', ts: 9000, v: 6 },
  { key: 'x', ts: 9500, v: 7 },
  { key: 'y', ts: 12000, v: 40 },
  { key: 'y', ts: 12500, v: 50 },
  { key: 'x', ts: 12500, v: 10 }, // exactly one session gap (3 s) after x's 9500: session windows touch and merge
  { key: 'x', ts: 15000, v: 8 },
  { key: 'x', ts: 21000, v: 9 },
  { key: 'y', ts: 30000, v: 60 },
];

/**
 * For allowedLateness: one key, a watermark equal to the largest timestamp so far (emitted after
 * each record), 5 s tumbling windows, 2 s allowed lateness. Expected firings and late records are
 * worked out in the comments.
 */
export const LATE_EVENTS: number[] = [
  1000,
  2000,
  6000, // watermark 6000: [0,5000) fires with 2
  3000, // late but within lateness (4999 + 2000 > 6000): [0,5000) fires again with 3
  7500, // watermark 7500: [0,5000) is purged (6999 <= 7500)
  4000, // too late: side output
  9999, // watermark 9999: [5000,10000) fires with 3
  8000, // late but allowed: [5000,10000) fires again with 4
  12500, // watermark 12500: [5000,10000) purged
  9000, // too late
  // end of input: [10000,15000) fires with 1
];
export const LATE_EXPECTED = {
  windows: [
    { start: 0, count: 2 },
    { start: 0, count: 3 },
    { start: 5000, count: 3 },
    { start: 5000, count: 4 },
    { start: 10000, count: 1 },
  ],
  late: [4000, 9000],
};
