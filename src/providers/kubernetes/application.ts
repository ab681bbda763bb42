/**
 * `weir run -t kubernetes-application` (Flink's `run-application -t kubernetes-application`), the
 * client's side: the program's bundle and arguments go into a ConfigMap (application-bundle.ts), and
 * the cluster is made as a session cluster is (Deployment, REST Service, Secret), its JobManager
 * running `weir jobmanager --provider kubernetes --application configmap:<name>`: main() runs in the
 * JobManager, whose ResourceManager creates TaskManager pods on demand. When the application has
 * ended the JobManager deletes its Deployment and, through the owner references, every object of
 * the cluster. Attached, the client follows the application's jobs to their end, prints their
 * results and waits until the cluster is gone; detached, it returns once the REST API answers.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type { Configuration } from '../../config/index.js';
import { WeirError } from '../../errors.js';
import type { Bundle } from '../../client/bundler.js';
import { RemoteClusterClient } from '../../client/remote-cluster-client.js';
import type { ApplicationStatus } from '../../rest/api.js';
import { RestApiError } from '../../rest/client.js';
import type { JobResult } from '../../runtime/jobmanager/job-master.js';
import { applicationConfigMap, applicationConfigMapName, applicationPayload, CONFIGMAP_PREFIX } from './application-bundle.js';
import { call, callOrMissing, kubeApi } from './kube-api.js';
import { deploySession, type DeployedSession } from './session.js';
import { labels } from './specs.js';

export interface KubernetesApplicationListener {
  onDeployed?(cluster: DeployedSession): void;
  onJob?(jobId: string, cluster: RemoteClusterClient): void;
  onJobResult?(result: JobResult): void;
}

export interface KubernetesApplicationRun {
  cluster: DeployedSession;
  status: ApplicationStatus | undefined;
  results: JobResult[];
  /** Whether every object of the cluster was gone when the attached client returned. */
  tornDown: boolean;
}

/** How long an attached client waits for the ended cluster's objects to disappear. */
const TEARDOWN_WAIT_MS = 60_000;

export async function runKubernetesApplication(
  o: { config: Configuration; bundle: Bundle; program: string; args: string[]; detached: boolean; startupTimeoutMs?: number },
  listener: KubernetesApplicationListener = {},
): Promise<KubernetesApplicationRun> {
  // Refused before anything is created: a bundle too large for its ConfigMap.
  const payload = applicationPayload(o.bundle, o.args, basename(o.program));
  const config = o.config.clone();
  const clusterId = config.get('kubernetes.cluster-id') ?? `weir-${randomBytes(4).toString('hex')}`;
  config.set('kubernetes.cluster-id', clusterId, 'weir run');
  // The cluster's processes authenticate to each other with a secret of their own (kept in the Secret).
  if (!config.get('security.cluster.secret')) config.set('security.cluster.secret', randomBytes(32).toString('hex'), 'weir run');
  // With HA the cluster keeps HA data of its own, removed with it, unless high-availability.cluster-id is given.
  if (config.get('high-availability.type') !== 'none' && !config.has('high-availability.cluster-id'))
    config.set('high-availability.cluster-id', clusterId, 'weir run');
  const configMap = applicationConfigMapName(clusterId);
  const cluster = await deploySession(config, o.startupTimeoutMs ?? 120_000, {
    jobManagerArgs: ['--application', `${CONFIGMAP_PREFIX}${configMap}`],
    // An attached client's results are kept for it until collected (as for the process provider).
    properties: [`execution.attached=${!o.detached}`],
    create: async (api, owner) => {
      await call(`creating the ConfigMap ${api.namespace}/${configMap} of the application's bundle`, () =>
        api.core.createNamespacedConfigMap({
          namespace: api.namespace,
          body: applicationConfigMap(clusterId, api.namespace, payload, owner),
        }),
      );
    },
  });
  listener.onDeployed?.(cluster);
  if (o.detached) return { cluster, status: undefined, results: [], tornDown: false };

  const rest = new RemoteClusterClient({ url: cluster.restUrl, token: config.get('security.rest.token'), resultPollMs: 5_000 });
  const results = new Map<string, Promise<JobResult>>();
  try {
    for (;;) {
      let status: ApplicationStatus;
      try {
        status = await rest.rest.application();
      } catch (e) {
        if (e instanceof RestApiError) throw e;
        throw new WeirError(
          'WEIR_CLUSTER_DEPLOYMENT',
          `the application cluster ${clusterId} stopped answering before it reported its end (${(e as Error).message}); see its pods: kubectl get pods -l app=${clusterId}`,
        );
      }
      for (const id of status.jobs) {
        if (results.has(id)) continue;
        listener.onJob?.(id, rest);
        const r = rest.waitForResult(id);
        r.then((x) => listener.onJobResult?.(x)).catch(() => undefined);
        results.set(id, r);
      }
      if (status.status !== 'RUNNING') {
        const all = await Promise.all(results.values());
        return { cluster, status, results: all, tornDown: await awaitTeardown(config, clusterId) };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await rest.close();
  }
}

/** Waits (bounded) until the cluster's Deployment and pods are gone; the garbage collector removes the rest with them. */
async function awaitTeardown(config: Configuration, clusterId: string): Promise<boolean> {
  const api = kubeApi(config);
  const { app, type } = labels(clusterId);
  const deadline = Date.now() + TEARDOWN_WAIT_MS;
  while (Date.now() < deadline) {
    const d = await callOrMissing('reading the Deployment', () =>
      api.apps.readNamespacedDeployment({ name: clusterId, namespace: api.namespace }),
    );
    const pods = await call('listing the pods', () =>
      api.core.listNamespacedPod({ namespace: api.namespace, labelSelector: `app=${app},type=${type}` }),
    );
    if (!d && pods.items.length === 0) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(
    `Warning: the objects of ${clusterId} were not all gone ${TEARDOWN_WAIT_MS / 1000} s after the application ended: kubectl get all -l app=${clusterId}\n`,
  );
  return false;
}
