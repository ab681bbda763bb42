/** Input of test/programs/windowing.ts and of its test: keyed events in timestamp order. */
export interface WEvent {
  k: string;
  v: number;
  ts: number;
}

const KEYS = ['a', 'b', 'c'];

export const W_EVENTS: WEvent[] = Array.from({ length: 150 }, (_, i) => ({
  k: KEYS[(i * 5 + (i >> 2)) % 3]!,
  v: (i * 37) % 23,
  ts: i * 250,
}));

/** The session gap of an event (DynamicEventTimeSessionWindows). */
export const sessionGap = (e: WEvent): number => 400 + (e.v % 3) * 300;
