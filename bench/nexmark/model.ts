/**
 * The Nexmark data model (the auction site of the Nexmark benchmark, as in Apache Beam's and
 * Flink's Nexmark suites): people register, open auctions, and bid on them. Every field is plain
 * data (numbers and strings) so events travel through Weir's serializer unchanged. Times are
 * milliseconds since the epoch.
 */

export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

export const PERSON = 0;
export const AUCTION = 1;
export const BID = 2;
export type EventType = typeof PERSON | typeof AUCTION | typeof BID;

/**
 * One event of the stream (Flink Nexmark's Event): exactly one of person, auction and bid is set,
 * as `type` says. The other two are null, so every event has the same shape.
 */
export interface NexmarkEvent {
  type: EventType;
  person: Person | null;
  auction: Auction | null;
  bid: Bid | null;
}

/** The event time of an event. */
export function eventTime(e: NexmarkEvent): number {
  return e.type === BID ? e.bid!.dateTime : e.type === AUCTION ? e.auction!.dateTime : e.person!.dateTime;
}
