/**
 * Leader retrieval of a Kubernetes HA cluster for a client outside it (`weir run -t
 * kubernetes-session`): only the Lease is read, not high-availability.storageDir, which the client
 * need not reach.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { joinPath } from './coordination.js';
import { KubernetesCoordination } from './kubernetes-coordination.js';
import type { LeaderInfo } from './records.js';
import { HighAvailabilityServices } from './services.js';

const ROOT = '/weir';

export async function retrieveKubernetesLeader(
  kubeConfig: KubeConfig,
  namespace: string,
  clusterId: string,
  timeoutMs: number,
): Promise<LeaderInfo> {
  const coord = new KubernetesCoordination({
    kubeConfig,
    namespace,
    clusterId,
    root: joinPath(ROOT, clusterId),
    // Not campaigning: the timing is unused.
    timing: { leaseDuration: 3000, renewDeadline: 2000, retryPeriod: 1000 },
  });
  const ha = new HighAvailabilityServices('kubernetes', coord, clusterId, ROOT, undefined);
  try {
    return await ha.waitForLeader(timeoutMs);
  } finally {
    await ha.close();
  }
}
