/**
 * The end of a Kubernetes Application cluster (Flink's deregisterApplication): once the application
 * has ended, its JobManager deletes the JobManager Deployment; the garbage collector removes what
 * the Deployment owns (ReplicaSet, the JobManager pod, the REST Service, the application's
 * ConfigMap, the Secret, TaskManager pods left). The JobManager then waits for its own pod's
 * termination instead of exiting: a container that exits in a pod of a Deployment is restarted.
 * With Kubernetes HA the cluster's HA ConfigMaps and Lease go too (Flink's closeAndCleanupAllData):
 * the application ended for good, and its JobManager has closed its HA services by then.
 */
import type { Logger } from '../../runtime/rpc/transport.js';
import { deleteHaData } from './ha-leader.js';
import { callOrMissing, type KubeApi } from './kube-api.js';

/** How long the JobManager waits for its pod to be deleted before it exits anyway. */
const TERMINATION_WAIT_MS = 30_000;

export async function deleteCluster(api: KubeApi, clusterId: string, log: Logger, kubernetesHa = false): Promise<void> {
  const terminated = new Promise<void>((r) => {
    process.once('SIGTERM', () => r());
    setTimeout(r, TERMINATION_WAIT_MS).unref();
  });
  try {
    const deleted = await callOrMissing(`deleting the Deployment ${api.namespace}/${clusterId}`, () =>
      api.apps.deleteNamespacedDeployment({ name: clusterId, namespace: api.namespace, propagationPolicy: 'Background' }),
    );
    log.info(
      deleted
        ? `deleted the Deployment ${api.namespace}/${clusterId}: the cluster's objects go with it`
        : `the Deployment ${api.namespace}/${clusterId} is gone already`,
    );
  } catch (e) {
    log.error(`${(e as Error).message}: delete the cluster yourself (kubectl delete deployment ${clusterId})`);
    return;
  }
  // After the Deployment: its pods are going, so no standby JobManager campaigns for the Lease again.
  if (kubernetesHa)
    await deleteHaData(api, clusterId).then(
      () => log.info(`deleted the HA ConfigMaps and Lease of ${clusterId}`),
      (e: unknown) => log.error(`could not delete the HA ConfigMaps and Lease of ${clusterId}: ${(e as Error).message}`),
    );
  await terminated;
}
