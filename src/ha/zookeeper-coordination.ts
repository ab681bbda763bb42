/**
 * Coordination on ZooKeeper (the pure-JavaScript `node-zookeeper-client`). Election as in Curator's
 * LeaderLatch: every contender creates an ephemeral sequential node under the election's latch
 * path; the lowest leads and publishes its information in an ephemeral leader node; the others
 * watch their predecessor. A session that expires or a connection that is suspended revokes
 * leadership (Flink's default: suspended connections are not tolerated). Fenced writes are
 * multi-ops that check the leader's latch node still exists.
 */
import { randomUUID } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import type { Client, Exception as ZkException, Transaction } from 'node-zookeeper-client';
import { WeirError } from '../errors.js';
import type { Campaign, Coordination, LeaderSession, LeadershipEvents, Versioned, WriteOptions } from './coordination.js';

const { CreateMode, Exception } = zookeeper;

export interface ZooKeeperOptions {
  quorum: string;
  sessionTimeout: number;
  connectionTimeout: number;
}

class ZkSession implements LeaderSession {
  valid = true;
  constructor(
    readonly sessionId: string,
    readonly latch: string,
  ) {}
}

type Cb<T> = (error: Error | ZkException | null, result: T) => void;
const code = (e: unknown): number | undefined =>
  typeof (e as ZkException | undefined)?.getCode === 'function' ? (e as ZkException).getCode() : undefined;
const parentOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';

export class ZooKeeperCoordination implements Coordination {
  readonly description: string;
  private readonly client: Client;
  private readonly campaigns = new Set<Campaign>();
  private readonly stateListeners = new Set<(state: 'disconnected' | 'expired' | 'connected') => void>();

  private constructor(private readonly opts: ZooKeeperOptions) {
    this.description = `ZooKeeper ${opts.quorum}`;
    this.client = zookeeper.createClient(opts.quorum, { sessionTimeout: opts.sessionTimeout, spinDelay: 200, retries: 1 });
    for (const s of ['disconnected', 'expired', 'connected'] as const) this.client.on(s, () => this.stateListeners.forEach((l) => l(s)));
  }

  static async connect(opts: ZooKeeperOptions): Promise<ZooKeeperCoordination> {
    const c = new ZooKeeperCoordination(opts);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        c.client.close();
        reject(new WeirError('WEIR_HA', `could not connect to ZooKeeper at ${opts.quorum} within ${opts.connectionTimeout} ms`));
      }, opts.connectionTimeout);
      c.client.once('connected', () => {
        clearTimeout(t);
        resolve();
      });
      c.client.connect();
    });
    return c;
  }

  private call<T>(f: (cb: Cb<T>) => void): Promise<T> {
    return new Promise((resolve, reject) => f((e, r) => (e ? reject(e) : resolve(r))));
  }

  /**
   * An idempotent request, tried again when the connection drops under it (CONNECTION_LOSS: the
   * client reconnects within the session): a busy ZooKeeper must not end a JobManager. Tried for
   * as long as a first connection may take (high-availability.zookeeper.client.connection-timeout).
   */
  private async idempotent<T>(f: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.opts.connectionTimeout;
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        if (code(e) !== Exception.CONNECTION_LOSS || Date.now() >= deadline) throw e;
        await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
      }
    }
  }

  private commit(t: Transaction): Promise<boolean> {
    return new Promise((resolve, reject) =>
      t.commit((e) => {
        if (!e) return resolve(true);
        const c = code(e);
        if (c === Exception.NO_NODE || c === Exception.BAD_VERSION || c === Exception.NODE_EXISTS) resolve(false);
        else reject(e);
      }),
    );
  }

  private mkdirp(path: string): Promise<string> {
    return this.idempotent(() => this.call<string>((cb) => this.client.mkdirp(path, cb)));
  }

  async get(path: string): Promise<Versioned | undefined> {
    try {
      const [value, version] = await this.idempotent(
        () =>
          new Promise<[Buffer, number]>((resolve, reject) =>
            this.client.getData(path, (e, data, stat) => (e ? reject(e) : resolve([data ?? Buffer.alloc(0), stat.version]))),
          ),
      );
      return { value, version };
    } catch (e) {
      if (code(e) === Exception.NO_NODE) return undefined;
      throw e;
    }
  }

  async children(path: string): Promise<string[]> {
    try {
      return (await this.idempotent(() => this.call<string[]>((cb) => this.client.getChildren(path, cb)))).sort();
    } catch (e) {
      if (code(e) === Exception.NO_NODE) return [];
      throw e;
    }
  }

  async put(path: string, value: Buffer, opts: WriteOptions = {}): Promise<boolean> {
    const fence = opts.fence as ZkSession | undefined;
    if (fence && !fence.valid) return false;
    await this.mkdirp(parentOf(path));
    const t = this.client.transaction();
    if (fence) t.check(fence.latch, -1);
    let create = opts.expect === null;
    if (opts.expect === undefined) create = (await this.get(path)) === undefined;
    // The client sends version 0 as "any version" (-1), so a created node is set once more in the
    // same multi-op: versions start at 1 and a compare-and-swap never expects 0.
    if (create) t.create(path, value, CreateMode.PERSISTENT).setData(path, value, -1);
    else t.setData(path, value, opts.expect ?? -1);
    return this.commit(t);
  }

  async remove(path: string, opts: WriteOptions = {}): Promise<boolean> {
    const fence = opts.fence as ZkSession | undefined;
    if (fence && !fence.valid) return false;
    const nodes: string[] = [];
    const walk = async (p: string): Promise<void> => {
      for (const c of await this.children(p)) await walk(`${p}/${c}`);
      nodes.push(p);
    };
    await walk(path);
    const t = this.client.transaction();
    if (fence) t.check(fence.latch, -1);
    for (const n of nodes) t.remove(n, n === path ? (opts.expect ?? -1) : -1);
    const ok = await this.commit(t);
    // A node that was already gone is what a removal wants, unless a version was expected.
    return ok || (opts.expect === undefined && !fence && (await this.get(path)) === undefined);
  }

  async campaign(name: string, info: (sessionId: string) => Buffer, events: LeadershipEvents): Promise<Campaign> {
    const latchDir = `${name}-latch`;
    await this.mkdirp(latchDir);
    await this.mkdirp(parentOf(name));
    let session: ZkSession | undefined;
    let latch: string | undefined;
    let resigned = false;
    let checking = false;
    let again = false;
    const revoke = (reason: string): void => {
      if (!session?.valid) return;
      session.valid = false;
      session = undefined;
      events.revoked(reason);
    };
    const check = async (): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          if (resigned || session) return;
          latch ??= await this.call<string>((cb) =>
            this.client.create(`${latchDir}/latch-`, Buffer.alloc(0), CreateMode.EPHEMERAL_SEQUENTIAL, cb),
          );
          const mine = latch.slice(latchDir.length + 1);
          const all = await this.children(latchDir);
          const idx = all.indexOf(mine);
          if (idx === -1) {
            latch = undefined;
            again = true;
            continue;
          }
          if (idx === 0) {
            const s = new ZkSession(randomUUID(), latch);
            // The leader node of a predecessor whose session is gone is gone too (ephemeral); one
            // left by an earlier latch of this session is replaced, fenced by the latch.
            const t = this.client.transaction().check(latch, -1);
            if (await this.get(name)) t.remove(name, -1);
            t.create(name, info(s.sessionId), CreateMode.EPHEMERAL);
            if (!(await this.commit(t))) {
              again = true;
              continue;
            }
            session = s;
            events.granted(s);
            return;
          }
          // Watch the predecessor only: its removal makes this contender re-check.
          const exists = await new Promise<boolean>((resolve, reject) =>
            this.client.exists(
              `${latchDir}/${all[idx - 1]}`,
              () => void check(),
              (e, stat) => (e ? reject(e) : resolve(!!stat)),
            ),
          );
          if (!exists) again = true;
        } while (again);
      } catch {
        again = false;
        if (!resigned) setTimeout(() => void check(), 200).unref();
      } finally {
        checking = false;
      }
    };
    const onState = (s: 'disconnected' | 'expired' | 'connected'): void => {
      if (s === 'disconnected') revoke('the connection to ZooKeeper was suspended');
      if (s === 'expired') {
        revoke('the ZooKeeper session expired');
        latch = undefined;
      }
      if (s === 'connected') void check();
    };
    this.stateListeners.add(onState);
    await check();
    const campaign: Campaign = {
      resign: async () => {
        this.campaigns.delete(campaign);
        resigned = true;
        this.stateListeners.delete(onState);
        revoke('resigned');
        if (latch) await this.remove(latch).catch(() => undefined);
      },
    };
    this.campaigns.add(campaign);
    return campaign;
  }

  async watchLeader(name: string, onChange: (info: Buffer | undefined) => void): Promise<() => void> {
    let stopped = false;
    let last: string | undefined = '\u0000';
    // One watcher function for both watches: the client keeps a function once per path and kind.
    const onEvent = (): void => read();
    const read = (): void => {
      if (stopped) return;
      this.client.exists(name, onEvent, (e, stat) => {
        if (e) {
          setTimeout(read, 200).unref();
          return;
        }
        if (!stat) return report(undefined);
        this.client.getData(name, onEvent, (e2, data) =>
          e2 ? (code(e2) === Exception.NO_NODE ? report(undefined) : setTimeout(read, 200).unref()) : report(data),
        );
      });
    };
    const report = (data: Buffer | undefined): void => {
      const key = data?.toString('base64');
      if (stopped || key === last) return;
      last = key;
      onChange(data);
    };
    const onState = (s: 'disconnected' | 'expired' | 'connected'): void => {
      if (s === 'connected') read();
    };
    this.stateListeners.add(onState);
    read();
    return () => {
      stopped = true;
      this.stateListeners.delete(onState);
    };
  }

  async holds(fence: LeaderSession): Promise<boolean> {
    return fence.valid && (await this.get((fence as ZkSession).latch)) !== undefined;
  }

  async close(): Promise<void> {
    for (const c of [...this.campaigns]) await c.resign().catch(() => undefined);
    this.stateListeners.clear();
    this.client.close();
  }
}
