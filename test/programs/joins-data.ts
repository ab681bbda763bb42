/** Input of test/programs/joins.ts and of its test: orders and payments of a few keys, in timestamp order. */
export interface JEvent {
  side: 'O' | 'P';
  k: string;
  id: number;
  ts: number;
}

export const J_EVENTS: JEvent[] = Array.from({ length: 240 }, (_, i) => ({
  side: i % 3 === 0 ? 'P' : 'O',
  k: `k${(i * 7) % 5}`,
  id: i,
  ts: i * 100 + (i % 4 === 0 ? 50 : 0),
}));

export const WINDOW_MS = 1000;
export const LOWER_MS = -700;
export const UPPER_MS = 500;
