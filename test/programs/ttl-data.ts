/** Shared by test/programs/state-ttl.ts and its test: keys, TTL and the time of record i. */
export const TTL_MS = 500;
export const KEYS = 7;
/** 10 ms per record, and a 1000 ms jump every 100 records (longer than the TTL). */
export const timeOf = (i: number): number => i * 10 + Math.floor(i / 100) * 1000;
