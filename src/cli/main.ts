/**
 * The `weir` command (DESIGN §6). Each subcommand parses its options, loads and validates the
 * configuration (conf/config.yaml + -D), and reports failures as one actionable line (exit 1);
 * `--verbose` adds stacks.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfiguration, type Configuration } from '../config/index.js';
import { WeirError, describeError } from '../errors.js';
import { planJson, planText } from '../graph/plan.js';
import { inspectProgram } from '../cluster/inspect-program.js';
import { runProgram } from '../cluster/run-program.js';
import type { SubmittedJob } from '../cluster/program-executor.js';
import type { JobResult } from '../runtime/jobmanager/job-master.js';
import { registerClusterCommands } from './commands/cluster.js';
import { jobManagerAddress, registerRemoteCommands, watchProgress } from './commands/remote.js';

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
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function loadConfig(o: CommonOptions, extra: Record<string, string | undefined> = {}): Configuration {
  const dynamic = [...(o.D ?? [])];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) dynamic.push(`${k}=${v}`);
  return loadConfiguration({ ...(o.confDir ? { confDir: o.confDir } : {}), dynamic });
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

function printResult(job: SubmittedJob, r: JobResult): void {
  const out = process.stderr;
  out.write(`Job '${r.jobName}' (${r.jobId}) ${r.status} after ${fmtDuration(r.endTime - r.startTime)}\n`);
  for (const v of r.vertices) {
    out.write(`  ${v.name} [p=${v.parallelism}]: ${v.metrics.numRecordsIn} records in, ${v.metrics.numRecordsOut} out\n`);
  }
  if (r.status === 'FINISHED') {
    for (const n of job.streamGraph.nodes) {
      if (n.spec.type === 'sink') {
        const loc = n.spec.sink.outputLocation?.();
        if (loc) out.write(`Output of '${n.name}' is in ${loc}\n`);
      } else if (n.spec.type === 'print')
        out.write(`Output of '${n.name}' went to the TaskManager's ${n.spec.toStderr ? 'stderr' : 'stdout'} (this terminal)\n`);
    }
  }
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
      'with -s: drop state of operators the job no longer has (execution.savepoint.ignore-unclaimed-state)',
    )
    .option('-m, --jobmanager <host:port>', 'REST address of a running cluster (sets rest.address/rest.port; target remote unless -t)')
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(async (file: string, args: string[], o: RunCliOptions) => {
      const config = loadConfig(o, {
        'execution.target': o.target ?? (o.jobmanager ? 'remote' : undefined),
        'execution.attached': o.detached ? 'false' : undefined,
        'execution.savepoint.path': o.fromSavepoint === undefined ? undefined : savepointPath(o.fromSavepoint),
        'execution.savepoint.ignore-unclaimed-state': o.allowNonRestoredState ? 'true' : undefined,
        ...jobManagerAddress(o.jobmanager),
      });
      const remote = config.get('execution.target') === 'remote';
      const watchers = new Map<string, () => void>();
      const parallelism = o.parallelism === undefined ? undefined : parsePositive(o.parallelism, '-p/--parallelism');
      const run = await runProgram({
        program: file,
        args,
        config,
        ...(parallelism !== undefined ? { parallelism } : {}),
        listener: {
          onSubmitted: (job) => {
            if (remote && o.detached) return void process.stdout.write(`Job has been submitted with JobID ${job.jobId}\n`);
            process.stderr.write(
              `Submitted job '${job.jobName}' (${job.jobId}) to the ${job.cluster.description}${job.cluster.webUrl ? ` — ${job.cluster.webUrl}` : ''}\n`,
            );
            if (remote) watchers.set(job.jobId, watchProgress(job));
          },
          onFinished: (job, r) => {
            watchers.get(job.jobId)?.();
            if (!(remote && o.detached)) printResult(job, r);
          },
        },
      });
      const failed = run.results.find((r) => r.status !== 'FINISHED');
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
      const { jobGraph } = await inspectProgram(file, args, config, parallelism);
      const json = JSON.stringify(planJson(jobGraph), null, 2);
      if (o.json) process.stdout.write(json + '\n');
      else process.stdout.write(planText(jobGraph) + '\n\nPlan JSON:\n' + json + '\n');
    });

  registerRemoteCommands(program);
  registerClusterCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
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
