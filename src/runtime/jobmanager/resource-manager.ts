/**
 * The ResourceManager: knows the registered TaskManagers and which of their slots are free, and
 * allocates slots to jobs. Slots are shared by the vertices of a job (slot sharing), so a job
 * needs as many slots as its highest parallelism.
 *
 * A job asks for its slots with `requestSlots`. When enough are free it gets them at once;
 * otherwise the request waits, in order of arrival, until TaskManagers register, for at most
 * slot.request.timeout. With an active resource provider the ResourceManager asks it for as many
 * new TaskManagers as the waiting requests lack (counting the ones already starting), stops a
 * TaskManager it started once it has been idle for resourcemanager.taskmanager-timeout, and when
 * one of them terminates before registering, starts another (up to three failures in a row, then
 * the waiting requests fail with the reason).
 */
import { WeirError, type ErrorCode } from '../../errors.js';
import type { InspectionKind, TaskManagerInspection, ToTaskManager } from '../rpc/messages.js';
import type { ResourceProvider } from './resource-provider.js';

export interface TaskManagerGateway {
  readonly id: string;
  readonly numberOfSlots: number;
  /** host:port of the TaskManager's data plane (distributed clusters only). */
  readonly dataAddress?: string;
  send(msg: ToTaskManager): void;
  /** Asks a TaskManager in another process about that process (REST: its logs, thread dump); in-process ones have none. */
  inspect?(what: InspectionKind, name?: string): Promise<TaskManagerInspection>;
}

export interface SlotAllocation {
  tm: TaskManagerGateway;
  slot: number;
}

export interface ResourceManagerOptions {
  /** Who starts TaskManagers; none (standalone) by default. */
  provider?: ResourceProvider;
  /** Slots of each TaskManager the provider starts (taskmanager.numberOfTaskSlots). */
  slotsPerTaskManager?: number;
  /** resourcemanager.taskmanager-timeout in ms: how long a started TaskManager may stay idle. */
  taskManagerTimeout?: number;
  log?: { info(msg: string): void; warn(msg: string): void };
}

interface SlotRequest {
  jobId: string;
  n: number;
  resolve(a: SlotAllocation[]): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Failed TaskManager starts in a row after which waiting requests fail. */
const MAX_START_FAILURES = 3;

export class ResourceManager {
  private readonly tms = new Map<string, { gw: TaskManagerGateway; owners: (string | undefined)[]; idleTimer?: NodeJS.Timeout }>();
  /** TaskManagers the provider is starting (resource id → slots), not registered yet. */
  private readonly starting = new Map<string, number>();
  private readonly requests: SlotRequest[] = [];
  private startFailures = 0;
  private lastStartFailure = '';
  private closed = false;
  private provider: ResourceProvider | undefined;

  constructor(private readonly o: ResourceManagerOptions = {}) {
    if (o.provider) this.attachProvider(o.provider);
  }

  /** Sets the resource provider (once the JobManager knows the address its TaskManagers register at). */
  attachProvider(provider: ResourceProvider): void {
    this.provider = provider;
    provider.onTerminated = (id, reason) => this.onProviderTerminated(id, reason);
    this.requestWorkers();
  }

  get resourceProvider(): ResourceProvider | undefined {
    return this.provider;
  }

  registerTaskManager(gw: TaskManagerGateway): void {
    this.tms.set(gw.id, { gw, owners: new Array<string | undefined>(gw.numberOfSlots).fill(undefined) });
    if (this.starting.delete(gw.id)) this.startFailures = 0;
    this.serveRequests();
    this.checkIdle(gw.id);
  }

  /** Forgets a TaskManager (lost or shut down); its slots are gone with it, and a process of the provider is stopped. */
  unregisterTaskManager(id: string): boolean {
    const t = this.tms.get(id);
    if (!t) return false;
    if (t.idleTimer) clearTimeout(t.idleTimer);
    this.tms.delete(id);
    if (this.provider?.owns(id)) void this.provider.stopTaskManager(id, 'it left the cluster');
    this.requestWorkers();
    return true;
  }

  taskManagers(): { gw: TaskManagerGateway; freeSlots: number }[] {
    return [...this.tms.values()].map((t) => ({ gw: t.gw, freeSlots: t.owners.filter((o) => o === undefined).length }));
  }

  /** The job each slot of a TaskManager is allocated to (undefined: free), by slot index. */
  slotOwners(tmId: string): (string | undefined)[] {
    return [...(this.tms.get(tmId)?.owners ?? [])];
  }

  get totalSlots(): number {
    let n = 0;
    for (const t of this.tms.values()) n += t.owners.length;
    return n;
  }

  get freeSlots(): number {
    let n = 0;
    for (const t of this.tms.values()) n += t.owners.filter((o) => o === undefined).length;
    return n;
  }

  /** Slots of TaskManagers being started by the provider. */
  get pendingSlots(): number {
    let n = 0;
    for (const s of this.starting.values()) n += s;
    return n;
  }

  /** Number of slot requests waiting. */
  get waitingRequests(): number {
    return this.requests.length;
  }

  /**
   * Takes `n` free slots for `jobId`, at once if they are free and nobody waits before it, else
   * when TaskManagers bring them; fails with WEIR_NOT_ENOUGH_SLOTS after `timeoutMs`.
   */
  requestSlots(jobId: string, n: number, timeoutMs: number): Promise<SlotAllocation[]> {
    if (this.closed) return Promise.reject(this.error('WEIR_JOB_CANCELED', jobId, 'the JobManager is shutting down'));
    if (this.requests.length === 0 && this.freeSlots >= n) return Promise.resolve(this.take(jobId, n));
    return new Promise<SlotAllocation[]>((resolve, reject) => {
      const req: SlotRequest = {
        jobId,
        n,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.dropRequest(req);
          reject(
            this.error(
              'WEIR_NOT_ENOUGH_SLOTS',
              jobId,
              `job needs ${n} task slot(s) but only ${this.freeSlots} of ${this.totalSlots} were free after waiting ${timeoutMs} ms (slot.request.timeout)` +
                (this.provider?.active
                  ? `; ${this.pendingSlots} slot(s) of TaskManagers still starting: see their logs`
                  : ': lower the parallelism, start more TaskManagers, or raise taskmanager.numberOfTaskSlots'),
            ),
          );
          this.serveRequests();
        }, timeoutMs),
      };
      req.timer.unref();
      this.requests.push(req);
      this.requestWorkers();
    });
  }

  /** Takes `n` free slots for `jobId` now, spreading over TaskManagers in registration order. */
  allocate(jobId: string, n: number): SlotAllocation[] {
    if (this.freeSlots < n) {
      throw this.error(
        'WEIR_NOT_ENOUGH_SLOTS',
        jobId,
        `job needs ${n} task slot(s) but only ${this.freeSlots} of ${this.totalSlots} are free: lower the parallelism, or add TaskManagers / raise taskmanager.numberOfTaskSlots`,
      );
    }
    return this.take(jobId, n);
  }

  /** Gives back the slots of `jobId`; its waiting request, if any, is withdrawn (rejected). */
  release(jobId: string): void {
    for (const req of this.requests.filter((r) => r.jobId === jobId)) {
      this.dropRequest(req);
      req.reject(this.error('WEIR_JOB_CANCELED', jobId, 'the slot request was withdrawn'));
    }
    const freed = new Set<string>();
    for (const t of this.tms.values())
      for (let s = 0; s < t.owners.length; s++)
        if (t.owners[s] === jobId) {
          t.owners[s] = undefined;
          freed.add(t.gw.id);
        }
    this.serveRequests();
    for (const id of freed) this.checkIdle(id);
  }

  /** Fails the waiting requests and stops the idle timers (the JobManager is shutting down). */
  close(): void {
    this.closed = true;
    for (const req of this.requests.splice(0)) {
      clearTimeout(req.timer);
      req.reject(this.error('WEIR_JOB_CANCELED', req.jobId, 'the JobManager is shutting down'));
    }
    for (const t of this.tms.values()) if (t.idleTimer) clearTimeout(t.idleTimer);
  }

  // ------------------------------------------------------------------ internals

  private error(code: ErrorCode, jobId: string, msg: string): WeirError {
    return new WeirError(code, msg, { jobId });
  }

  private take(jobId: string, n: number): SlotAllocation[] {
    const out: SlotAllocation[] = [];
    for (const t of this.tms.values()) {
      for (let s = 0; s < t.owners.length && out.length < n; s++) {
        if (t.owners[s] === undefined) {
          t.owners[s] = jobId;
          out.push({ tm: t.gw, slot: s });
        }
      }
      if (t.idleTimer && t.owners.some((o) => o !== undefined)) {
        clearTimeout(t.idleTimer);
        delete t.idleTimer;
      }
    }
    return out;
  }

  private dropRequest(req: SlotRequest): void {
    clearTimeout(req.timer);
    const i = this.requests.indexOf(req);
    if (i >= 0) this.requests.splice(i, 1);
  }

  /** Serves waiting requests in order of arrival while the free slots suffice. */
  private serveRequests(): void {
    while (this.requests.length > 0 && this.freeSlots >= this.requests[0]!.n) {
      const req = this.requests.shift()!;
      clearTimeout(req.timer);
      req.resolve(this.take(req.jobId, req.n));
    }
  }

  /** Asks an active provider for the TaskManagers the waiting requests lack. */
  private requestWorkers(): void {
    const p = this.provider;
    if (!p?.active || this.closed) return;
    const wanted = this.requests.reduce((sum, r) => sum + r.n, 0);
    let missing = wanted - this.freeSlots - this.pendingSlots;
    const per = Math.max(1, this.o.slotsPerTaskManager ?? 1);
    while (missing > 0) {
      const id = p.startTaskManager(per);
      this.starting.set(id, per);
      this.o.log?.info(`requested TaskManager ${id} (${per} slot(s)) from the ${p.name} provider`);
      missing -= per;
    }
  }

  private onProviderTerminated(id: string, reason: string): void {
    if (!this.starting.delete(id)) return;
    // It ended before it registered: start another, unless starts keep failing.
    this.lastStartFailure = `TaskManager ${id} ${reason}`;
    this.o.log?.warn(`${this.lastStartFailure} before it registered`);
    if (++this.startFailures >= MAX_START_FAILURES) {
      this.startFailures = 0;
      for (const req of this.requests.splice(0)) {
        clearTimeout(req.timer);
        req.reject(
          this.error(
            'WEIR_CLUSTER_DEPLOYMENT',
            req.jobId,
            `${MAX_START_FAILURES} TaskManagers in a row ended before they registered; the last: ${this.lastStartFailure}`,
          ),
        );
      }
      return;
    }
    this.requestWorkers();
  }

  /** Starts the idle timer of a provider's TaskManager whose slots are all free. */
  private checkIdle(id: string): void {
    const t = this.tms.get(id);
    const p = this.provider;
    if (!t || !p?.active || !p.owns(id) || t.idleTimer || t.owners.some((o) => o !== undefined) || this.closed) return;
    t.idleTimer = setTimeout(() => {
      delete t.idleTimer;
      if (this.tms.get(id) !== t || t.owners.some((o) => o !== undefined) || this.requests.length > 0) return;
      this.o.log?.info(`TaskManager ${id} was idle for ${this.o.taskManagerTimeout} ms (resourcemanager.taskmanager-timeout): stopping it`);
      this.tms.delete(id);
      void p.stopTaskManager(id, 'idle');
    }, this.o.taskManagerTimeout ?? 30_000);
    t.idleTimer.unref();
  }
}
