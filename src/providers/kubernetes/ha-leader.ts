/**
 * The REST API of a Kubernetes session cluster with high-availability.type kubernetes: the leading
 * JobManager's, read from the cluster's leader Lease (leader retrieval), so a client reaches the
 * leader directly rather than whichever JobManager pod the REST Service picks (a standby would
 * redirect it). A cluster's HA type is read from its Deployment, so `weir run` needs only
 * kubernetes.cluster-id.
 */
import type { Configuration } from '../../config/index.js';
import { callOrMissing, type KubeApi } from './kube-api.js';

/** high-availability.type of the cluster: the client's setting, else the JobManager Deployment's `-D` argument. */
export async function clusterHaType(api: KubeApi, config: Configuration, clusterId: string): Promise<string> {
  const own = config.get('high-availability.type');
  if (own !== 'none') return own;
  const deployment = await callOrMissing(`reading the Deployment ${api.namespace}/${clusterId}`, () =>
    api.apps.readNamespacedDeployment({ name: clusterId, namespace: api.namespace }),
  );
  const args = deployment?.spec?.template.spec?.containers[0]?.args ?? [];
  const prop = args.find((a, i) => i > 0 && args[i - 1] === '-D' && a.startsWith('high-availability.type='));
  return prop?.slice('high-availability.type='.length) ?? 'none';
}

/** The leader's REST URL from the Lease; undefined when no leader is known within `timeoutMs`. */
export async function kubernetesLeaderRestUrl(api: KubeApi, clusterId: string, timeoutMs: number): Promise<string | undefined> {
  const { retrieveKubernetesLeader } = await import('../../ha/kubernetes-leader.js');
  try {
    return (await retrieveKubernetesLeader(api.kubeConfig, api.namespace, clusterId, timeoutMs)).restUrl || undefined;
  } catch {
    return undefined;
  }
}

/** Deletes the cluster's HA ConfigMaps and Lease (the cluster was stopped for good). */
export async function deleteHaData(api: KubeApi, clusterId: string): Promise<void> {
  const { CoordinationV1Api } = await import('@kubernetes/client-node');
  const { haSelector } = await import('../../ha/kubernetes-objects.js');
  const labelSelector = haSelector(clusterId);
  await api.core.deleteCollectionNamespacedConfigMap({ namespace: api.namespace, labelSelector });
  await api.kubeConfig.makeApiClient(CoordinationV1Api).deleteCollectionNamespacedLease({ namespace: api.namespace, labelSelector });
}
