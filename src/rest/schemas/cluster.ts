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

export const TaskManagerInfoSchema = Type.Object({
  id: Type.String(),
  path: Type.String(),
  dataPort: Type.Integer(),
  jmxPort: Type.Integer(),
  timeSinceLastHeartbeat: Type.Integer(),
  slotsNumber: Type.Integer(),
  freeSlots: Type.Integer(),
  hardware: HardwareDescriptionSchema,
  blocked: Type.Boolean(),
});
export type TaskManagerInfo = Static<typeof TaskManagerInfoSchema>;

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
  status: OneOf(['RUNNING', 'FINISHED', 'FAILED']),
  jobs: Type.Array(Type.String()),
  /** Jobs main() cancelled itself through their JobClient: CANCELED, yet not a failure of the application. */
  cancelledByProgram: Type.Optional(Type.Array(Type.String())),
  error: Type.Optional(Type.String()),
});
export type ApplicationStatus = Static<typeof ApplicationStatusSchema>;
