/**
 * The Kubernetes API clients of the provider: one KubeConfig from kubernetes.config.file (or
 * $KUBECONFIG, ~/.kube/config, the in-cluster service account) and kubernetes.context, and the
 * translation of the API server's refusals into errors that say what to do.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Configuration } from '../../config/index.js';
import { WeirError } from '../../errors.js';

export interface KubeApi {
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly namespace: string;
}

export function kubeApi(config: Configuration): KubeApi {
  const kubeConfig = new KubeConfig();
  const file = config.get('kubernetes.config.file');
  try {
    if (file) kubeConfig.loadFromFile(file);
    else kubeConfig.loadFromDefault();
  } catch (e) {
    throw new WeirError('WEIR_KUBERNETES', `cannot read the kubeconfig ${file ?? '(default)'}: ${(e as Error).message}`);
  }
  const context = config.get('kubernetes.context');
  if (context) {
    if (!kubeConfig.getContextObject(context))
      throw new WeirError('WEIR_KUBERNETES', `kubernetes.context '${context}' is not a context of the kubeconfig ${file ?? '(default)'}`);
    kubeConfig.setCurrentContext(context);
  }
  if (!kubeConfig.getCurrentCluster())
    throw new WeirError('WEIR_KUBERNETES', 'no Kubernetes cluster is configured: set kubernetes.config.file or KUBECONFIG');
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(CoreV1Api),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    namespace: config.get('kubernetes.namespace'),
  };
}

/** The HTTP status of a failed API call (0 when the server was not reached). */
export function statusOf(e: unknown): number {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : 0;
}

function reasonOf(e: unknown): string {
  const body = (e as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      /* not a Status object */
    }
  }
  return (e as Error).message;
}

/** Runs an API call; a refusal becomes a WeirError naming `what` and the API server's reason. */
export async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const status = statusOf(e);
    const hint =
      status === 403 ? ' (RBAC: give the service account or user the permission)' : status === 0 ? ' (is the API server reachable?)' : '';
    throw new WeirError('WEIR_KUBERNETES', `${what} failed: ${reasonOf(e)}${hint}`);
  }
}

/** Like `call`, but a 404 resolves undefined. */
export async function callOrMissing<T>(what: string, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    return call(what, () => Promise.reject(e as Error));
  }
}
