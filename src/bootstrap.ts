/**
 * The composition root: registers what the lower layers look up but may not import (DESIGN §7).
 * The API gets its default executor (the embedded local cluster, for programs run without
 * `weir`), and the client gets the cluster clients of the `local` and `process-per-job` targets.
 * Everything is loaded lazily, on first use, so importing 'weir' stays cheap.
 */
import { setDefaultPipelineExecutor } from './api/execution-context.js';
import { registerClusterClientFactory } from './client/cluster-clients.js';

setDefaultPipelineExecutor(async () => (await import('./cluster/local-executor.js')).createLocalExecutor());

registerClusterClientFactory('local', async (config) => {
  // The mini-cluster (JobManager and TaskManager code) is loaded only by the target that runs it.
  const { LocalMiniCluster } = await import('./cluster/local-mini-cluster.js');
  // Reporters (metrics.reporters) serve the mini-cluster's JobManager and TaskManagers from this process.
  let metricRegistry;
  if (config.get('metrics.reporters').length > 0) {
    const { startProcessMetricRegistry } = await import('./metrics/process-registry.js');
    const log = { info: (t: string) => process.stderr.write(`${t}\n`), warn: (t: string) => process.stderr.write(`Warning: ${t}\n`) };
    metricRegistry = await startProcessMetricRegistry(config, log, 'local cluster');
  }
  return new LocalMiniCluster({
    taskManagers: Number(config.get('minicluster.number-of-taskmanagers') ?? 1),
    slotsPerTaskManager: Number(config.get('taskmanager.numberOfTaskSlots') ?? 1),
    archiveDir: config.get('jobmanager.archive.dir'),
    ...(metricRegistry ? { metricRegistry } : {}),
  });
});

registerClusterClientFactory('kubernetes-session', async (config) => {
  // A session cluster on Kubernetes, reached through the REST Service of kubernetes.cluster-id.
  const { kubernetesSessionClient } = await import('./providers/kubernetes/session-client.js');
  return kubernetesSessionClient(config);
});

registerClusterClientFactory('process-per-job', async (config) => {
  const { PerJobClusterClient } = await import('./providers/process/process-cluster.js');
  return new PerJobClusterClient(config);
});
