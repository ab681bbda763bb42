/**
 * What each Nexmark query computes, shared by its three implementations (Weir program, fused
 * loop, RxJS pipeline): result row types, the row hash the checksum uses, and the constants. The
 * semantics follow Flink's Nexmark SQL queries, restated for a bounded run:
 *
 * - q0  pass-through: every bid.
 * - q1  currency conversion: every bid with price * 0.908 (dollars to euros).
 * - q2  selection: (auction, price) of bids whose auction % 123 == 0.
 * - q3  local item suggestion: (name, city, state, auction id) for each auction of category 10
 *       whose seller lives in OR, ID or CA (an unwindowed join: either side may come first).
 * - q4  average price per category: the winning bid of an auction is its highest bid with
 *       auction.dateTime <= bid.dateTime <= auction.expires, taken when the auction closes (event
 *       time passes `expires`); the result is a changelog of (category, average winning price),
 *       checked by its final row per category.
 * - q5  hot items: per sliding window (10 s, every 2 s), the auctions with the most bids:
 *       (auction, bid count, window start).
 * - q7  highest bid: per tumbling 10 s window, the bids with the highest price.
 * - q8  new users: people who opened an auction in the tumbling 10 s window they registered in:
 *       (person id, name, window start).
 * - q11 user sessions: per bidder, sessions of bids with gaps of at most 10 s:
 *       (bidder, bid count, session start, session end = last bid + 10 s).
 *
 * Event time is the events' dateTime; watermarks trail it by 1 ms plus one millisecond of
 * bounded out-of-orderness (see weir-queries.ts), so a window closes only after every event at or
 * before its last millisecond arrived, and all three implementations see the same window contents.
 */
import type { Bid } from './model.js';
import { hashEnd, hashNum, hashStr } from './checksum.js';

export const QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8', 'q11'] as const;
export type QueryName = (typeof QUERIES)[number];

export function isQueryName(s: string): s is QueryName {
  return (QUERIES as readonly string[]).includes(s);
}

export const DOLLAR_TO_EURO = 0.908;
export const Q2_AUCTION_MODULUS = 123;
export const Q3_CATEGORY = 10;
export const Q3_STATES: ReadonlySet<string> = new Set(['OR', 'ID', 'CA']);
export const Q5_SIZE = 10_000;
export const Q5_SLIDE = 2_000;
export const Q7_SIZE = 10_000;
export const Q8_SIZE = 10_000;
export const Q11_GAP = 10_000;

export interface Q2Row {
  auction: number;
  price: number;
}
export interface Q3Row {
  name: string;
  city: string;
  state: string;
  id: number;
}
export interface Q4Row {
  category: number;
  avg: number;
}
export interface Q5Row {
  auction: number;
  num: number;
  start: number;
}
export interface Q8Row {
  id: number;
  name: string;
  start: number;
}
export interface Q11Row {
  bidder: number;
  count: number;
  start: number;
  end: number;
}

export function hashBid(b: Bid): number {
  let h = hashNum(0x62696400, b.auction);
  h = hashNum(h, b.bidder);
  h = hashNum(h, b.price);
  h = hashNum(h, b.dateTime);
  h = hashStr(h, b.extra);
  return hashEnd(h);
}

export function hashQ2(r: Q2Row): number {
  return hashEnd(hashNum(hashNum(0x71320000, r.auction), r.price));
}

export function hashQ3(r: Q3Row): number {
  let h = hashStr(0x71330000, r.name);
  h = hashStr(h, r.city);
  h = hashStr(h, r.state);
  return hashEnd(hashNum(h, r.id));
}

export function hashQ4(r: Q4Row): number {
  return hashEnd(hashNum(hashNum(0x71340000, r.category), r.avg));
}

export function hashQ5(r: Q5Row): number {
  return hashEnd(hashNum(hashNum(hashNum(0x71350000, r.auction), r.num), r.start));
}

export function hashQ8(r: Q8Row): number {
  return hashEnd(hashNum(hashStr(hashNum(0x71380000, r.id), r.name), r.start));
}

export function hashQ11(r: Q11Row): number {
  let h = hashNum(0x71313100, r.bidder);
  h = hashNum(h, r.count);
  h = hashNum(h, r.start);
  return hashEnd(hashNum(h, r.end));
}

export interface QueryInfo {
  /** Hash of one result row. */
  hash: (row: never) => number;
  /** For changelog results: the key whose last row counts. */
  upsertKey?: (row: never) => unknown;
  description: string;
}

export const QUERY_INFO: Record<QueryName, QueryInfo> = {
  q0: { hash: hashBid, description: 'pass-through' },
  q1: { hash: hashBid, description: 'currency conversion' },
  q2: { hash: hashQ2, description: 'selection' },
  q3: { hash: hashQ3, description: 'local item suggestion (auction ⋈ person)' },
  q4: { hash: hashQ4, upsertKey: (r: Q4Row) => r.category, description: 'average price per category' },
  q5: { hash: hashQ5, description: 'hot items (sliding 10 s / 2 s)' },
  q7: { hash: hashBid, description: 'highest bid per 10 s window' },
  q8: { hash: hashQ8, description: 'new users (person ⋈ auction, 10 s window)' },
  q11: { hash: hashQ11, description: 'sessions per bidder (gap 10 s)' },
};

/** Flink's TimeWindow.getWindowStartWithOffset with offset 0. */
export function windowStart(ts: number, size: number): number {
  return ts - (((ts % size) + size) % size);
}
