/**
 * The `weir` subcommands that talk to a running cluster through its REST API (`list`, `cancel`,
 * `savepoint`, `stop`, `checkpoint`, with Flink's options and `flink list`'s format) and the
 * `-m/--jobmanager host:port` option they share with `run` and `info`. How jobs are printed is in
 * job-list-format.ts, the live progress of an attached `weir run` in progress.ts.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfiguration, type Configuration } from '../../config/index.js';
import { configureFileSystems } from '../../fs/index.js';
import { WeirError } from '../../errors.js';
import { liveMetricsOverRest } from '../../client/live-metrics.js';
import { restUrl } from '../../client/remote-cluster-client.js';
import type { JobOverviewEntry } from '../../rest/api.js';
import { RestApiError, RestClient } from '../../rest/client.js';
import { SAVEPOINT_TYPES } from '../flink-options.js';
import type { JobArchive } from '../../rest/job-archive.js';
import { flinkJobList, jobsTable, oneLine, TERMINAL, type ListedJob } from './job-list-format.js';

export { flinkJobList, flinkTime, formatDuration, formatTime, jobsTable, type ListedJob } from './job-list-format.js';
export { watchProgress } from './progress.js';

interface RemoteOptions {
  jobmanager?: string;
  D?: string[];
  confDir?: string;
  verbose?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Parses `-m host:port` (also `[v6addr]:port` and `http://host:port`) into the configuration keys
 * it sets: rest.address and rest.port.
 */
export function jobManagerAddress(value: string | undefined): Record<string, string | undefined> {
  if (value === undefined) return {};
  const s = value
    .trim()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '');
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new WeirError('WEIR_CLI_USAGE', `-m/--jobmanager must be host:port (such as localhost:8081), got '${value}'`);
  }
  return { 'rest.address': m[1] ?? m[2], 'rest.port': String(port) };
}

function loadRemoteConfig(o: RemoteOptions): Configuration {
  const dynamic = [...(o.D ?? [])];
  for (const [k, v] of Object.entries(jobManagerAddress(o.jobmanager))) if (v !== undefined) dynamic.push(`${k}=${v}`);
  const config = loadConfiguration({ ...(o.confDir ? { confDir: o.confDir } : {}), dynamic });
  configureFileSystems(config.toJSON());
  return config;
}

/** The REST client of the cluster: -m / rest.address, or with HA the leader found by leader retrieval. */
async function clientFor(config: Configuration): Promise<RestClient> {
  const { leaderRestUrl } = await import('../../client/leader-rest-url.js');
  return new RestClient({ url: (await leaderRestUrl(config)) ?? restUrl(config), token: config.get('security.rest.token') });
}

export function registerRemoteCommands(program: Command): void {
  program
    .command('list')
    .description('list the jobs of a running cluster (running ones; --all for every job, archived ones included)')
    .option('-m, --jobmanager <host:port>', "the cluster's REST address (sets rest.address and rest.port)")
    .option('-a, --all', 'also list finished, failed, cancelled and archived jobs (the archive alone when no cluster answers)')
    .option('-r, --running', "only running and restarting jobs (Flink's list -r; prints Flink's format)")
    .option('-s, --scheduled', "only jobs not yet running (CREATED, INITIALIZING; Flink's list -s; prints Flink's format)")
    .option('--format <format>', "'table' (default without -r/-s) or 'flink': the lines and section headers of 'flink list'")
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(async (o: RemoteOptions & { all?: boolean; running?: boolean; scheduled?: boolean; format?: string }) => {
      const format = o.format ?? (o.running || o.scheduled ? 'flink' : 'table');
      if (format !== 'table' && format !== 'flink')
        throw new WeirError('WEIR_CLI_USAGE', `--format must be 'table' or 'flink', got '${o.format}'`);
      const config = loadRemoteConfig(o);
      const rest = await clientFor(config);
      const archiveDir = config.get('jobmanager.archive.dir');
      let jobs: JobOverviewEntry[];
      let archive: JobArchive | undefined;
      try {
        jobs = (await rest.jobsOverview()).jobs;
      } catch (e) {
        // No cluster answers: with --all and jobmanager.archive.dir, the archive is listed directly.
        const unreachable = e instanceof WeirError && !(e instanceof RestApiError) && e.code === 'WEIR_JOBMANAGER_UNREACHABLE';
        if (!o.all || archiveDir === undefined || !unreachable) throw e;
        const { JobArchive } = await import('../../rest/job-archive.js');
        archive = new JobArchive(archiveDir, (m) => process.stderr.write(`Warning: ${m}\n`));
        process.stderr.write(`No JobManager answers at ${rest.url}: listing the job archive ${archive.dir} (jobmanager.archive.dir)\n`);
        jobs = await archive.list();
      }
      if (format === 'flink') {
        process.stdout.write(flinkJobList(jobs, { running: o.running === true, scheduled: o.scheduled === true, all: o.all === true }));
        return;
      }
      const shown: ListedJob[] = jobs.filter((j) => o.all || !TERMINAL.has(j.state)).sort((a, b) => a['start-time'] - b['start-time']);
      if (o.all) await addFailureCauses(shown, rest, archive);
      await addThroughput(shown, rest);
      if (shown.length === 0) process.stdout.write(o.all ? 'No jobs.\n' : 'No running jobs.\n');
      else process.stdout.write(jobsTable(shown) + '\n');
    });

  program
    .command('cancel')
    .description('cancel a job of a running cluster')
    .argument('[jobId]', 'the id of the job (see weir list)')
    .option('-m, --jobmanager <host:port>', "the cluster's REST address (sets rest.address and rest.port)")
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .option(
      '-s, --with-savepoint [targetDirectory]',
      "take a savepoint first, then end the job (Flink's deprecated cancel -s; the job ends as with weir stop, FINISHED)",
    )
    .action(async (jobIdArg: string | undefined, o: RemoteOptions & { withSavepoint?: string | boolean }) => {
      // As Flink: in `cancel -s <jobId>` the option's optional value is the job id.
      const [jobId, dirArg] = withOptionalValue(jobIdArg, o.withSavepoint);
      const rest = await clientFor(loadRemoteConfig(o));
      if (o.withSavepoint !== undefined) {
        const dir = dirArg !== undefined ? absolute(dirArg) : undefined;
        process.stdout.write(`Cancelling job ${jobId} with canonical savepoint to ${dir ?? 'default savepoint directory'}.\n`);
        const triggerId = await rest.triggerSavepoint(jobId, { ...(dir ? { 'target-directory': dir } : {}), 'cancel-job': true });
        const location = await rest.awaitSavepoint(jobId, triggerId);
        process.stdout.write(`Cancelled job ${jobId}. Savepoint stored in ${location}.\n`);
        return;
      }
      await rest.cancelJob(jobId);
      process.stdout.write(`Cancelled job ${jobId}.\n`);
    });

  program
    .command('savepoint')
    .description('take a savepoint of a running job (it goes on running); prints the savepoint path')
    .argument('[jobId]', 'the id of the job (see weir list)')
    .argument('[targetDirectory]', 'where the savepoint goes (default: execution.checkpointing.savepoint-dir)')
    .option('-d, --dispose <savepointPath>', 'delete a savepoint (a directory with a _metadata file) instead of taking one')
    .option('--type <type>', "the savepoint's format: canonical (what Weir writes) or native (taken as canonical)")
    .option('--detached', 'print the trigger id and return without waiting for the savepoint')
    .option('-m, --jobmanager <host:port>', "the cluster's REST address (sets rest.address and rest.port)")
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(
      async (
        jobId: string | undefined,
        targetDirectory: string | undefined,
        o: RemoteOptions & { dispose?: string; type?: string; detached?: boolean },
      ) => {
        if (o.dispose !== undefined) {
          await disposeSavepoint(o.dispose);
          return;
        }
        if (jobId === undefined) throw new WeirError('WEIR_CLI_USAGE', 'Missing JobID. Specify a Job ID to trigger a savepoint.');
        checkSavepointType(o.type);
        const rest = await clientFor(loadRemoteConfig(o));
        const triggerId = await rest.triggerSavepoint(jobId, targetDirectory ? { 'target-directory': absolute(targetDirectory) } : {});
        if (o.detached) {
          process.stdout.write(`Successfully trigger manual savepoint, triggerId: ${triggerId}\n`);
          return;
        }
        const location = await rest.awaitSavepoint(jobId, triggerId);
        process.stdout.write(`Savepoint completed. Path: ${location}\n`);
      },
    );

  program
    .command('stop')
    .description('stop a job with a savepoint (the job ends FINISHED); prints the savepoint path')
    .argument('[jobId]', 'the id of the job (see weir list)')
    .option('-p, --savepoint-path [dir]', 'where the savepoint goes (default: execution.checkpointing.savepoint-dir); also --savepointPath')
    .option('-d, --drain', 'emit MAX_WATERMARK from the sources before the savepoint, so every event-time window and timer fires')
    .option('--type <type>', "the savepoint's format: canonical (what Weir writes) or native (taken as canonical)")
    .option('--detached', 'print the trigger id and return without waiting for the savepoint')
    .option('-m, --jobmanager <host:port>', "the cluster's REST address (sets rest.address and rest.port)")
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(
      async (
        jobIdArg: string | undefined,
        o: RemoteOptions & { savepointPath?: string | boolean; drain?: boolean; type?: string; detached?: boolean },
      ) => {
        // As Flink: in `stop -p <jobId>` the option's optional value is the job id.
        const [jobId, dir] = withOptionalValue(jobIdArg, o.savepointPath);
        checkSavepointType(o.type);
        const rest = await clientFor(loadRemoteConfig(o));
        const triggerId = await rest.stopWithSavepoint(jobId, {
          ...(dir ? { targetDirectory: absolute(dir) } : {}),
          drain: o.drain === true,
        });
        if (o.detached) {
          process.stdout.write(`Successfully trigger stop with savepoint, triggerId: ${triggerId}\n`);
          return;
        }
        const location = await rest.awaitSavepoint(jobId, triggerId);
        process.stdout.write(`Savepoint completed. Path: ${location}\n`);
      },
    );

  program
    .command('checkpoint')
    .description('trigger a checkpoint of a running job now (with checkpointing enabled); prints its id when it completed')
    .argument('<jobId>', 'the id of the job (see weir list)')
    .option('--full', 'a full checkpoint: refused for a job with incremental checkpoints (take a savepoint for a self-contained snapshot)')
    .option('-m, --jobmanager <host:port>', "the cluster's REST address (sets rest.address and rest.port)")
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(async (jobId: string, o: RemoteOptions & { full?: boolean }) => {
      const rest = await clientFor(loadRemoteConfig(o));
      process.stdout.write(`Triggering checkpoint for job ${jobId}.\n`);
      const id = await rest.awaitCheckpoint(jobId, await rest.triggerCheckpoint(jobId, o.full ? 'FULL' : 'CONFIGURED'));
      process.stdout.write(`Checkpoint${o.full ? '(FULL)' : ''} ${id} for job ${jobId} completed.\n`);
    });
}

/**
 * The job id and the directory of `cancel -s [dir] <jobId>` / `stop -p [dir] <jobId>`: Flink's
 * options take an optional value, so with a single word it is the job id.
 */
function withOptionalValue(jobId: string | undefined, option: string | boolean | undefined): [string, string | undefined] {
  const value = typeof option === 'string' ? option : undefined;
  if (jobId !== undefined) return [jobId, value];
  if (value !== undefined) return [value, undefined];
  throw new WeirError('WEIR_CLI_USAGE', 'Missing JobID: give the id of the job (see weir list)');
}

/** --type of savepoint and stop: Weir writes canonical savepoints; native is taken as canonical, said on stderr. */
function checkSavepointType(type: string | undefined): void {
  if (type === undefined) return;
  const t = type.toLowerCase();
  if (!(SAVEPOINT_TYPES as readonly string[]).includes(t))
    throw new WeirError('WEIR_CLI_USAGE', `--type must be one of ${SAVEPOINT_TYPES.join(', ')}, got '${type}'`);
  if (t === 'native')
    process.stderr.write(
      'Weir writes savepoints in its canonical format only: this savepoint is canonical (readable by every state backend)\n',
    );
}

/**
 * `weir savepoint -d <path>` (Flink's --dispose): deletes a savepoint directory this machine sees.
 * Only a directory with a `_metadata` file is deleted, so a mistyped path cannot remove other data.
 */
async function disposeSavepoint(location: string): Promise<void> {
  const { existsSync } = await import('node:fs');
  const { rm } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  if (/^[a-z][a-z0-9+.-]*:/i.test(location) && !location.startsWith('file:'))
    throw new WeirError('WEIR_CLI_USAGE', `only savepoints on a local filesystem can be disposed, got '${location}'`);
  const dir = location.startsWith('file:') ? fileURLToPath(location) : path.resolve(location);
  process.stdout.write(`Disposing savepoint '${location}'.\n`);
  if (!existsSync(path.join(dir, '_metadata')))
    throw new WeirError('WEIR_SAVEPOINT', `'${dir}' is not a savepoint (it has no _metadata file): nothing was deleted`);
  await rm(dir, { recursive: true });
  process.stdout.write(`Savepoint '${location}' disposed.\n`);
}

/** Each running job's throughput: the records per second its sources emit (the first vertex's numRecordsOutPerSecond, summed over subtasks). */
async function addThroughput(jobs: ListedJob[], rest: RestClient): Promise<void> {
  await Promise.all(
    jobs
      .filter((j) => j.state === 'RUNNING')
      .map(async (j) => {
        try {
          const first = (await rest.job(j.jid)).vertices[0];
          if (!first) return;
          const live = await liveMetricsOverRest(rest, j.jid, [first.id]);
          j.throughput = live.vertices[first.id]!.recordsOutPerSecond;
        } catch {
          // Throughput is extra information: a job whose metrics cannot be read is listed without it.
        }
      }),
  );
}

/** The newest exceptions of the failed jobs listed (at most FAILURE_CAUSES of them), as one line each. */
const FAILURE_CAUSES = 100;
async function addFailureCauses(jobs: ListedJob[], rest: RestClient, archive: JobArchive | undefined): Promise<void> {
  const failed = jobs.filter((j) => j.state === 'FAILED').slice(-FAILURE_CAUSES);
  await Promise.all(
    failed.map(async (j) => {
      try {
        const e = archive ? await archive.read(j.jid, 'exceptions') : await rest.jobExceptions(j.jid);
        const latest = e?.exceptionHistory.entries[0];
        if (latest) j.cause = oneLine(`${latest.code}: ${latest.message}`);
      } catch {
        // The cause is extra information: a job whose exceptions cannot be read is listed without it.
      }
    }),
  );
}

/** A local path made absolute (the JobManager may run in another directory); URIs are kept. */
function absolute(p: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(p) ? p : path.resolve(p);
}
