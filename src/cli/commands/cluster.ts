/**
 * The `weir` subcommands that are cluster processes or manage them (Flink's jobmanager.sh,
 * taskmanager.sh, start-cluster.sh, stop-cluster.sh): `jobmanager`, `taskmanager`,
 * `cluster start` and `cluster stop`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfiguration, type Configuration } from '../../config/index.js';
import { WeirError } from '../../errors.js';
import type { ResourceManager } from '../../runtime/jobmanager/resource-manager.js';
import type { ResourceProvider } from '../../runtime/jobmanager/resource-provider.js';
import type { Logger } from '../../runtime/rpc/transport.js';
import { configureFileSystems } from '../../fs/index.js';

interface ProcessOptions {
  D?: string[];
  confDir?: string;
  verbose?: boolean;
}

type JobManagerCliOptions = ProcessOptions & {
  application?: string;
  provider: string;
  logDir: string;
  clusterDir?: string;
  job?: string;
  programCwd?: string;
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function confDirOf(o: { confDir?: string }): string {
  return resolve(o.confDir ?? process.env.WEIR_CONF_DIR ?? 'conf');
}

function load(o: ProcessOptions): Configuration {
  const config = loadConfiguration({ confDir: confDirOf(o), dynamic: o.D ?? [] });
  configureFileSystems(config.toJSON());
  return config;
}

/** TaskManagers of `slotsPerTaskManager` slots that offer `slots` slots. */
function prestartOf(slots: number, slotsPerTaskManager: number): { taskManagers: number; slots: number } {
  const per = Math.max(1, slotsPerTaskManager);
  return { taskManagers: Math.ceil(slots / per), slots: per };
}

function defaultPidDir(): string {
  return process.env.WEIR_PID_DIR ?? join(tmpdir(), 'weir-pids');
}

/** The Kubernetes provider of a JobManager in its pod: it learns its Deployment before it starts. */
async function kubernetesProvider(config: Configuration, log: Logger): Promise<(ctx: { rpcAddress: string }) => ResourceProvider> {
  const clusterId = config.get('kubernetes.cluster-id');
  if (!clusterId) throw new WeirError('WEIR_CLI_USAGE', '--provider kubernetes needs kubernetes.cluster-id (the name of its Deployment)');
  const [{ kubeApi }, { clusterContext, KubernetesResourceProvider }] = await Promise.all([
    import('../../providers/kubernetes/kube-api.js'),
    import('../../providers/kubernetes/kubernetes-provider.js'),
  ]);
  const context = await clusterContext(kubeApi(config), clusterId);
  return (ctx) =>
    new KubernetesResourceProvider({
      ...context,
      jobManagerAddress: ctx.rpcAddress,
      cpu: config.get('kubernetes.taskmanager.cpu'),
      memoryBytes: config.get('kubernetes.taskmanager.memory'),
      log,
      keepTaskManagersOnClose: config.get('high-availability.type') !== 'none',
    });
}

/** The bundle and arguments of a Kubernetes Application cluster, and the deletion of the cluster once it has ended. */
async function kubernetesApplication(
  config: Configuration,
  application: string,
  log: Logger,
): Promise<{ program: string; args: string[] | undefined; teardown: () => Promise<void> }> {
  const clusterId = config.get('kubernetes.cluster-id');
  if (!clusterId) throw new WeirError('WEIR_CLI_USAGE', '--provider kubernetes needs kubernetes.cluster-id (the name of its Deployment)');
  const [{ kubeApi }, { CONFIGMAP_PREFIX, fetchApplication }, { deleteCluster }] = await Promise.all([
    import('../../providers/kubernetes/kube-api.js'),
    import('../../providers/kubernetes/application-bundle.js'),
    import('../../providers/kubernetes/teardown.js'),
  ]);
  const api = kubeApi(config);
  const kubernetesHa = config.get('high-availability.type') === 'kubernetes';
  if (!application.startsWith(CONFIGMAP_PREFIX))
    return { program: application, args: undefined, teardown: () => deleteCluster(api, clusterId, log, kubernetesHa) };
  const name = application.slice(CONFIGMAP_PREFIX.length);
  const dir = mkdtempSync(join(tmpdir(), `weir-application-${clusterId}-`));
  const fetched = await fetchApplication(api, name, dir);
  log.info(`read the application ${fetched.program} from the ConfigMap ${api.namespace}/${name}`);
  const teardown = async (): Promise<void> => {
    rmSync(dir, { recursive: true, force: true });
    await deleteCluster(api, clusterId, log, kubernetesHa);
  };
  return { program: fetched.bundlePath, args: fetched.args, teardown };
}

export function registerClusterCommands(program: Command): void {
  program
    .command('jobmanager')
    .description(
      'run a JobManager in this process (Dispatcher, ResourceManager, BlobServer, REST API); with --application, an Application cluster that runs the program',
    )
    .argument('[args...]', 'arguments of the --application program (after --)')
    .option('--application <program>', "run this program's main() here (Application mode); the cluster ends with the application")
    .option(
      '--provider <provider>',
      "resource provider: 'standalone' (TaskManagers are started by hand), 'process' (started here on demand) or 'kubernetes' (pods, in a Kubernetes session cluster's JobManager pod)",
      'standalone',
    )
    .option('--log-dir <dir>', 'where TaskManagers started by the process provider write their logs', 'log')
    .option('--cluster-dir <dir>', 'the directory of a dedicated cluster made by weir run (removed when the cluster ends)')
    .option('--job <file>', 'the job of a per-job cluster (written by weir run -t process-per-job)')
    .option('--program-cwd <dir>', 'the directory the --application program runs in (default: the current one)')
    .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('-v, --verbose', 'print stacks with errors')
    .action(async (args: string[], o: JobManagerCliOptions) => {
      const config = load(o);
      if (o.provider !== 'standalone' && o.provider !== 'process' && o.provider !== 'kubernetes')
        throw new WeirError('WEIR_CLI_USAGE', `--provider must be 'standalone', 'process' or 'kubernetes', got '${o.provider}'`);
      if (o.provider === 'kubernetes' && o.job)
        throw new WeirError(
          'WEIR_CLI_USAGE',
          '--provider kubernetes runs a session or an Application cluster: --job (per-job) is not supported with it (use -t kubernetes-application)',
        );
      if (o.job && o.application) throw new WeirError('WEIR_CLI_USAGE', '--job and --application cannot be used together');
      const [{ runJobManager }, { createLogger }] = await Promise.all([
        import('../../cluster/standalone/jobmanager-main.js'),
        import('../../cluster/standalone/log.js'),
      ]);
      const log = createLogger('JobManager', config.get('weir.log.level'));
      const clusterDir = o.clusterDir === undefined ? undefined : resolve(o.clusterDir);
      // A Kubernetes Application cluster's bundle and arguments come from its ConfigMap.
      const k8sApp = o.provider === 'kubernetes' && o.application ? await kubernetesApplication(config, o.application, log) : undefined;
      if (k8sApp) {
        o.application = k8sApp.program;
        if (k8sApp.args) args = k8sApp.args;
      }
      const clusterId =
        (o.provider === 'kubernetes' ? config.get('kubernetes.cluster-id') : undefined) ??
        config.get('process.cluster-id') ??
        (clusterDir
          ? basename(clusterDir)
          : o.application
            ? config.get('high-availability.cluster-id')
            : `weir-session-${randomBytes(4).toString('hex')}`);
      const dedicated =
        o.job || o.application
          ? new (await import('../../cluster/dedicated-cluster.js')).DedicatedCluster({
              config,
              log,
              clusterId,
              clusterDir,
              ...(o.job ? { jobFile: resolve(o.job) } : {}),
              ...(o.application ? { application: { program: resolve(o.application), args, cwd: resolve(o.programCwd ?? '.') } } : {}),
              ...(k8sApp ? { waitForClient: config.get('execution.attached') } : {}),
            })
          : undefined;
      const { ProcessResourceProvider } =
        o.provider === 'process' ? await import('../../providers/process/process-provider.js') : { ProcessResourceProvider: undefined };
      const kubernetes = o.provider === 'kubernetes' ? await kubernetesProvider(config, log) : undefined;
      const jm = await runJobManager(config, {
        log,
        handleSignals: !dedicated,
        ...(clusterDir ? { blobDir: join(clusterDir, 'blobs') } : {}),
        ...(ProcessResourceProvider
          ? {
              provider: (ctx: { rpcAddress: string; jobManager: { resourceManager: ResourceManager } }) =>
                new ProcessResourceProvider({
                  jobManagerAddress: ctx.rpcAddress,
                  confDir: confDirOf(o),
                  dynamic: o.D ?? [],
                  clusterId,
                  workDir: clusterDir ?? join(config.get('process.working-dir') ?? join(tmpdir(), 'weir-process'), clusterId),
                  logDir: clusterDir ? join(clusterDir, 'log') : resolve(o.logDir),
                  removeWorkDirOnClose: !clusterDir,
                  log,
                  // A dedicated cluster starts the TaskManagers its job needs with the JobManager.
                  ...(dedicated ? { prestart: prestartOf(dedicated.expectedSlots(), config.get('taskmanager.numberOfTaskSlots')) } : {}),
                  registered: (id) => ctx.jobManager.resourceManager.taskManagers().some((t) => t.gw.id === id),
                }),
            }
          : {}),
        ...(kubernetes ? { provider: kubernetes } : {}),
        // With HA a dedicated cluster's job or application starts when this JobManager leads, and a
        // deposed one exits (code 70) like a session JobManager.
        ...(dedicated
          ? config.get('high-availability.type') === 'none'
            ? { beforeRest: (j) => dedicated.beforeRest(j), restHooks: dedicated.restHooks }
            : {
                onLeading: (j) =>
                  dedicated
                    .start(j)
                    .catch((e: unknown) => dedicated.requestStop(`starting failed: ${e instanceof Error ? e.message : String(e)}`)),
                restHooks: dedicated.restHooks,
                exitOnLostLeadership: true,
              }
          : {}),
      });
      if (!dedicated) {
        await jm.closed;
        return;
      }
      const onSignal = (sig: NodeJS.Signals): void => dedicated.requestStop(`received ${sig}`);
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      const code = await dedicated.run(jm);
      if (k8sApp) await k8sApp.teardown();
      process.exit(code);
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
    .option('--taskmanagers <n>', 'number of TaskManagers (standalone provider)', '1')
    .option('--jobmanagers <n>', 'number of JobManagers: one leads, the others stand by (needs high-availability.type)', '1')
    .option(
      '--provider <provider>',
      "'standalone': start the TaskManagers now; 'process': start only the JobManager, which starts TaskManagers when jobs need them",
      'standalone',
    )
    .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
    .option('--log-dir <dir>', 'where the processes write their logs', 'log')
    .option('--pid-dir <dir>', 'where pid files go (default: $WEIR_PID_DIR or <tmp>/weir-pids)')
    .option('-D <key=value>', 'set a configuration key for every process started (repeatable)', collect)
    .action(
      async (o: {
        taskmanagers: string;
        jobmanagers: string;
        provider: string;
        confDir?: string;
        logDir: string;
        pidDir?: string;
        D?: string[];
      }) => {
        if (o.provider !== 'standalone' && o.provider !== 'process') {
          const hint = o.provider.startsWith('kubernetes') ? ' (there is no Kubernetes provider in this build)' : '';
          throw new WeirError('WEIR_CLI_USAGE', `--provider must be 'standalone' or 'process', got '${o.provider}'${hint}`);
        }
        const n = Number(o.taskmanagers);
        if (!Number.isInteger(n) || n < 0)
          throw new WeirError('WEIR_CLI_USAGE', `--taskmanagers must be a non-negative integer, got '${o.taskmanagers}'`);
        const { startCluster } = await import('../../cluster/standalone/cluster-script.js');
        const started = await startCluster({
          confDir: confDirOf(o),
          taskManagers: n,
          jobManagers: Number(o.jobmanagers),
          logDir: resolve(o.logDir),
          pidDir: resolve(o.pidDir ?? defaultPidDir()),
          provider: o.provider,
          dynamic: o.D ?? [],
        });
        process.stdout.write(
          o.provider === 'process'
            ? `Started a session cluster on the process provider: JobManager (pid ${started.jobManagerPid}) at ${started.jobManagerAddress}; ` +
                `it starts TaskManagers when jobs need slots and stops them when idle\nLogs: ${resolve(o.logDir)}\n`
            : `Started a session cluster: ${started.jobManagerPids.length > 1 ? `JobManagers (pids ${started.jobManagerPids.join(', ')}; one leads, the others stand by), first` : 'JobManager'} (pid ${started.jobManagerPid}) at ${started.jobManagerAddress}, ` +
                `${started.taskManagerPids.length} TaskManager(s) (pids ${started.taskManagerPids.join(', ') || '-'}), ` +
                `${started.overview.slotsTotal} slots\nLogs: ${started.logFiles.join(', ')}\n`,
        );
      },
    );
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
