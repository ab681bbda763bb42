/**
 * Which ClusterClient serves an `execution.target`. The client layer knows only the targets it
 * implements itself (a running session cluster over REST); the embedded mini-cluster and the
 * process provider's per-job clusters live in layers above it and are registered by the
 * composition root (src/bootstrap.ts), as Flink's executor factories are found by a service loader.
 */
import type { Configuration } from '../config/index.js';
import { WeirError } from '../errors.js';
import type { ClusterClient } from './cluster-client.js';

export type ClusterClientFactory = (config: Configuration) => Promise<ClusterClient>;

const REGISTRY = Symbol.for('weir.clusterClientFactories');

function registry(): Map<string, ClusterClientFactory> {
  const g = globalThis as { [REGISTRY]?: Map<string, ClusterClientFactory> };
  return (g[REGISTRY] ??= new Map());
}

export function registerClusterClientFactory(target: string, factory: ClusterClientFactory): void {
  registry().set(target, factory);
}

registerClusterClientFactory('remote', async (config) => {
  // A running session cluster, reached through its REST API (rest.address/rest.port, or -m host:port).
  // With HA: the leader found by leader retrieval, found again when it changes while a job is followed.
  const [{ RemoteClusterClient, restUrl }, { leaderRestUrl }] = await Promise.all([
    import('./remote-cluster-client.js'),
    import('./leader-rest-url.js'),
  ]);
  const ha = config.get('high-availability.type') !== 'none';
  return new RemoteClusterClient({
    url: (await leaderRestUrl(config)) ?? restUrl(config),
    token: config.get('security.rest.token'),
    ...(ha
      ? {
          resolveLeader: async () => (await leaderRestUrl(config, true))!,
          leaderTimeoutMs: config.get('high-availability.leader-retrieval.timeout'),
        }
      : {}),
  });
});
registerClusterClientFactory('process-session', (config) => registry().get('remote')!(config));

export async function createCluster(config: Configuration): Promise<ClusterClient> {
  const target = String(config.get('execution.target') ?? 'local');
  const factory = registry().get(target);
  if (factory) return factory(config);
  if (target === 'process-application' || target === 'kubernetes-application') {
    throw new WeirError(
      'WEIR_CONFIG_BAD_VALUE',
      `execution.target '${target}' runs main() in the JobManager, not in this client: use 'weir run -t ${target}'`,
    );
  }
  throw new WeirError(
    'WEIR_CONFIG_BAD_VALUE',
    `execution.target '${target}' is not available in this build: use local, remote, process-session, process-per-job, process-application, kubernetes-session or kubernetes-application`,
  );
}
