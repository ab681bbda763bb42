/** Shapes of the cluster's resources: `/overview`, `/config`, `/jobmanager/config`, `/taskmanagers`, `/application`. */
import { Type, type Static } from 'typebox';
import { OneOf } from './common.js';

export const ClusterOverviewSchema = Type.Object({
  taskmanagers: Type.Integer(),
  'slots-total': Type.Integer(),
  'slots-available': Type.Integer(),
  'jobs-running': Type.Integer(),
  'jobs-finished': Type.Integer(),
  'jobs-cancelled': Type.Integer(),
  'jobs-failed': Type.Integer(),
  'flink-version': Type.String(),
  'flink-commit': Type.String(),
  'taskmanagers-blocked': Type.Optional(Type.Integer()),
  'slots-free-and-blocked': Type.Optional(Type.Integer()),
});
export type ClusterOverview = Static<typeof ClusterOverviewSchema>;

export const DashboardConfigSchema = Type.Object({
  'refresh-interval': Type.Integer(),
  'timezone-name': Type.String(),
  'timezone-offset': Type.Integer(),
  'flink-version': Type.String(),
  'flink-revision': Type.String(),
  features: Type.Object({
    'web-submit': Type.Boolean(),
    'web-cancel': Type.Boolean(),
    'web-rescale': Type.Boolean(),
    'web-history': Type.Boolean(),
  }),
});
export type DashboardConfig = Static<typeof DashboardConfigSchema>;

export const ConfigEntrySchema = Type.Object({ key: Type.String(), value: Type.String() });
export type ConfigEntry = Static<typeof ConfigEntrySchema>;
export const ConfigEntriesSchema = Type.Array(ConfigEntrySchema);

export const HardwareDescriptionSchema = Type.Object({
  cpuCores: Type.Integer(),
  physicalMemory: Type.Integer(),
  freeMemory: Type.Integer(),
  managedMemory: Type.Integer(),
});
export type HardwareDescription = Static<typeof HardwareDescriptionSchema>;

/** Flink's ResourceProfileInfo (memory in MiB). */
export const ResourceProfileSchema = Type.Object({
  cpuCores: Type.Number(),
  taskHeapMemory: Type.Integer(),
  taskOffHeapMemory: Type.Integer(),
  managedMemory: Type.Integer(),
  networkMemory: Type.Integer(),
  extendedResources: Type.Record(Type.String(), Type.Number()),
});

export const TaskManagerInfoSchema = Type.Object({
  id: Type.String(),
  path: Type.String(),
  dataPort: Type.Integer(),
  jmxPort: Type.Integer(),
  /** Flink's name; the value is the time of the last heartbeat (ms since the epoch), as in Flink. */
  timeSinceLastHeartbeat: Type.Integer(),
  slotsNumber: Type.Integer(),
  freeSlots: Type.Integer(),
  totalResource: ResourceProfileSchema,
  freeResource: ResourceProfileSchema,
  hardware: HardwareDescriptionSchema,
  memoryConfiguration: Type.Object(
    Object.fromEntries(
      [
        'frameworkHeap',
        'taskHeap',
        'frameworkOffHeap',
        'taskOffHeap',
        'networkMemory',
        'managedMemory',
        'jvmMetaspace',
        'jvmOverhead',
        'totalFlinkMemory',
        'totalProcessMemory',
      ].map((k) => [k, Type.Integer()]),
    ),
  ),
  assignedTasks: Type.Integer(),
  blocked: Type.Boolean(),
});
export type TaskManagerInfo = Static<typeof TaskManagerInfoSchema>;

/** `/taskmanagers/:id`: Flink's TaskManagerDetailsInfo, with the slots allocated to jobs. */
export const TaskManagerDetailsSchema = Type.Object({
  ...TaskManagerInfoSchema.properties,
  allocatedSlots: Type.Array(Type.Object({ jobId: Type.String(), assignedTasks: Type.Integer(), resource: ResourceProfileSchema })),
});
export type TaskManagerDetails = Static<typeof TaskManagerDetailsSchema>;

export const TaskManagersInfoSchema = Type.Object({ taskmanagers: Type.Array(TaskManagerInfoSchema) });
export type TaskManagersInfo = Static<typeof TaskManagersInfoSchema>;

/**
 * `GET /application` (Weir): the application a per-job-less Application cluster runs. `status` is
 * RUNNING while main() runs or a job of it has not ended, then FINISHED (main() returned, every job
 * ended), or FAILED (main() threw; `error` says why). `jobs` are its job ids in submission order;
 * `cancelledByProgram` those main() cancelled through their JobClient.
 */
export const ApplicationStatusSchema = Type.Object({
  id: Type.String(),
  /** The program's file name, when and since when it ran (-1: still running). */
  name: Type.Optional(Type.String()),
  startTime: Type.Optional(Type.Integer()),
  endTime: Type.Optional(Type.Integer()),
  status: OneOf(['RUNNING', 'FINISHED', 'FAILED']),
  jobs: Type.Array(Type.String()),
  /** Jobs main() cancelled itself through their JobClient: CANCELED, yet not a failure of the application. */
  cancelledByProgram: Type.Optional(Type.Array(Type.String())),
  error: Type.Optional(Type.String()),
});
export type ApplicationStatus = Static<typeof ApplicationStatusSchema>;
