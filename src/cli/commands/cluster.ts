/**
 * The `weir` subcommands that are cluster processes or manage them (Flink's jobmanager.sh,
 * taskmanager.sh, start-cluster.sh, stop-cluster.sh): `jobmanager`, `taskmanager`,
 * `cluster start` and `cluster stop`.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfiguration, type Configuration } from '../../config/index.js';
import { WeirError } from '../../errors.js';

interface ProcessOptions {
  D?: string[];
  confDir?: string;
  verbose?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function confDirOf(o: { confDir?: string }): string {
  return resolve(o.confDir ?? process.env.WEIR_CONF_DIR ?? 'conf');
}

function load(o: ProcessOptions): Configuration {
  return loadConfiguration({ confDir: confDirOf(o), dynamic: o.D ?? [] });
}

function defaultPidDir(): string {
  return process.env.WEIR_PID_DIR ?? join(tmpdir(), 'weir-pids');
}

export function registerClusterCommands(program: Command): void {
  program
    .command('jobmanager')
    .description('run a JobManager in this process (Dispatcher, ResourceManager, BlobServer, REST API)')
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(async (o: ProcessOptions) => {
      const { runJobManager } = await import('../../cluster/standalone/jobmanager-main.js');
      const jm = await runJobManager(load(o));
      await jm.closed;
    });

  program
    .command('taskmanager')
    .description('run a TaskManager in this process and register it with a JobManager')
    .option('--jobmanager <host:port>', 'the JobManager RPC address (default: jobmanager.rpc.address:jobmanager.rpc.port)')
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(async (o: ProcessOptions & { jobmanager?: string }) => {
      const config = load(o);
      const address = o.jobmanager ?? `${config.get('jobmanager.rpc.address')}:${config.get('jobmanager.rpc.port')}`;
      const { runTaskManager } = await import('../../cluster/standalone/taskmanager-main.js');
      const tm = await runTaskManager(config, address);
      await tm.closed;
    });

  const cluster = program.command('cluster').description('start or stop a standalone session cluster on this machine');
  cluster
    .command('start')
    .description('start a JobManager and TaskManagers as background processes (pid files, logs)')
    .option('--taskmanagers <n>', 'number of TaskManagers', '1')
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('--log-dir <dir>', 'where the processes write their logs', 'log')
    .option('--pid-dir <dir>', 'where pid files go (default: $WEIR_PID_DIR or <tmp>/weir-pids)')
    .action(async (o: { taskmanagers: string; confDir?: string; logDir: string; pidDir?: string }) => {
      const n = Number(o.taskmanagers);
      if (!Number.isInteger(n) || n < 0)
        throw new WeirError('WEIR_CLI_USAGE', `--taskmanagers must be a non-negative integer, got '${o.taskmanagers}'`);
      const { startCluster } = await import('../../cluster/standalone/cluster-script.js');
      const started = await startCluster({
        confDir: confDirOf(o),
        taskManagers: n,
        logDir: resolve(o.logDir),
        pidDir: resolve(o.pidDir ?? defaultPidDir()),
      });
      process.stdout.write(
        `Started a session cluster: JobManager (pid ${started.jobManagerPid}) at ${started.jobManagerAddress}, ` +
          `${started.taskManagerPids.length} TaskManager(s) (pids ${started.taskManagerPids.join(', ') || '-'}), ` +
          `${started.overview.slotsTotal} slots\nLogs: ${started.logFiles.join(', ')}\n`,
      );
    });
  cluster
    .command('stop')
    .description('stop the processes started by weir cluster start')
    .option('--pid-dir <dir>', 'where pid files are (default: $WEIR_PID_DIR or <tmp>/weir-pids)')
    .action(async (o: { pidDir?: string }) => {
      const { stopCluster } = await import('../../cluster/standalone/cluster-script.js');
      const r = await stopCluster({ pidDir: resolve(o.pidDir ?? defaultPidDir()) });
      process.stdout.write(
        `Stopped ${r.stopped.length} process(es)${r.killed.length ? `, killed ${r.killed.length} that did not stop in time` : ''}\n`,
      );
    });
}
