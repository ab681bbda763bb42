/**
 * The primitive the HA services are built on, implemented once per coordination service (etcd,
 * ZooKeeper, an in-process one for `none`): versioned keys with compare-and-swap, children of a
 * path, watches, and leader election whose grant carries the leader session id (the fencing
 * token). A write given a `fence` succeeds only while that leadership is still held — in etcd a
 * transaction comparing the leader key's create revision, in ZooKeeper a multi-op checking the
 * leader's ephemeral latch node — so a deposed leader that wakes up cannot change any store.
 */

/** A value and the version a compare-and-swap compares (etcd: mod revision; ZooKeeper: node version). */
export interface Versioned {
  readonly value: Buffer;
  readonly version: number;
}

/** Leadership held by this process: its session id is the fencing token on every message. */
export interface LeaderSession {
  readonly sessionId: string;
  /** Whether this process still believes it leads (false after revocation). */
  readonly valid: boolean;
}

export interface WriteOptions {
  /** null: the key must not exist; a number: its version must be this one; absent: unconditional. */
  expect?: number | null;
  /** The write happens only while this leadership is held. */
  fence?: LeaderSession;
}

export interface LeadershipEvents {
  /** This contender became the leader; `publish` was written as the leader's information. */
  granted(session: LeaderSession): void;
  /** Leadership was lost (lease expired, session expired, connection suspended, or resigned). */
  revoked(reason: string): void;
}

export interface Campaign {
  /** Leaves the election (gives up leadership if held). */
  resign(): Promise<void>;
}

export interface Coordination {
  /** e.g. "etcd http://127.0.0.1:2379". */
  readonly description: string;
  get(path: string): Promise<Versioned | undefined>;
  /** Names of the keys directly below `path` (not their values). */
  children(path: string): Promise<string[]>;
  /** Writes `value`; false when `expect` or `fence` does not hold. */
  put(path: string, value: Buffer, opts?: WriteOptions): Promise<boolean>;
  /** Removes the key and everything below it; false when `expect` or `fence` does not hold. */
  remove(path: string, opts?: WriteOptions): Promise<boolean>;
  /**
   * Joins the election `name`. When this contender wins, `info(sessionId)` is published as the
   * leader information that `watchLeader` reports, and `events.granted` is called.
   */
  campaign(name: string, info: (sessionId: string) => Buffer, events: LeadershipEvents): Promise<Campaign>;
  /** Calls `onChange` with the current leader information (undefined: no leader) now and on every change. */
  watchLeader(name: string, onChange: (info: Buffer | undefined) => void): Promise<() => void>;
  /** Whether the coordination service still grants this leadership (asked when a fenced write failed). */
  holds(fence: LeaderSession): Promise<boolean>;
  /** Resigns this process's campaigns and disconnects. */
  close(): Promise<void>;
}

/** Joins path segments with '/', no trailing or doubled slashes. */
export function joinPath(...parts: string[]): string {
  const p = parts
    .join('/')
    .split('/')
    .filter((s) => s !== '')
    .join('/');
  return `/${p}`;
}
