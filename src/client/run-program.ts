/**
 * Runs a program the way `weir run` does: bundle it, load the bundle in plan mode with the target's
 * cluster behind execute(), wait for main() and for every job it submitted, and report what ran.
 * Tests call this directly; the CLI adds printing around it.
 */
import { pathToFileURL } from 'node:url';
import { executionCount, setPipelineExecutorFactory } from '../api/execution-context.js';
import { Configuration } from '../config/index.js';
import { WeirError } from '../errors.js';
import { DEFAULT_MAX_PARALLELISM } from '../graph/key-groups.js';
import type { StreamGraphDefaults } from '../graph/stream-graph.js';
import type { JobResult } from '../runtime/jobmanager/job-master.js';
import { bundleProgram, type Bundle } from './bundler.js';
import type { ClusterClient } from './cluster-client.js';
import { installHostModules } from '../runtime/host-modules.js';
import { createCluster } from './cluster-clients.js';
import { ProgramExecutor, type ProgramListener, type SubmittedJob } from './program-executor.js';

export interface RunProgramOptions {
  program: string;
  args?: string[];
  config?: Configuration;
  /** Overrides parallelism.default (weir run -p). */
  parallelism?: number;
  listener?: ProgramListener;
  /** Use this cluster instead of creating one for the configured target. */
  cluster?: ClusterClient;
  /** The program already bundled (Application mode: the bundle the client shipped); `program` is then only its name. */
  bundle?: Bundle;
  /** Job ids by execute() index (Application mode). */
  jobIdFor?: (executionIndex: number) => string;
  /** Overrides execution.attached (Application mode: the JobManager always follows its jobs). */
  detached?: boolean;
  /** The directory main() runs in (default: this process's). */
  cwd?: string;
}

export interface ProgramRun {
  bundle: Bundle;
  jobs: SubmittedJob[];
  results: JobResult[];
  /** The program module's exports (after main() finished). */
  exports: Record<string, unknown>;
}

let runCounter = 0;

export function graphDefaults(config: Configuration, parallelism?: number): StreamGraphDefaults {
  return {
    parallelism: parallelism ?? Number(config.get('parallelism.default') ?? 1),
    maxParallelism: Number(config.get('pipeline.max-parallelism') ?? DEFAULT_MAX_PARALLELISM),
    runtimeMode: (config.get('execution.runtime-mode') as 'STREAMING' | 'BATCH' | undefined) ?? 'STREAMING',
  };
}

export { createCluster } from './cluster-clients.js';

export async function runProgram(o: RunProgramOptions): Promise<ProgramRun> {
  const config = o.config ?? Configuration.fromEntries({});
  const bundle = o.bundle ?? (await bundleProgram(o.program));
  const args = o.args ?? [];
  let cluster: Promise<ClusterClient> | undefined;
  const getCluster = (): Promise<ClusterClient> => (cluster ??= o.cluster ? Promise.resolve(o.cluster) : createCluster(config));
  // Detached runs make sense only where the cluster outlives this process.
  const detached =
    o.detached ?? (config.get('execution.attached') === false && String(config.get('execution.target') ?? 'local') !== 'local');
  const executor = new ProgramExecutor({
    detached,
    bundle,
    args,
    cwd: o.cwd ?? process.cwd(),
    ...(o.jobIdFor ? { jobIdFor: o.jobIdFor } : {}),
    config,
    defaults: graphDefaults(config, o.parallelism),
    cluster: getCluster,
    ...(o.listener ? { listener: o.listener } : {}),
  });
  installHostModules();
  const savedArgv = process.argv;
  process.argv = [savedArgv[0]!, bundle.entry, ...args];
  setPipelineExecutorFactory(() => executor);
  let exports: Record<string, unknown>;
  let executions: number;
  try {
    exports = (await import(`${pathToFileURL(bundle.path).href}?run=${++runCounter}`)) as Record<string, unknown>;
    executions = executionCount();
    executor.close();
  } catch (e) {
    executor.close();
    await closeOwned();
    if (e instanceof WeirError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new WeirError('WEIR_PROGRAM_FAILED', `The program ${bundle.entry} threw: ${msg}`, {}, { cause: e });
  } finally {
    process.argv = savedArgv;
    setPipelineExecutorFactory(undefined);
  }
  if (executions > executor.jobs.length) {
    await closeOwned();
    const missing = executions - executor.jobs.length;
    throw new WeirError(
      'WEIR_EXECUTE_NOT_AWAITED',
      `The program ${bundle.entry} called execute() or executeAsync() but returned before ${missing === 1 ? 'its job was' : `${missing} of its jobs were`} submitted: the call was not awaited, so nothing ran. Write 'await env.execute("name")'`,
    );
  }
  if (executor.jobs.length === 0) {
    await closeOwned();
    throw new WeirError(
      'WEIR_PROGRAM_NO_EXECUTE',
      `The program ${bundle.entry} finished without calling execute() or executeAsync(): nothing ran. End main() with 'await env.execute("name")'`,
    );
  }
  // Jobs started with executeAsync() run to their end before a local cluster goes away.
  let results: JobResult[];
  try {
    results = detached ? [] : await Promise.all(executor.jobs.map((j) => j.result));
  } finally {
    // Also when a job's result cannot be had (WEIR_JOBMANAGER_LOST): nothing may keep the client alive.
    await closeOwned();
  }
  return { bundle, jobs: executor.jobs, results, exports };

  async function closeOwned(): Promise<void> {
    if (cluster && !o.cluster) await (await cluster).close();
  }
}
