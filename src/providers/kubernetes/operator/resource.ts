/**
 * The WeirDeployment custom resource (group weir.dev, version v1beta1), modelled on the Flink
 * Kubernetes Operator's FlinkDeployment: the spec a user applies and the status the operator
 * reports. The CRD's OpenAPI schema (deploy/helm/weir-operator/crds/weirdeployments.weir.dev.yaml)
 * lets the API server refuse malformed objects; these TypeBox schemas are what the operator reads
 * and writes, checked again here (an API server may serve an older CRD) so that a bad spec becomes
 * a FAILED status naming the field, not a crash.
 */
import { Type, type Static } from 'typebox';
import { Check, Errors } from 'typebox/value';

export const GROUP = 'weir.dev';
export const VERSION = 'v1beta1';
export const PLURAL = 'weirdeployments';
export const KIND = 'WeirDeployment';
/** Held by every WeirDeployment the operator manages, until it has stopped the job and deleted the cluster. */
export const FINALIZER = 'weirdeployments.weir.dev/finalizer';

const Resource = Type.Object({
  /** CPU cores (request and limit), e.g. 0.5 or 2. */
  cpu: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** A memory size as Weir's configuration writes it (1 gb, 512 mb) or a Kubernetes quantity (2Gi). */
  memory: Type.Optional(Type.String({ minLength: 1 })),
});

export const JobSpecSchema = Type.Object({
  /** file:// or s3:// location of a Weir bundle or a single .ts/.js program. */
  bundleURI: Type.String({ minLength: 1 }),
  args: Type.Optional(Type.Array(Type.String())),
  parallelism: Type.Optional(Type.Integer({ minimum: 1, maximum: 32768 })),
  state: Type.Optional(Type.Union([Type.Literal('running'), Type.Literal('suspended')])),
  upgradeMode: Type.Optional(Type.Union([Type.Literal('stateless'), Type.Literal('savepoint'), Type.Literal('last-state')])),
  initialSavepointPath: Type.Optional(Type.String({ minLength: 1 })),
  allowNonRestoredState: Type.Optional(Type.Boolean()),
  /** Changing it (to any other value) triggers one savepoint of the running job. */
  savepointTriggerNonce: Type.Optional(Type.Integer()),
});
export type JobSpec = Static<typeof JobSpecSchema>;

export const WeirDeploymentSpecSchema = Type.Object({
  image: Type.Optional(Type.String({ minLength: 1 })),
  imagePullPolicy: Type.Optional(Type.Union([Type.Literal('Always'), Type.Literal('IfNotPresent'), Type.Literal('Never')])),
  serviceAccount: Type.Optional(Type.String({ minLength: 1 })),
  /** Weir configuration keys → values, as in config.yaml (Flink's flinkConfiguration). */
  weirConfiguration: Type.Optional(Type.Record(Type.String(), Type.String())),
  jobManager: Type.Optional(Type.Object({ resource: Type.Optional(Resource), replicas: Type.Optional(Type.Integer({ minimum: 1 })) })),
  taskManager: Type.Optional(Type.Object({ resource: Type.Optional(Resource) })),
  /** A pod template (metadata and spec) merged into the JobManager's pod (TaskManagers copy its container). */
  podTemplate: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  job: JobSpecSchema,
});
export type WeirDeploymentSpec = Static<typeof WeirDeploymentSpecSchema>;

/** Flink's ResourceLifecycleState. */
export type LifecycleState = 'CREATED' | 'DEPLOYED' | 'STABLE' | 'UPGRADING' | 'SUSPENDED' | 'FAILED' | 'DELETING';

export interface SavepointRecord {
  location: string;
  timeStamp: number;
  /** UPGRADE (before a redeployment), SUSPEND, MANUAL (savepointTriggerNonce), or CHECKPOINT (last-state). */
  triggerType: 'UPGRADE' | 'SUSPEND' | 'MANUAL' | 'CHECKPOINT';
}

export interface WeirDeploymentStatus {
  lifecycleState?: LifecycleState;
  jobStatus?: {
    jobId?: string;
    jobName?: string;
    state?: string;
    startTime?: number;
    /** Where the next deployment of the job starts from (set by a savepoint or last-state upgrade and suspend). */
    upgradeSavepointPath?: string;
    savepointInfo?: { lastSavepoint?: SavepointRecord; savepointHistory?: SavepointRecord[] };
  };
  /** READY (REST API answers), DEPLOYING, MISSING (no JobManager), ERROR. */
  jobManagerDeploymentStatus?: 'READY' | 'DEPLOYING' | 'MISSING' | 'ERROR';
  error?: string;
  observedGeneration?: number;
  /** The spec last deployed, as JSON (Flink's lastReconciledSpec). */
  reconciledSpec?: string;
}

export interface WeirDeployment {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string | Date;
    finalizers?: string[];
  };
  spec: unknown;
  status?: WeirDeploymentStatus;
}

/** The spec as the operator uses it, or a message naming every field that is wrong. */
export function parseSpec(spec: unknown): { spec: WeirDeploymentSpec } | { error: string } {
  if (Check(WeirDeploymentSpecSchema, spec)) return { spec };
  const problems = [...Errors(WeirDeploymentSpecSchema, spec)].slice(0, 5).map((e) => `spec${e.instancePath}: ${e.message}`);
  return { error: `invalid WeirDeployment spec: ${problems.join('; ')}` };
}

/** The part of the spec whose change needs the running job stopped and started again. */
export function upgradeRelevant(spec: WeirDeploymentSpec): unknown {
  const { state: _state, savepointTriggerNonce: _nonce, initialSavepointPath: _initial, ...job } = spec.job;
  return { ...spec, job };
}

export function sameForUpgrade(a: WeirDeploymentSpec, b: WeirDeploymentSpec): boolean {
  return JSON.stringify(upgradeRelevant(a)) === JSON.stringify(upgradeRelevant(b));
}

/** The part of the spec that shapes the JobManager Deployment (a change needs a new one). */
export function clusterRelevant(spec: WeirDeploymentSpec): unknown {
  const { job: _job, ...cluster } = spec;
  return cluster;
}
