/**
 * The reads of a prefetch: every entry of the given keys (each a key prefix), in every state and
 * namespace. States without namespaces are point reads in a few parallel getMany calls; states with
 * namespaces are range scans of (key, state). Runs on the database's queue.
 */
import type { Db } from './database.js';
import { fromBuf, prefixEnd, toBuf } from './key-codec.js';
import type { LsmStateTable } from './tables.js';

/** Concurrent reads of one prefetch (libuv's thread pool has 4 threads by default). */
const PARALLEL_READS = 4;

/** The entries found, by key prefix: [key suffix (state id + namespace), encoded value]. */
export type FoundEntries = Map<string, [string, Buffer][]>;

export async function readKeys(db: Db, tables: Iterable<LsmStateTable>, prefixes: string[]): Promise<FoundEntries> {
  const point: LsmStateTable[] = [];
  const scan: LsmStateTable[] = [];
  for (const t of tables) (t.partitioned ? scan : point).push(t);
  const found: FoundEntries = new Map();
  const add = (prefix: string, suffix: string, v: Buffer): void => {
    let l = found.get(prefix);
    if (l === undefined) found.set(prefix, (l = []));
    l.push([suffix, v]);
  };
  if (point.length > 0) {
    // point reads in a few parallel getMany calls (they run on libuv's thread pool)
    const per = Math.max(1, Math.min(Math.ceil(prefixes.length / PARALLEL_READS), Math.floor(4096 / point.length)));
    const chunks: string[][] = [];
    for (let i = 0; i < prefixes.length; i += per) chunks.push(prefixes.slice(i, i + per));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        const ks: string[] = [];
        for (const p of chunk) for (const t of point) ks.push(p + t.voidSuffix);
        const vals = await db.getMany(ks.map(toBuf));
        for (let j = 0; j < ks.length; j++) {
          const v = vals[j];
          if (v === undefined) continue;
          const p = chunk[Math.floor(j / point.length)]!;
          add(p, ks[j]!.slice(p.length), v);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, chunks.length) }, worker));
  }
  if (scan.length > 0) {
    const jobs: [string, LsmStateTable][] = [];
    for (const p of prefixes) for (const t of scan) jobs.push([p, t]);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const [p, t] = jobs[next++]!;
        const lo = p + t.sid;
        const it = db.iterator({ gte: toBuf(lo), lt: toBuf(prefixEnd(lo)) });
        try {
          for (let guard = 0; guard < Number.MAX_SAFE_INTEGER; guard++) {
            const entries = await it.nextv(256);
            if (entries.length === 0) break;
            for (const [k, v] of entries) add(p, fromBuf(k).slice(p.length), v);
          }
        } finally {
          await it.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4 * PARALLEL_READS, jobs.length) }, worker));
  }
  return found;
}
