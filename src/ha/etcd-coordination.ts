/**
 * Coordination on etcd (the `etcd3` client). Election: the leader key is created in a transaction
 * only if absent, attached to a lease the winner keeps alive; it disappears when the lease expires
 * (a killed or frozen leader), and the contenders watching it try again. Fenced writes compare the
 * leader key's create revision, which changes whenever another contender wins.
 */
import { randomUUID } from 'node:crypto';
import { Etcd3, type Lease, type IKeyValue, type Watcher } from 'etcd3';
import { WeirError } from '../errors.js';
import type { Campaign, Coordination, LeaderSession, LeadershipEvents, Versioned, WriteOptions } from './coordination.js';

export interface EtcdOptions {
  endpoints: readonly string[];
  /** Lease TTL in ms (rounded up to whole seconds, as etcd counts them). */
  leaseTtl: number;
}

class EtcdSession implements LeaderSession {
  valid = true;
  constructor(
    readonly sessionId: string,
    readonly key: string,
    readonly createRevision: string,
  ) {}
}

const toVersioned = (kv: IKeyValue): Versioned => ({ value: kv.value, version: Number(kv.mod_revision) });

export class EtcdCoordination implements Coordination {
  readonly description: string;
  private readonly client: Etcd3;
  private closed = false;
  private readonly campaigns = new Set<Campaign>();
  private readonly watchers = new Set<Watcher>();

  constructor(private readonly opts: EtcdOptions) {
    if (opts.endpoints.length === 0) throw new WeirError('WEIR_HA', 'high-availability.etcd.endpoints is empty');
    this.description = `etcd ${opts.endpoints.join(';')}`;
    this.client = new Etcd3({ hosts: [...opts.endpoints], dialTimeout: 5000 });
  }

  async get(path: string): Promise<Versioned | undefined> {
    const r = await this.client.get(path).exec();
    const kv = r.kvs[0];
    return kv ? toVersioned(kv) : undefined;
  }

  async children(path: string): Promise<string[]> {
    const prefix = `${path}/`;
    const keys = await this.client.getAll().prefix(prefix).keys();
    return [...new Set(keys.map((k) => k.slice(prefix.length).split('/')[0]!))].sort();
  }

  private conditions(path: string, opts: WriteOptions): ReturnType<Etcd3['if']> | undefined {
    const cmps: [string, 'Create' | 'Mod', number | string][] = [];
    if (opts.expect === null) cmps.push([path, 'Create', 0]);
    else if (opts.expect !== undefined) cmps.push([path, 'Mod', opts.expect]);
    if (opts.fence) {
      const s = opts.fence as EtcdSession;
      cmps.push([s.key, 'Create', s.createRevision]);
    }
    if (cmps.length === 0) return undefined;
    let txn = this.client.if(cmps[0]![0], cmps[0]![1], '==', cmps[0]![2]);
    for (const c of cmps.slice(1)) txn = txn.and(c[0], c[1], '==', c[2]);
    return txn;
  }

  async put(path: string, value: Buffer, opts: WriteOptions = {}): Promise<boolean> {
    if (opts.fence && !opts.fence.valid) return false;
    const txn = this.conditions(path, opts);
    if (!txn) {
      await this.client.put(path).value(value).exec();
      return true;
    }
    return (await txn.then(this.client.put(path).value(value)).commit()).succeeded;
  }

  async remove(path: string, opts: WriteOptions = {}): Promise<boolean> {
    if (opts.fence && !opts.fence.valid) return false;
    const txn = this.conditions(path, opts);
    const ops = [this.client.delete().key(path), this.client.delete().prefix(`${path}/`)];
    if (!txn) {
      await Promise.all(ops.map((o) => o.exec()));
      return true;
    }
    return (await txn.then(...ops).commit()).succeeded;
  }

  async campaign(name: string, info: (sessionId: string) => Buffer, events: LeadershipEvents): Promise<Campaign> {
    const ttlSeconds = Math.max(1, Math.ceil(this.opts.leaseTtl / 1000));
    let lease: Lease | undefined;
    let session: EtcdSession | undefined;
    let resigned = false;
    let wake: (() => void) | undefined;
    let deleted = false;
    const watcher = await this.client.watch().key(name).create();
    watcher.on('delete', () => {
      deleted = true;
      wake?.();
    });
    const revoke = (reason: string): void => {
      if (!session?.valid) return;
      session.valid = false;
      session = undefined;
      events.revoked(reason);
    };
    const newLease = (): Lease => {
      const l = this.client.lease(ttlSeconds);
      l.on('lost', (e) => {
        if (lease === l) lease = undefined;
        revoke(`etcd lease lost: ${e.message}`);
        wake?.();
      });
      return l;
    };
    const loop = async (): Promise<void> => {
      while (!resigned && !this.closed) {
        if (!session) {
          try {
            lease ??= newLease();
            const leaseId = await lease.grant();
            const sessionId = randomUUID();
            const r = await this.client
              .if(name, 'Create', '==', 0)
              .then(this.client.put(name).value(info(sessionId)).lease(leaseId))
              .commit();
            if (r.succeeded && !resigned) {
              session = new EtcdSession(sessionId, name, r.header.revision);
              events.granted(session);
              continue;
            }
          } catch {
            // etcd unreachable or the lease lost: try again below.
          }
        }
        // Wait for the leader key to go (or the lease to be lost), re-checking now and then so that
        // a deletion between the transaction and the wait is not missed.
        if (deleted) {
          deleted = false;
          continue;
        }
        await new Promise<void>((resolve) => {
          // A deletion seen while not waiting is caught by this re-check (cheap: one read-compare).
          const t = setTimeout(resolve, Math.min(250, this.opts.leaseTtl / 4));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    };
    void loop();
    const campaign: Campaign = {
      resign: async () => {
        this.campaigns.delete(campaign);
        resigned = true;
        wake?.();
        revoke('resigned');
        await watcher.cancel().catch(() => undefined);
        await lease?.revoke().catch(() => undefined);
      },
    };
    this.campaigns.add(campaign);
    return campaign;
  }

  async watchLeader(name: string, onChange: (info: Buffer | undefined) => void): Promise<() => void> {
    const watcher = await this.client.watch().key(name).create();
    this.watchers.add(watcher);
    watcher.on('put', (kv) => onChange(kv.value));
    watcher.on('delete', () => onChange(undefined));
    const current = await this.get(name);
    onChange(current?.value);
    return () => {
      this.watchers.delete(watcher);
      void watcher.cancel().catch(() => undefined);
    };
  }

  async holds(fence: LeaderSession): Promise<boolean> {
    if (!fence.valid) return false;
    const s = fence as EtcdSession;
    const r = await this.client.get(s.key).exec();
    return r.kvs[0]?.create_revision === s.createRevision;
  }

  async close(): Promise<void> {
    for (const c of [...this.campaigns]) await c.resign().catch(() => undefined);
    this.closed = true;
    await Promise.all([...this.watchers].map((w) => w.cancel().catch(() => undefined)));
    this.watchers.clear();
    this.client.close();
  }
}
