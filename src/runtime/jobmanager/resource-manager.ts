/**
 * The ResourceManager: knows the registered TaskManagers and which of their slots are free, and
 * allocates slots to jobs. Slots are shared by the vertices of a job (slot sharing), so a job
 * needs as many slots as its highest parallelism.
 */
import { WeirError } from '../../errors.js';
import type { ToTaskManager } from '../rpc/messages.js';

export interface TaskManagerGateway {
  readonly id: string;
  readonly numberOfSlots: number;
  /** host:port of the TaskManager's data plane (distributed clusters only). */
  readonly dataAddress?: string;
  send(msg: ToTaskManager): void;
}

export interface SlotAllocation {
  tm: TaskManagerGateway;
  slot: number;
}

export class ResourceManager {
  private readonly tms = new Map<string, { gw: TaskManagerGateway; owners: (string | undefined)[] }>();

  registerTaskManager(gw: TaskManagerGateway): void {
    this.tms.set(gw.id, { gw, owners: new Array<string | undefined>(gw.numberOfSlots).fill(undefined) });
  }

  /** Forgets a TaskManager (lost or shut down); its slots are gone with it. */
  unregisterTaskManager(id: string): boolean {
    return this.tms.delete(id);
  }

  taskManagers(): { gw: TaskManagerGateway; freeSlots: number }[] {
    return [...this.tms.values()].map((t) => ({ gw: t.gw, freeSlots: t.owners.filter((o) => o === undefined).length }));
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

  /** Takes `n` free slots for `jobId`, spreading over TaskManagers in registration order. */
  allocate(jobId: string, n: number): SlotAllocation[] {
    if (this.freeSlots < n) {
      throw new WeirError(
        'WEIR_NOT_ENOUGH_SLOTS',
        `job needs ${n} task slot(s) but only ${this.freeSlots} of ${this.totalSlots} are free: lower the parallelism, or add TaskManagers / raise taskmanager.numberOfTaskSlots`,
        { jobId },
      );
    }
    const out: SlotAllocation[] = [];
    for (const t of this.tms.values()) {
      for (let s = 0; s < t.owners.length && out.length < n; s++) {
        if (t.owners[s] === undefined) {
          t.owners[s] = jobId;
          out.push({ tm: t.gw, slot: s });
        }
      }
    }
    return out;
  }

  release(jobId: string): void {
    for (const t of this.tms.values()) for (let s = 0; s < t.owners.length; s++) if (t.owners[s] === jobId) t.owners[s] = undefined;
  }
}
