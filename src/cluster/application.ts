/**
 * Application mode, the JobManager's side: the JobManager plays the client's part (DESIGN §3). It
 * imports the program's bundle in plan mode with the same ProgramExecutor `weir run` uses, behind a
 * ClusterClient that submits to this JobManager in-process. main() may call execute() (which
 * resolves when its job ended) and executeAsync() (which resolves once the job is submitted) as
 * often as it likes; the n-th call's job id is `applicationJobId(clusterId, n)`. The application is
 * FINISHED when main() returned and every job it submitted ended, FAILED when main() threw (its
 * jobs still running are then cancelled).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Configuration } from '../config/index.js';
import { WeirError } from '../errors.js';
import type { ApplicationStatus } from '../rest/api.js';
import { applicationJobId } from '../runtime/jobmanager/dispatcher.js';
import type { JobResult } from '../runtime/jobmanager/job-master.js';
import type { Logger } from '../runtime/rpc/transport.js';
import type { Bundle } from '../client/bundler.js';
import type { ClusterClient } from '../client/cluster-client.js';

export interface ApplicationOptions {
  /** A program (bundled here) or a bundle made by weir (`<sha256>.mjs`, used as it is). */
  program: string;
  args: string[];
  /** The directory main() and its jobs resolve relative paths against. */
  cwd: string;
  clusterId: string;
  config: Configuration;
  /** Submits to this JobManager. */
  cluster: ClusterClient;
  log: Logger;
}

/** Whether `file` is a bundle weir made: named by the SHA-256 of its content. */
function asBundle(file: string): Bundle | undefined {
  const m = /^([0-9a-f]{64})\.mjs$/.exec(basename(file));
  if (!m) return undefined;
  const bytes = readFileSync(file);
  if (createHash('sha256').update(bytes).digest('hex') !== m[1]) return undefined;
  return { id: m[1]!, path: resolve(file), entry: resolve(file), size: statSync(file).size };
}

export class Application {
  private state: ApplicationStatus['status'] = 'RUNNING';
  private error: string | undefined;
  private readonly jobIds: string[] = [];
  private readonly cancelledByProgram: string[] = [];
  /** Resolves when the application is FINISHED or FAILED. */
  readonly done: Promise<ApplicationStatus>;

  constructor(private readonly o: ApplicationOptions) {
    this.done = this.run();
  }

  private readonly startTime = Date.now();
  private endTime = -1;

  status(): ApplicationStatus {
    return {
      id: this.o.clusterId,
      name: basename(this.o.program),
      startTime: this.startTime,
      endTime: this.endTime,
      status: this.state,
      jobs: [...this.jobIds],
      ...(this.cancelledByProgram.length ? { cancelledByProgram: [...this.cancelledByProgram] } : {}),
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  private async run(): Promise<ApplicationStatus> {
    const { log } = this.o;
    const { runProgram } = await import('../client/run-program.js');
    try {
      const bundle = asBundle(this.o.program) ?? (await (await import('../client/bundler.js')).bundleProgram(this.o.program));
      log.info(`running the application ${this.o.program} (cluster ${this.o.clusterId})`);
      const run = await runProgram({
        program: this.o.program,
        bundle,
        args: this.o.args,
        config: this.o.config,
        cluster: this.o.cluster,
        detached: false,
        cwd: this.o.cwd,
        jobIdFor: (i) => applicationJobId(this.o.clusterId, i),
        listener: {
          onSubmitted: (job) => {
            this.jobIds.push(job.jobId);
            log.info(`the application submitted job '${job.jobName}' (${job.jobId})`);
          },
        },
      });
      for (const j of run.jobs) if (j.cancelledByProgram) this.cancelledByProgram.push(j.jobId);
      const failed = run.results.filter((r: JobResult) => r.status !== 'FINISHED' && !this.cancelledByProgram.includes(r.jobId));
      this.state = 'FINISHED';
      this.endTime = Date.now();
      log.info(
        `the application finished: main() returned and its ${run.results.length} job(s) ended${failed.length ? ` (${failed.length} not FINISHED)` : ''}`,
      );
    } catch (e) {
      this.state = 'FAILED';
      this.endTime = Date.now();
      this.error = e instanceof WeirError ? `${e.message} [${e.code}]` : e instanceof Error ? e.message : String(e);
      log.error(`the application failed: ${this.error}`);
      // A job of a failed application does not outlive it.
      for (const id of this.jobIds) await this.o.cluster.cancel(id).catch(() => undefined);
      await Promise.all(this.jobIds.map((id) => this.o.cluster.waitForResult(id).catch(() => undefined)));
    }
    return this.status();
  }
}
