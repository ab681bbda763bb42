/**
 * A TaskManager in Flink's TaskManagerInfo / TaskManagerDetailsInfo shape. A Node TaskManager has
 * one V8 heap shared by its slots' worker threads: that heap's limit is its task heap, and the
 * memory pools Weir does not have (managed, network, off-heap, metaspace) are 0. Resources are the
 * TaskManager's cores and heap, shared equally by its slots (free: those of its free slots).
 */
import { cpus, freemem, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { JobMaster } from '../runtime/jobmanager/job-master.js';
import type { TaskManagerGateway } from '../runtime/jobmanager/resource-manager.js';
import type { TaskManagerInfo } from './api.js';

/** What a TaskManager's gateway may tell about itself beyond its id and slots (a remote one does). */
interface TaskManagerDescription {
  /** host:port of its data plane. */
  dataAddress?: string;
  lastHeartbeat?: number;
  hardware?: { cpuCores: number; physicalMemory: number; freeMemory: number; heapLimit?: number };
}

const MIB = 1024 * 1024;
const ACTIVE = new Set(['SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'CANCELING']);

/** Subtasks of the given jobs that run (or are about to) on TaskManager `tmId`. */
export function assignedTasks(jobs: readonly JobMaster[], tmId: string): number {
  let n = 0;
  for (const jm of jobs) for (const s of jm.subtaskSummaries()) if (s.taskManagerId === tmId && ACTIVE.has(s.state)) n++;
  return n;
}

function resources(cpuCores: number, heapBytes: number, share: number) {
  return {
    cpuCores: Math.round(cpuCores * share * 100) / 100,
    taskHeapMemory: Math.floor((heapBytes * share) / MIB),
    taskOffHeapMemory: 0,
    managedMemory: 0,
    networkMemory: 0,
    extendedResources: {},
  };
}

/** A share of a resource profile (a slot's part of its TaskManager's). */
export function scaled(r: TaskManagerInfo['totalResource'], share: number): TaskManagerInfo['totalResource'] {
  return {
    ...r,
    cpuCores: Math.round(r.cpuCores * share * 100) / 100,
    taskHeapMemory: Math.floor(r.taskHeapMemory * share),
    extendedResources: {},
  };
}

export function taskManagerInfo(gw: TaskManagerGateway, freeSlots: number, assigned: number, now = Date.now()): TaskManagerInfo {
  const d = gw as TaskManagerGateway & TaskManagerDescription;
  // A gateway without a data address is a TaskManager in this process: its hardware is ours.
  const local = d.dataAddress === undefined;
  const hw =
    d.hardware ??
    (local
      ? { cpuCores: cpus().length, physicalMemory: totalmem(), freeMemory: freemem(), heapLimit: getHeapStatistics().heap_size_limit }
      : undefined);
  const heap = hw?.heapLimit ?? 0;
  const port = local ? -1 : Number(/:(\d+)$/.exec(d.dataAddress!)?.[1] ?? -1);
  const slots = gw.numberOfSlots;
  return {
    id: gw.id,
    path: d.dataAddress ?? 'in-process',
    dataPort: port,
    jmxPort: -1,
    // Flink's field holds the time of the last heartbeat (ms since the epoch), not a duration.
    timeSinceLastHeartbeat: d.lastHeartbeat ?? now,
    slotsNumber: slots,
    freeSlots,
    totalResource: resources(hw?.cpuCores ?? 0, heap, 1),
    freeResource: resources(hw?.cpuCores ?? 0, heap, slots > 0 ? freeSlots / slots : 0),
    hardware: {
      cpuCores: hw?.cpuCores ?? -1,
      physicalMemory: hw?.physicalMemory ?? -1,
      freeMemory: hw?.freeMemory ?? -1,
      managedMemory: 0,
    },
    memoryConfiguration: {
      frameworkHeap: 0,
      taskHeap: heap,
      frameworkOffHeap: 0,
      taskOffHeap: 0,
      networkMemory: 0,
      managedMemory: 0,
      jvmMetaspace: 0,
      jvmOverhead: 0,
      totalFlinkMemory: heap,
      totalProcessMemory: heap,
    },
    assignedTasks: assigned,
    blocked: false,
  };
}
