/**
 * Leader retrieval for clients: with high availability, `weir run/list/cancel` find the leading
 * JobManager's REST API through the HA services (unless -m / rest.address names one: any
 * JobManager of the cluster answers, a standby by redirecting to the leader).
 */
import type { Configuration } from '../config/index.js';

/** The leader's REST URL, or undefined when the configuration has no HA or names a REST address itself. */
export async function leaderRestUrl(config: Configuration, force = false): Promise<string | undefined> {
  if (config.get('high-availability.type') === 'none') return undefined;
  if (!force && config.get('rest.address') !== undefined) return undefined;
  const { createHaServices } = await import('../ha/index.js');
  const ha = await createHaServices(config);
  try {
    return (await ha.waitForLeader(config.get('high-availability.leader-retrieval.timeout'))).restUrl;
  } finally {
    await ha.close();
  }
}
