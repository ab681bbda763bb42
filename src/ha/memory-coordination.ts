/**
 * Coordination inside one process, for high-availability.type none: the only contender leads at
 * once and the stores live in memory, so the JobManager's code is the same with and without HA.
 */
import { randomUUID } from 'node:crypto';
import type { Campaign, Coordination, LeaderSession, LeadershipEvents, Versioned, WriteOptions } from './coordination.js';

export class MemoryCoordination implements Coordination {
  readonly description = 'none (in-process)';
  private readonly data = new Map<string, Versioned>();
  private revision = 0;
  private readonly leaderWatchers = new Map<string, Set<(info: Buffer | undefined) => void>>();

  async get(path: string): Promise<Versioned | undefined> {
    return this.data.get(path);
  }

  async children(path: string): Promise<string[]> {
    const prefix = `${path}/`;
    return [...new Set([...this.data.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).split('/')[0]!))].sort();
  }

  private allows(path: string, opts: WriteOptions): boolean {
    if (opts.fence && !opts.fence.valid) return false;
    const cur = this.data.get(path);
    if (opts.expect === null) return cur === undefined;
    if (opts.expect !== undefined) return cur?.version === opts.expect;
    return true;
  }

  async put(path: string, value: Buffer, opts: WriteOptions = {}): Promise<boolean> {
    if (!this.allows(path, opts)) return false;
    this.data.set(path, { value, version: ++this.revision });
    return true;
  }

  async remove(path: string, opts: WriteOptions = {}): Promise<boolean> {
    if (!this.allows(path, opts)) return false;
    for (const k of [...this.data.keys()]) if (k === path || k.startsWith(`${path}/`)) this.data.delete(k);
    return true;
  }

  async campaign(name: string, info: (sessionId: string) => Buffer, events: LeadershipEvents): Promise<Campaign> {
    const session: LeaderSession & { valid: boolean } = { sessionId: randomUUID(), valid: true };
    const value = info(session.sessionId);
    this.data.set(name, { value, version: ++this.revision });
    this.leaderWatchers.get(name)?.forEach((w) => w(value));
    queueMicrotask(() => events.granted(session));
    return {
      resign: async () => {
        if (!session.valid) return;
        session.valid = false;
        this.data.delete(name);
        this.leaderWatchers.get(name)?.forEach((w) => w(undefined));
        events.revoked('resigned');
      },
    };
  }

  async watchLeader(name: string, onChange: (info: Buffer | undefined) => void): Promise<() => void> {
    const set = this.leaderWatchers.get(name) ?? new Set();
    this.leaderWatchers.set(name, set);
    set.add(onChange);
    onChange(this.data.get(name)?.value);
    return () => set.delete(onChange);
  }

  async holds(fence: LeaderSession): Promise<boolean> {
    return fence.valid;
  }

  async close(): Promise<void> {}
}
