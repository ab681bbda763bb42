/**
 * `weir run -t kubernetes-session`: the session cluster of kubernetes.cluster-id, reached through
 * the REST endpoint its Service gives (see session.ts), then as any remote session cluster. With
 * Kubernetes HA the leader's REST API is found through the leader Lease, and found again when the
 * leader changes while the client follows a job.
 */
import type { Configuration } from '../../config/index.js';
import { WeirError } from '../../errors.js';
import type { ClusterClient } from '../../client/cluster-client.js';
import { RemoteClusterClient } from '../../client/remote-cluster-client.js';
import { clusterHaType, kubernetesLeaderRestUrl } from './ha-leader.js';
import { kubeApi } from './kube-api.js';
import { restEndpoint } from './session.js';

export async function kubernetesSessionClient(config: Configuration): Promise<ClusterClient> {
  const clusterId = config.get('kubernetes.cluster-id');
  if (!clusterId) throw new WeirError('WEIR_CLI_USAGE', "-t kubernetes-session needs the cluster's id: -D kubernetes.cluster-id=<id>");
  const api = kubeApi(config);
  const leaderTimeout = config.get('high-availability.leader-retrieval.timeout');
  const ha = (await clusterHaType(api, config, clusterId)) === 'kubernetes';
  const url = ha ? await kubernetesLeaderRestUrl(api, clusterId, leaderTimeout) : await restEndpoint(api, clusterId);
  if (!url)
    throw new WeirError(
      'WEIR_KUBERNETES',
      `no ready session cluster '${clusterId}' in namespace ${api.namespace} (no REST Service ${clusterId}-rest, or no JobManager pod ready): start one with weir kubernetes-session`,
    );
  const client = new RemoteClusterClient({
    url,
    token: config.get('security.rest.token'),
    ...(ha
      ? {
          resolveLeader: async () => (await kubernetesLeaderRestUrl(api, clusterId, leaderTimeout)) ?? url,
          leaderTimeoutMs: leaderTimeout,
        }
      : {}),
  });
  return Object.assign(client, { description: `Kubernetes session cluster ${clusterId} (${url})` });
}
