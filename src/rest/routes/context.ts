/** What every route file gets: the fastify instance (typed by the TypeBox schemas) and the server's parts. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { Configuration } from '../../config/index.js';
import type { JobManager } from '../../runtime/jobmanager/job-manager.js';
import type { ApplicationStatus } from '../api.js';
import type { BundleStore } from '../bundle-store.js';
import type { JobViews } from '../job-view.js';

export type RestApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface RouteContext {
  config: Configuration;
  jobManager: JobManager;
  jobs: JobViews;
  store: BundleStore;
  /** Where uploaded bundles and blobs are stored. */
  blobDir: string;
  /** rest.upload.max-size: the body limit of uploads. */
  uploadLimit: number;
  version: string;
  /** The base URL clients use (known once the server listens). */
  address(): string;
  /** `p`'s value, or undefined after `ms` or once the server closes (long polls). */
  waitAtMost<T>(p: Promise<T>, ms: number): Promise<T | undefined>;
  /** The application this JobManager runs (Application mode). */
  application?: (() => ApplicationStatus) | undefined;
  /** Called when a result route answered with a job's final result. */
  onResultServed?: ((jobId: string) => void) | undefined;
  /** Runs an uploaded program's main() in this JobManager; absent where the JobManager cannot (then 501). */
  programRunner?: ProgramRunner | undefined;
  /** What `DELETE /cluster` does once its reply is sent. */
  shutdown(): Promise<void>;
}

/** Runs main() of an uploaded program (a bundle, or a single source file bundled first) and returns the ids of the jobs it submitted. */
export type ProgramRunner = (program: {
  /** The stored upload. */
  path: string;
  /** The name it was uploaded under (its extension tells a source file's language). */
  name: string;
  args: string[];
  parallelism?: number | undefined;
  savepointPath?: string | undefined;
  allowNonRestoredState?: boolean | undefined;
}) => Promise<string[]>;
