/** The parts of the REST API's answers the dashboard reads (declared by the server in src/rest/schemas/). */
export type Counts = Record<string, number>;

export interface ClusterOverview {
  taskmanagers: number;
  'slots-total': number;
  'slots-available': number;
  'jobs-running': number;
  'jobs-finished': number;
  'jobs-cancelled': number;
  'jobs-failed': number;
  'flink-version': string;
}

export interface JobOverview {
  jid: string;
  name: string;
  state: string;
  'start-time': number;
  'end-time': number;
  duration: number;
  tasks: Counts;
  archived?: boolean;
}

export interface Vertex {
  id: string;
  name: string;
  parallelism: number;
  status: string;
  'start-time': number;
  duration: number;
  tasks: Counts;
  metrics: Record<string, number | boolean>;
}

export interface PlanNode {
  id: string;
  parallelism: number;
  description: string;
  inputs?: { num: number; id: string; ship_strategy: string; exchange: string }[];
}

export interface JobDetails {
  jid: string;
  name: string;
  state: string;
  'start-time': number;
  'end-time': number;
  duration: number;
  'job-type'?: string;
  vertices: Vertex[];
  'status-counts': Counts;
  plan: { nodes: PlanNode[] };
}

export interface Metric {
  id: string;
  value?: string;
  min?: number;
  max?: number;
  avg?: number;
  sum?: number;
}

export interface BackPressure {
  status: string;
  backpressureLevel?: string;
  subtasks?: { subtask: number; backpressureLevel: string; ratio: number; idleRatio: number; busyRatio: number }[];
}

export interface ExceptionEntry {
  exceptionName: string;
  stacktrace: string;
  timestamp: number;
  taskName: string | null;
  endpoint: string | null;
  concurrentExceptions?: ExceptionEntry[];
}

export interface JobExceptions {
  'root-exception': string | null;
  timestamp: number | null;
  exceptionHistory: { entries: ExceptionEntry[]; truncated: boolean };
}

export interface CheckpointStats {
  id: number;
  status: string;
  is_savepoint: boolean;
  trigger_timestamp: number;
  latest_ack_timestamp: number;
  checkpointed_size: number;
  state_size: number;
  end_to_end_duration: number;
  num_subtasks: number;
  num_acknowledged_subtasks: number;
  checkpoint_type?: string;
  external_path?: string;
  tasks?: Record<
    string,
    {
      status: string;
      checkpointed_size: number;
      state_size: number;
      end_to_end_duration: number;
      num_subtasks: number;
      num_acknowledged_subtasks: number;
    }
  >;
}

export interface Checkpoints {
  counts: Counts;
  latest: {
    completed: CheckpointStats | null;
    savepoint: CheckpointStats | null;
    failed: (CheckpointStats & { failure_message?: string }) | null;
    restored: { id: number; restore_timestamp: number; external_path?: string; is_savepoint: boolean } | null;
  };
  history: CheckpointStats[];
}

export interface TaskManager {
  id: string;
  path: string;
  dataPort: number;
  timeSinceLastHeartbeat: number;
  slotsNumber: number;
  freeSlots: number;
  hardware: { cpuCores: number; physicalMemory: number; freeMemory: number };
  memoryConfiguration: Record<string, number>;
  assignedTasks?: number;
  allocatedSlots?: { jobId: string; assignedTasks: number }[];
}

export interface LogList {
  logs: { name: string; size: number; mtime?: number }[];
}

export interface ApplicationOverview {
  id: string;
  name: string;
  status: string;
  'start-time': number;
  'end-time': number;
  duration: number;
  jobs: Counts;
}

export interface ApplicationDetails {
  id: string;
  jobs: JobOverview[];
}
