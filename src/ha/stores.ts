/**
 * The HA stores, written once over a Coordination (so etcd, ZooKeeper and `none` behave alike):
 * the execution-plan store, per job the completed-checkpoint store and the checkpoint id counter,
 * and the job result store. Every change a leader makes is fenced by its leadership: a deposed
 * leader's write fails with WEIR_HA_FENCED and changes nothing.
 */
import { WeirError } from '../errors.js';
import { joinPath, type Coordination, type LeaderSession } from './coordination.js';
import { CheckpointPointer, decodeRecord, encodeRecord, JobResultEntry, PlanPointer } from './records.js';
import type { StorageDir } from './storage-dir.js';

const fenced = (what: string): WeirError =>
  new WeirError('WEIR_HA_FENCED', `${what} refused: this JobManager is no longer the leader (its leader session was revoked)`);

/** Retries a compare-and-swap a bounded number of times. */
async function cas<T>(coord: Coordination, what: string, attempt: () => Promise<T | undefined>, fence?: LeaderSession): Promise<T> {
  for (let i = 0; i < 50; i++) {
    if (fence && !fence.valid) throw fenced(what);
    const r = await attempt();
    if (r !== undefined) return r;
    // A failed compare-and-swap is a concurrent change, or the fence no longer holds.
    if (fence && !(await coord.holds(fence))) throw fenced(what);
  }
  throw fence && !fence.valid ? fenced(what) : new WeirError('WEIR_HA', `${what}: too many concurrent changes`);
}

/** Submitted jobs' plans (Flink's ExecutionPlanStore): the bytes in storageDir, a pointer per job in the coordination service. */
export class ExecutionPlanStore {
  constructor(
    private readonly coord: Coordination,
    private readonly root: string,
    private readonly storage: StorageDir,
  ) {}

  async put(jobId: string, plan: Uint8Array, fence: LeaderSession): Promise<void> {
    const path = await this.storage.write(`execution-plans/${jobId}.json`, plan);
    if (!(await this.coord.put(joinPath(this.root, jobId), encodeRecord({ jobId, path }), { fence })))
      throw fenced(`storing the plan of job ${jobId}`);
  }

  async get(jobId: string): Promise<Buffer | undefined> {
    const v = await this.coord.get(joinPath(this.root, jobId));
    if (!v) return undefined;
    decodeRecord(PlanPointer, v.value, `the execution plan pointer of job ${jobId}`);
    return this.storage.read(`execution-plans/${jobId}.json`);
  }

  jobIds(): Promise<string[]> {
    return this.coord.children(this.root);
  }

  async remove(jobId: string, fence: LeaderSession): Promise<void> {
    if (!(await this.coord.remove(joinPath(this.root, jobId), { fence }))) throw fenced(`removing the plan of job ${jobId}`);
    await this.storage.remove(`execution-plans/${jobId}.json`);
  }
}

/** A job's checkpoint id counter (Flink's CheckpointIDCounter): ids never repeat across leaders. */
export class CheckpointIdCounter {
  constructor(
    private readonly coord: Coordination,
    private readonly path: string,
  ) {}

  async get(): Promise<number> {
    const v = await this.coord.get(this.path);
    return v ? Number(v.value.toString()) : 1;
  }

  /** Returns the next id and advances the counter (compare-and-swap on its version). */
  getAndIncrement(fence: LeaderSession): Promise<number> {
    return cas(
      this.coord,
      `advancing the checkpoint id counter ${this.path}`,
      async () => {
        const v = await this.coord.get(this.path);
        const cur = v ? Number(v.value.toString()) : 1;
        const ok = await this.coord.put(this.path, Buffer.from(String(cur + 1)), { expect: v ? v.version : null, fence });
        return ok ? cur : undefined;
      },
      fence,
    );
  }

  /** Sets the next id (restoring from a savepoint whose id is higher). */
  async setCount(next: number, fence: LeaderSession): Promise<void> {
    if (!(await this.coord.put(this.path, Buffer.from(String(next)), { fence })))
      throw fenced(`setting the checkpoint id counter ${this.path}`);
  }
}

/** A job's completed checkpoints (Flink's CompletedCheckpointStore): pointers, newest `retained` kept. */
export class CheckpointPointerStore {
  constructor(
    private readonly coord: Coordination,
    private readonly root: string,
  ) {}

  private key(id: number): string {
    return joinPath(this.root, String(id).padStart(19, '0'));
  }

  /** Adds a completed checkpoint and returns the pointers no longer retained (their data is to be deleted). */
  async add(p: CheckpointPointer, retained: number, fence: LeaderSession): Promise<CheckpointPointer[]> {
    if (!(await this.coord.put(this.key(p.checkpointId), encodeRecord(p), { expect: null, fence })))
      throw fenced(`adding checkpoint ${p.checkpointId} to ${this.root}`);
    const all = await this.coord.children(this.root);
    const evicted: CheckpointPointer[] = [];
    // Once the pointer is stored the checkpoint counts (a new leader restores it): a failed eviction
    // does not fail the add, the pointer stays and a later add (of this or the next leader) evicts it.
    for (const name of all.slice(0, Math.max(0, all.length - retained))) {
      const v = await this.coord.get(joinPath(this.root, name)).catch(() => undefined);
      const removed = await this.coord.remove(joinPath(this.root, name), { fence }).catch(() => false);
      if (!removed) break;
      if (v) evicted.push(decodeRecord(CheckpointPointer, v.value, `checkpoint pointer ${name}`));
    }
    return evicted;
  }

  /** Every retained pointer, oldest first. */
  async all(): Promise<CheckpointPointer[]> {
    const out: CheckpointPointer[] = [];
    for (const name of await this.coord.children(this.root)) {
      const v = await this.coord.get(joinPath(this.root, name));
      if (v) out.push(decodeRecord(CheckpointPointer, v.value, `checkpoint pointer ${name}`));
    }
    return out;
  }

  async latest(): Promise<CheckpointPointer | undefined> {
    return (await this.all()).at(-1);
  }

  async clear(fence: LeaderSession): Promise<void> {
    if (!(await this.coord.remove(this.root, { fence }))) throw fenced(`removing the checkpoints ${this.root}`);
  }
}

/** Flink's JobResultStore: a job's result is written dirty when it ends, clean once its cleanup ran. */
export class JobResultStore {
  constructor(
    private readonly coord: Coordination,
    private readonly root: string,
  ) {}

  async createDirty(entry: Omit<JobResultEntry, 'state'>, fence: LeaderSession): Promise<void> {
    const v: JobResultEntry = { ...entry, state: 'dirty' };
    // expect null: a job's result is written once; a second write (a deposed leader) fails.
    if (await this.coord.put(joinPath(this.root, entry.jobId), encodeRecord(v), { expect: null, fence })) return;
    if (!fence.valid) throw fenced(`writing the result of job ${entry.jobId}`);
    if (!(await this.get(entry.jobId))) throw fenced(`writing the result of job ${entry.jobId}`);
  }

  async markClean(jobId: string, fence: LeaderSession): Promise<void> {
    await cas(
      this.coord,
      `marking the result of job ${jobId} clean`,
      async () => {
        const cur = await this.coord.get(joinPath(this.root, jobId));
        if (!cur) throw new WeirError('WEIR_HA', `job ${jobId} has no result in the job result store`);
        const e = decodeRecord(JobResultEntry, cur.value, `job result ${jobId}`);
        if (e.state === 'clean') return true;
        return (
          (await this.coord.put(joinPath(this.root, jobId), encodeRecord({ ...e, state: 'clean' }), { expect: cur.version, fence })) ||
          undefined
        );
      },
      fence,
    );
  }

  async get(jobId: string): Promise<JobResultEntry | undefined> {
    const v = await this.coord.get(joinPath(this.root, jobId));
    return v ? decodeRecord(JobResultEntry, v.value, `job result ${jobId}`) : undefined;
  }

  async entries(): Promise<JobResultEntry[]> {
    const out: JobResultEntry[] = [];
    for (const id of await this.coord.children(this.root)) {
      const e = await this.get(id);
      if (e) out.push(e);
    }
    return out;
  }
}
