/**
 * The `weir` command (DESIGN §6). Each subcommand parses its options, loads and validates the
 * configuration (conf/config.yaml + -D), and reports failures as one actionable line (exit 1);
 * `--verbose` adds stacks.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { isJobKey, isSecretKey, loadConfiguration, type Configuration } from '../config/index.js';
import { WeirError, describeError } from '../errors.js';
import '../bootstrap.js';
import type { SubmittedJob } from '../client/program-executor.js';
import type { JobResult } from '../runtime/jobmanager/job-master.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerKubernetesCommands } from './commands/kubernetes.js';
import { registerOperatorCommand } from './commands/operator.js';
import { jobManagerAddress, registerRemoteCommands } from './commands/remote.js';
import { dashboardUrl, watchProgress } from './commands/progress.js';
import { CLAIM_MODES, rewriteFlinkOptions, type ClaimMode } from './flink-options.js';
import { configureFileSystems } from '../fs/index.js';

const VERSION = '0.1.0';

interface CommonOptions {
  D?: string[];
  confDir?: string;
  verbose?: boolean;
}

type RunCliOptions = CommonOptions & {
  target?: string;
  parallelism?: string;
  detached?: boolean;
  jobmanager?: string;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
  shutdownOnAttachedExit?: boolean;
  claimMode?: string;
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function loadConfig(o: CommonOptions, extra: Record<string, string | undefined> = {}): Configuration {
  const dynamic = [...(o.D ?? [])];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) dynamic.push(`${k}=${v}`);
  const config = loadConfiguration({ ...(o.confDir ? { confDir: o.confDir } : {}), dynamic });
  configureFileSystems(config.toJSON());
  return config;
}

function parsePositive(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new WeirError('WEIR_CLI_USAGE', `${what} must be a positive integer, got '${v}'`);
  return n;
}

/** A local path made absolute (the JobManager may run elsewhere); URIs are kept. */
function savepointPath(p: string): string {
  if (p === '') throw new WeirError('WEIR_CLI_USAGE', '-s/--fromSavepoint needs a path');
  return /^[a-z][a-z0-9+.-]*:/i.test(p) ? p : path.resolve(p);
}

function fmtDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * Says which keys of the client's conf/config.yaml go with a job to a running cluster: only job keys
 * (isJobKey); the cluster's own keys in the file (rest.*, taskmanager.*, ...) configure this client
 * at most, never the cluster.
 */
function reportClientConfig(o: CommonOptions, config: Configuration): void {
  const file = path.join(o.confDir ?? process.env.WEIR_CONF_DIR ?? './conf', 'config.yaml');
  const fromFile = config.keys().filter((k) => config.sourceOf(k).startsWith(`${file}:`));
  const jobKeys = fromFile.filter((k) => isJobKey(k));
  if (jobKeys.length === 0) return;
  const others = fromFile.filter((k) => !isJobKey(k) && !isSecretKey(k));
  process.stderr.write(
    `Using configuration ${path.resolve(file)} (job keys: ${jobKeys.join(', ')})` +
      `${others.length ? `; its other keys are not sent to the cluster: ${others.join(', ')}` : ''}\n`,
  );
}

/**
 * Flink's claim modes name who owns the snapshot a job starts from. Weir restores every snapshot as
 * NO_CLAIM: the job copies what it needs into its own checkpoints, never deletes the snapshot and
 * never refers to its files, so CLAIM and LEGACY are accepted and run that way.
 */
function reportClaimMode(value: string, restoring: boolean): void {
  const mode = value.toUpperCase().replace(/-/g, '_') as ClaimMode;
  if (!CLAIM_MODES.includes(mode))
    throw new WeirError('WEIR_CLI_USAGE', `-cm/--claimMode must be one of ${CLAIM_MODES.join(', ')}, got '${value}'`);
  if (!restoring) throw new WeirError('WEIR_CLI_USAGE', '-cm/--claimMode applies to a restore: give -s/--fromSavepoint too');
  if (mode !== 'NO_CLAIM')
    process.stderr.write(
      `Claim mode ${mode}: Weir restores as NO_CLAIM (the job never deletes the snapshot nor refers to its files; delete it yourself when no longer needed)\n`,
    );
}

/**
 * -sae (Flink's --shutdownOnAttachedExit): an attached run interrupted by Ctrl-C or SIGTERM cancels
 * the jobs it follows before exiting, so they do not outlive the client.
 */
function cancelOnInterrupt(jobs: Map<string, SubmittedJob>): void {
  const onSignal = (sig: NodeJS.Signals): void => {
    process.stderr.write(`Received ${sig}: cancelling ${jobs.size} job(s) (--shutdown-on-attached-exit)\n`);
    const cancels = [...jobs.values()].map((j) =>
      j.cluster.cancel(j.jobId).then(
        () => process.stderr.write(`Cancelled job ${j.jobId}.\n`),
        (e: unknown) => process.stderr.write(`Could not cancel job ${j.jobId}: ${e instanceof Error ? e.message : String(e)}\n`),
      ),
    );
    // Bounded: a JobManager that does not answer does not keep the interrupted client alive.
    const deadline = new Promise((r) => setTimeout(r, 10_000).unref());
    void Promise.race([Promise.all(cancels), deadline]).then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** Targets of DESIGN §2 this build cannot run. */
const UNAVAILABLE_TARGETS = new Set<string>();

function printResult(
  job: Pick<SubmittedJob, 'streamGraph' | 'cancelledByProgram'> | undefined,
  r: JobResult,
  logs: string | undefined,
): void {
  const out = process.stderr;
  const how = r.status === 'CANCELED' && job?.cancelledByProgram ? ' (cancelled by the program through its JobClient)' : '';
  out.write(`Job '${r.jobName}' (${r.jobId}) ${r.status}${how} after ${fmtDuration(r.endTime - r.startTime)}\n`);
  for (const v of r.vertices) {
    out.write(`  ${v.name} [p=${v.parallelism}]: ${v.metrics.numRecordsIn} records in, ${v.metrics.numRecordsOut} out\n`);
  }
  if (r.error) out.write(`  ${r.error.message} [${r.error.code}]\n`);
  if (logs) out.write(`Logs: ${logs}\n`);
  if (r.status === 'FINISHED' && job) {
    for (const n of job.streamGraph.nodes) {
      if (n.spec.type === 'sink') {
        const loc = n.spec.sink.outputLocation?.();
        if (loc) out.write(`Output of '${n.name}' is in ${loc}\n`);
      } else if (n.spec.type === 'print')
        out.write(`Output of '${n.name}' went to the TaskManager's ${n.spec.toStderr ? 'stderr' : 'stdout'} (this terminal)\n`);
    }
  }
}

/**
 * `weir run -t process-application`: the bundle goes to a new Application cluster whose JobManager
 * runs main(); attached, the jobs it submits are followed until the application has ended.
 */
async function runApplication(
  file: string,
  args: string[],
  config: Configuration,
  parallelism: number | undefined,
  detached: boolean,
): Promise<void> {
  const [{ bundleProgram }, { runApplicationCluster, archivedLogs }] = await Promise.all([
    import('../client/bundler.js'),
    import('../providers/process/process-cluster.js'),
  ]);
  const c = config.clone();
  if (parallelism !== undefined) c.set('parallelism.default', parallelism, '-p');
  const bundle = await bundleProgram(file);
  const watchers = new Map<string, () => void>();
  let restUrl: string | undefined;
  const run = await runApplicationCluster(
    { config: c, bundle, args, cwd: process.cwd(), detached },
    {
      onDeployed: (cl) => {
        restUrl = cl.restUrl;
        (detached ? process.stdout : process.stderr).write(
          `Started application cluster ${cl.clusterId} (JobManager pid ${cl.pid}) — ${cl.restUrl}\n`,
        );
      },
      onJob: (jobId, cluster) => {
        process.stderr.write(`The application submitted job ${jobId}${restUrl ? ` — ${dashboardUrl(restUrl, jobId)}` : ''}\n`);
        watchers.set(jobId, watchProgress({ jobId, cluster }));
      },
      onJobResult: (r) => {
        watchers.get(r.jobId)?.();
        printResult(
          undefined,
          r,
          archivedLogs(c, r.jobId) ?? 'removed with the application cluster (set jobmanager.archive.dir to keep them)',
        );
      },
    },
  );
  for (const stop of watchers.values()) stop();
  if (detached) return;
  const s = run.status!;
  process.stderr.write(`Application ${s.id} ${s.status}: ${s.jobs.length} job(s)${s.error ? ` — ${s.error}` : ''}\n`);
  // A job main() cancelled itself through its JobClient is not a failure (as with the other targets).
  const byProgram = new Set(s.cancelledByProgram ?? []);
  if (s.status !== 'FINISHED' || run.results.some((r) => r.status !== 'FINISHED' && !(r.status === 'CANCELED' && byProgram.has(r.jobId))))
    process.exitCode = 1;
}

export function buildCli(): Command {
  const program = new Command('weir')
    .description("Weir: Apache Flink's architecture for Node.js — run stream and batch programs written in TypeScript")
    .showHelpAfterError('(run weir --help for usage)');
  program.version(VERSION);

  program
    .command('run')
    .description('run a program: bundle it, run main(), submit its jobs to the target cluster')
    .argument('<program>', 'the program file (.ts or .js)')
    .argument('[args...]', 'arguments for the program (after --)')
    .addOption(new Option('-t, --target <target>', 'execution.target: where jobs run').default(undefined))
    .option('-p, --parallelism <n>', 'default parallelism of the program')
    .option('-d, --detached', 'submit and return without waiting for the jobs')
    .option('-s, --fromSavepoint <path>', 'restore the job from a savepoint or retained checkpoint (execution.savepoint.path)')
    .option(
      '-n, --allow-non-restored-state',
      'with -s: drop state of operators the job no longer has (execution.savepoint.ignore-unclaimed-state); also --allowNonRestoredState',
    )
    .option(
      '--claim-mode <mode>',
      "with -s: CLAIM, NO_CLAIM or LEGACY (Flink's -cm/--claimMode); Weir always restores as NO_CLAIM: the snapshot stays yours",
    )
    .option('--shutdown-on-attached-exit', "attached: cancel the job when this command is interrupted (Ctrl-C, SIGTERM); Flink's -sae")
    .option('-m, --jobmanager <host:port>', 'REST address of a running cluster (sets rest.address/rest.port; target remote unless -t)')
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(async (file: string, args: string[], o: RunCliOptions) => {
      // Flink has no per-job mode on Kubernetes either: its place is taken by Application mode.
      if (o.target === 'kubernetes-per-job')
        throw new WeirError(
          'WEIR_CLI_USAGE',
          "-t kubernetes-per-job is not supported (Flink has no per-job mode on Kubernetes): use -t kubernetes-application, which gives the program's jobs a cluster of their own",
        );
      if (o.claimMode !== undefined) reportClaimMode(o.claimMode, o.fromSavepoint !== undefined);
      const config = loadConfig(o, {
        'execution.target': o.target ?? (o.jobmanager ? 'remote' : undefined),
        'execution.attached': o.detached ? 'false' : undefined,
        'execution.savepoint.path': o.fromSavepoint === undefined ? undefined : savepointPath(o.fromSavepoint),
        'execution.savepoint.ignore-unclaimed-state': o.allowNonRestoredState ? 'true' : undefined,
        ...jobManagerAddress(o.jobmanager),
      });
      const target = String(config.get('execution.target'));
      if (UNAVAILABLE_TARGETS.has(target)) {
        throw new WeirError(
          'WEIR_CONFIG_BAD_VALUE',
          `execution.target '${target}' is not available in this build: use local, remote, process-session, process-per-job, process-application, kubernetes-session or kubernetes-application`,
        );
      }
      const parallelism = o.parallelism === undefined ? undefined : parsePositive(o.parallelism, '-p/--parallelism');
      if (target === 'process-application') {
        await runApplication(file, args, config, parallelism, o.detached === true);
        return;
      }
      if (target === 'kubernetes-application') {
        const { runKubernetesApplicationCli } = await import('./commands/kubernetes-application.js');
        await runKubernetesApplicationCli({ file, args, config, parallelism, detached: o.detached === true }, (r, logs) =>
          printResult(undefined, r, logs),
        );
        return;
      }
      if (target === 'remote' || target === 'process-session' || target === 'kubernetes-session') reportClientConfig(o, config);
      // Targets whose cluster outlives this command: progress is polled over REST, -d prints the job id.
      const remote = target !== 'local';
      const watchers = new Map<string, () => void>();
      const { runProgram } = await import('../client/run-program.js');
      const attachedJobs = new Map<string, SubmittedJob>();
      if (o.shutdownOnAttachedExit && remote && !o.detached) cancelOnInterrupt(attachedJobs);
      // Watchers stop also when the run throws (a lost JobManager): their polls would keep this process alive.
      const run = await runProgram({
        program: file,
        args,
        config,
        ...(parallelism !== undefined ? { parallelism } : {}),
        listener: {
          onSubmitted: (job) => {
            if (remote && o.detached) {
              const where = target === 'process-per-job' ? ` to a per-job cluster at ${job.cluster.webUrl}` : '';
              return void process.stdout.write(`Job has been submitted with JobID ${job.jobId}${where}\n`);
            }
            process.stderr.write(
              `Submitted job '${job.jobName}' (${job.jobId}) to the ${job.cluster.description}${job.cluster.webUrl ? ` — ${dashboardUrl(job.cluster.webUrl, job.jobId)}` : ''}\n`,
            );
            // The local cluster's jobs log to this terminal: their progress block is drawn only on a terminal.
            if (remote || process.stderr.isTTY === true) watchers.set(job.jobId, watchProgress(job));
            attachedJobs.set(job.jobId, job);
          },
          onFinished: (job, r) => {
            attachedJobs.delete(job.jobId);
            watchers.get(job.jobId)?.();
            if (!(remote && o.detached)) printResult(job, r, job.cluster.logs?.(job.jobId));
          },
        },
      }).finally(() => {
        for (const stop of watchers.values()) stop();
      });
      // A program that ends normally exits 0, also when it cancelled a job of its own through its JobClient.
      const byProgram = new Set(run.jobs.filter((j) => j.cancelledByProgram).map((j) => j.jobId));
      const failed = run.results.find((r) => r.status !== 'FINISHED' && !(r.status === 'CANCELED' && byProgram.has(r.jobId)));
      if (failed) process.exitCode = 1;
    });

  program
    .command('info')
    .description("print a program's plan (JobGraph) as a text DAG and as Flink plan JSON, without running it")
    .argument('<program>', 'the program file')
    .argument('[args...]', 'arguments for the program (after --)')
    .option('-p, --parallelism <n>', 'default parallelism')
    .option('--json', 'print only the plan JSON')
    .option('-m, --jobmanager <host:port>', 'REST address of a running cluster (sets rest.address/rest.port)')
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory')
    .option('-v, --verbose', 'print stacks with errors')
    .action(async (file: string, args: string[], o: CommonOptions & { parallelism?: string; json?: boolean; jobmanager?: string }) => {
      const config = loadConfig(o, jobManagerAddress(o.jobmanager));
      const parallelism = o.parallelism === undefined ? undefined : parsePositive(o.parallelism, '-p/--parallelism');
      const [{ inspectProgram }, { planJson, planText }] = await Promise.all([
        import('../client/inspect-program.js'),
        import('../graph/plan.js'),
      ]);
      const { jobGraph } = await inspectProgram(file, args, config, parallelism);
      const json = JSON.stringify(planJson(jobGraph), null, 2);
      if (o.json) process.stdout.write(json + '\n');
      else process.stdout.write(planText(jobGraph) + '\n\nPlan JSON:\n' + json + '\n');
    });

  registerRemoteCommands(program);
  registerClusterCommands(program);
  registerKubernetesCommands(program);
  registerOperatorCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  try {
    await buildCli().parseAsync(rewriteFlinkOptions(argv), { from: 'user' });
  } catch (e) {
    process.exitCode = 1;
    if (e instanceof WeirError) {
      process.stderr.write(`Error: ${describeError(e)}\n`);
      const cause = (e as { cause?: { stack?: string } }).cause;
      if (verbose && (cause?.stack ?? e.stack)) process.stderr.write(`${cause?.stack ?? e.stack}\n`);
    } else {
      process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
      if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    }
  }
  // Worker threads of a finished local cluster are gone; exit promptly even if user code left timers.
  if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = 0;
}
