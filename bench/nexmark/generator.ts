/**
 * A deterministic Nexmark event generator following the reference generator (Beam's and Flink's
 * Nexmark `NexmarkGenerator`): event `i` is a person, an auction or a bid in the proportion
 * 1 : 3 : 46 (by `i` modulo 50), person and auction ids start at 1000 and grow with the event
 * index, auctions mostly belong to hot sellers and bids mostly go to hot auctions by hot bidders,
 * and event time advances by `1000 / ratePerSecond` ms per event from `baseTime`.
 *
 * Every event is a pure function of its index (its random numbers come from a generator seeded by
 * the index, as the reference seeds `new Random(eventId)`), so any subset of indexes can be
 * generated anywhere, in any order, and resumed from a saved index: that is what makes the Weir
 * source splittable and checkpointable (see source.ts). The random generator is not Java's LCG,
 * and strings are taken from fixed random texts instead of drawn character by character (the
 * `extra` padding from a table of 64 strings per length), so the values differ from the
 * reference while the model (ids, proportions, hotness, string sizes, times) is the same, and
 * generating an event costs a few hundred nanoseconds rather than microseconds.
 */
import { AUCTION, BID, PERSON, type Auction, type Bid, type NexmarkEvent, type Person } from './model.js';

export interface NexmarkConfig {
  /** Number of events; Infinity for an unbounded stream. */
  events: number;
  /** Events per second of event time (the reference's firstEventRate with one generator). */
  ratePerSecond: number;
  /** Event time of event 0, ms since the epoch. */
  baseTime: number;
  personProportion: number;
  auctionProportion: number;
  bidProportion: number;
  /** P(bid for a hot auction) = 1 - 1/hotAuctionRatio. */
  hotAuctionRatio: number;
  /** P(auction by a hot seller) = 1 - 1/hotSellersRatio. */
  hotSellersRatio: number;
  /** P(bid by a hot bidder) = 1 - 1/hotBiddersRatio. */
  hotBiddersRatio: number;
  numInFlightAuctions: number;
  numActivePeople: number;
  avgPersonByteSize: number;
  avgAuctionByteSize: number;
  avgBidByteSize: number;
}

/** The reference defaults (NexmarkConfiguration), 10 000 events per second of event time. */
export const DEFAULT_CONFIG: Readonly<NexmarkConfig> = {
  events: 100_000,
  ratePerSecond: 10_000,
  baseTime: Date.UTC(2015, 6, 15),
  personProportion: 1,
  auctionProportion: 3,
  bidProportion: 46,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
};

export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
const HOT_AUCTION_RATIO = 100;
const HOT_SELLER_RATIO = 100;
const HOT_BIDDER_RATIO = 100;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
const MIN_STRING_LENGTH = 3;

const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const DIGITS4 = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));

const TWO_32 = 4294967296;

/** mulberry32, reseeded per event: fast, and good enough for synthetic data. */
class Rng {
  private s = 0;
  seed(index: number): void {
    // Mix both 32-bit halves of the index (indexes may exceed 2^32 in unbounded runs).
    const hi = Math.floor(index / TWO_32);
    let h = (index >>> 0) ^ Math.imul(hi ^ 0x5bd1e995, 0x27d4eb2d);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.s = (h ^ (h >>> 16)) | 0;
  }
  /** A uniform 32-bit unsigned integer. */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, n) for 0 < n <= 2^32. */
  nextInt(n: number): number {
    return Math.floor((this.next() * n) / TWO_32);
  }
  /** Uniform in [0, 1) with 53 bits. */
  nextDouble(): number {
    return (this.next() * 2097152 + (this.next() >>> 11)) / 9007199254740992;
  }
  /** Uniform in [0, n) for any safe n. */
  nextLong(n: number): number {
    return n <= TWO_32 ? this.nextInt(n) : Math.floor(this.nextDouble() * n);
  }
}

/** Fixed random texts that strings are cut from: letters with a space every 13 characters on average, and letters only. */
function randomText(length: number, seed: number, spaces: boolean): string {
  const r = new Rng();
  r.seed(seed);
  const codes = new Uint8Array(length);
  for (let i = 0; i < length; i++) codes[i] = spaces && r.nextInt(13) === 0 ? 32 : 97 + r.nextInt(26);
  return Buffer.from(codes.buffer, codes.byteOffset, codes.length).toString('latin1');
}
const TEXT_LENGTH = 1 << 14;
let text: string | undefined;
let letterText: string | undefined;

/**
 * Letter strings by length, EXTRA_VARIANTS of each, made on first use. They are flat strings
 * (copies, not slices of a longer text), as strings read from a file or socket would be.
 */
const EXTRA_VARIANTS = 64;
const extras: string[] = [];
function letters(length: number, variant: number): string {
  const k = length * EXTRA_VARIANTS + variant;
  let s = extras[k];
  if (s === undefined) {
    const src = (letterText ??= randomText(TEXT_LENGTH, 0x61726b21, false));
    const at = (variant * 7919 + length * 104729) % Math.max(1, src.length - length);
    const out = length < src.length ? src.substring(at, at + length) : src.repeat(Math.ceil(length / src.length)).slice(0, length);
    s = extras[k] = Buffer.from(out, 'latin1').toString('latin1');
  }
  return s;
}

export function resolveConfig(config: Partial<NexmarkConfig> = {}): NexmarkConfig {
  const c = { ...DEFAULT_CONFIG, ...config };
  if (!(c.events === Infinity || (Number.isSafeInteger(c.events) && c.events >= 0))) {
    throw new Error(`Nexmark: events must be a non-negative integer or Infinity, got ${c.events}`);
  }
  if (!(c.ratePerSecond > 0)) throw new Error(`Nexmark: ratePerSecond must be positive, got ${c.ratePerSecond}`);
  return c;
}

export class NexmarkGenerator {
  readonly config: NexmarkConfig;
  private readonly rng = new Rng();
  private readonly total: number;
  private readonly personProportion: number;
  private readonly auctionProportion: number;
  private readonly interEventDelayUs: number;
  private readonly baseTime: number;
  private readonly numEventsForAuctions: number;

  constructor(config: Partial<NexmarkConfig> = {}) {
    this.config = resolveConfig(config);
    const c = this.config;
    this.personProportion = c.personProportion;
    this.auctionProportion = c.auctionProportion;
    this.total = c.personProportion + c.auctionProportion + c.bidProportion;
    this.interEventDelayUs = 1_000_000 / c.ratePerSecond;
    this.baseTime = c.baseTime;
    this.numEventsForAuctions = Math.floor((c.numInFlightAuctions * this.total) / c.auctionProportion);
  }

  /** Event time of event `index` (non-decreasing in the index). */
  timestamp(index: number): number {
    return this.baseTime + Math.floor((index * this.interEventDelayUs) / 1000);
  }

  /** PERSON, AUCTION or BID: what event `index` is, without generating it. */
  typeOf(index: number): number {
    const rem = index % this.total;
    return rem < this.personProportion ? PERSON : rem < this.personProportion + this.auctionProportion ? AUCTION : BID;
  }

  /** Event `index` (a new object each call). */
  event(index: number): NexmarkEvent {
    const rem = index % this.total;
    const ts = this.timestamp(index);
    this.rng.seed(index);
    if (rem < this.personProportion) return { type: PERSON, person: this.person(index, ts), auction: null, bid: null };
    if (rem < this.personProportion + this.auctionProportion) {
      return { type: AUCTION, person: null, auction: this.auction(index, ts), bid: null };
    }
    return { type: BID, person: null, auction: null, bid: this.bid(index, ts) };
  }

  /** Events from..end (exclusive) by `step`, as a plain iterator. */
  *events(from = 0, end = this.config.events, step = 1): IterableIterator<NexmarkEvent> {
    for (let i = from; i < end; i += step) yield this.event(i);
  }

  [Symbol.iterator](): IterableIterator<NexmarkEvent> {
    return this.events();
  }

  // ------------------------------------------------------------------ ids

  /** The last person id generated at or before event `eventId` (base 0). */
  lastBase0PersonId(eventId: number): number {
    const epoch = Math.floor(eventId / this.total);
    let offset = eventId % this.total;
    if (offset >= this.personProportion) offset = this.personProportion - 1;
    return epoch * this.personProportion + offset;
  }

  /** The last auction id generated at or before event `eventId` (base 0). */
  lastBase0AuctionId(eventId: number): number {
    let epoch = Math.floor(eventId / this.total);
    let offset = eventId % this.total;
    if (offset < this.personProportion) {
      epoch--;
      offset = this.auctionProportion - 1;
    } else if (offset >= this.personProportion + this.auctionProportion) {
      offset = this.auctionProportion - 1;
    } else {
      offset -= this.personProportion;
    }
    return epoch * this.auctionProportion + offset;
  }

  /** A random person among the active ones, plus a few not generated yet. */
  private nextBase0PersonId(eventId: number): number {
    const numPeople = this.lastBase0PersonId(eventId) + 1;
    const activePeople = Math.min(numPeople, this.config.numActivePeople);
    return numPeople - activePeople + this.rng.nextLong(activePeople + PERSON_ID_LEAD);
  }

  /** A random auction among those likely still in flight, plus a few not generated yet. */
  private nextBase0AuctionId(eventId: number): number {
    const maxAuction = this.lastBase0AuctionId(eventId);
    const minAuction = Math.max(maxAuction - this.config.numInFlightAuctions, 0);
    return minAuction + this.rng.nextLong(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
  }

  // ------------------------------------------------------------------ values

  private nextPrice(): number {
    return Math.round(Math.pow(10, this.rng.nextDouble() * 6) * 100);
  }

  /** 3..maxLength-1 characters of text, trimmed (the reference's nextString). */
  private nextString(maxLength: number): string {
    const t = (text ??= randomText(TEXT_LENGTH, 0x6e65786d, true));
    const len = MIN_STRING_LENGTH + this.rng.nextInt(maxLength - MIN_STRING_LENGTH);
    const at = this.rng.nextInt(t.length - len);
    return t.substring(at, at + len).trim();
  }

  /** Exactly `length` letters. */
  private nextExactString(length: number): string {
    return letters(length, this.rng.nextInt(EXTRA_VARIANTS));
  }

  /** Padding that brings the record to `desiredAverageSize` bytes on average (±20%). */
  private nextExtra(currentSize: number, desiredAverageSize: number): string {
    if (currentSize > desiredAverageSize) return '';
    const rest = desiredAverageSize - currentSize;
    const delta = Math.round(rest * 0.2);
    const minSize = rest - delta;
    return this.nextExactString(minSize + (delta === 0 ? 0 : this.rng.nextInt(2 * delta)));
  }

  private person(eventId: number, ts: number): Person {
    const r = this.rng;
    const id = this.lastBase0PersonId(eventId) + FIRST_PERSON_ID;
    const name = FIRST_NAMES[r.nextInt(FIRST_NAMES.length)]! + ' ' + LAST_NAMES[r.nextInt(LAST_NAMES.length)]!;
    const emailAddress = this.nextString(7) + '@' + this.nextString(5) + '.com';
    const creditCard =
      DIGITS4[r.nextInt(10_000)]! +
      ' ' +
      DIGITS4[r.nextInt(10_000)]! +
      ' ' +
      DIGITS4[r.nextInt(10_000)]! +
      ' ' +
      DIGITS4[r.nextInt(10_000)]!;
    const city = US_CITIES[r.nextInt(US_CITIES.length)]!;
    const state = US_STATES[r.nextInt(US_STATES.length)]!;
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const extra = this.nextExtra(size, this.config.avgPersonByteSize);
    return { id, name, emailAddress, creditCard, city, state, dateTime: ts, extra };
  }

  private auction(eventId: number, ts: number): Auction {
    const r = this.rng;
    const c = this.config;
    const id = this.lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
    let seller: number;
    if (r.nextInt(c.hotSellersRatio) > 0) {
      // the first person of the last batch of HOT_SELLER_RATIO people
      seller = Math.floor(this.lastBase0PersonId(eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
    } else seller = this.nextBase0PersonId(eventId);
    seller += FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
    const initialBid = this.nextPrice();
    // Auctions last on average as long as it takes to open numInFlightAuctions more of them.
    const horizonMs = this.timestamp(eventId + this.numEventsForAuctions) - ts;
    const expires = ts + 1 + r.nextLong(Math.max(horizonMs * 2, 1));
    const itemName = this.nextString(20);
    const description = this.nextString(100);
    const reserve = initialBid + this.nextPrice();
    const size = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
    const extra = this.nextExtra(size, c.avgAuctionByteSize);
    return { id, itemName, description, initialBid, reserve, dateTime: ts, expires, seller, category, extra };
  }

  private bid(eventId: number, ts: number): Bid {
    const r = this.rng;
    const c = this.config;
    let auction: number;
    if (r.nextInt(c.hotAuctionRatio) > 0) {
      // the first auction of the last batch of HOT_AUCTION_RATIO auctions
      auction = Math.floor(this.lastBase0AuctionId(eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
    } else auction = this.nextBase0AuctionId(eventId);
    auction += FIRST_AUCTION_ID;
    let bidder: number;
    if (r.nextInt(c.hotBiddersRatio) > 0) {
      // the second person of the last batch of HOT_BIDDER_RATIO people (hot bidders are not hot sellers)
      bidder = Math.floor(this.lastBase0PersonId(eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
    } else bidder = this.nextBase0PersonId(eventId);
    bidder += FIRST_PERSON_ID;
    const price = this.nextPrice();
    const extra = this.nextExtra(8 + 8 + 8 + 8, c.avgBidByteSize);
    return { auction, bidder, price, dateTime: ts, extra };
  }
}
