/**
 * `weir kubernetes-session [start]` and `weir kubernetes-session stop` (Flink's
 * kubernetes-session.sh): start a session cluster on Kubernetes — a JobManager Deployment whose
 * ResourceManager creates TaskManager pods when jobs need slots — and stop it. Jobs are then run
 * with `weir run -t kubernetes-session -D kubernetes.cluster-id=<id>`.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfiguration, type Configuration } from '../../config/index.js';

interface Options {
  D?: string[];
  confDir?: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function load(o: Options): Configuration {
  return loadConfiguration({ confDir: resolve(o.confDir ?? process.env.WEIR_CONF_DIR ?? 'conf'), dynamic: o.D ?? [] });
}

export function registerKubernetesCommands(program: Command): void {
  const session = program
    .command('kubernetes-session')
    .description('start (default) or stop a session cluster on Kubernetes (kubernetes.cluster-id, kubernetes.namespace, ...)');
  const options = (c: Command): Command =>
    c
      .option('-D <key=value>', 'set a configuration key (repeatable)', collect)
      .option('--conf-dir <dir>', 'configuration directory (default: $WEIR_CONF_DIR or ./conf)')
      .option('-v, --verbose', 'print stacks with errors');
  options(
    session
      .command('start', { isDefault: true })
      .description('create the JobManager Deployment and its REST Service; wait until it answers'),
  ).action(async (o: Options) => {
    const config = load(o);
    const { deploySession } = await import('../../providers/kubernetes/session.js');
    const t0 = Date.now();
    const s = await deploySession(config);
    process.stdout.write(
      `Started the Kubernetes session cluster ${s.clusterId} in namespace ${s.namespace} in ${Date.now() - t0} ms: ` +
        `REST API at ${s.restUrl}; TaskManager pods are created when jobs need slots\n` +
        `Run jobs: weir run -t kubernetes-session -D kubernetes.cluster-id=${s.clusterId} <program>\n` +
        `Stop it:  weir kubernetes-session stop -D kubernetes.cluster-id=${s.clusterId}\n`,
    );
  });
  options(
    session
      .command('stop')
      .description('delete the JobManager Deployment and, with it, every object of the cluster; wait until its pods are gone'),
  ).action(async (o: Options) => {
    const { stopSession } = await import('../../providers/kubernetes/session.js');
    const r = await stopSession(load(o));
    process.stdout.write(`Stopped the Kubernetes session cluster ${r.clusterId}: its Deployment, Service, Secret and pods are gone\n`);
  });
}
