/**
 * Reading and writing WeirDeployments through the API server: the object, its finalizers, and its
 * status through the status subresource. Writes carry the resourceVersion they were based on; a
 * conflict (someone changed the object meanwhile) reads it again and applies the change anew.
 */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { WeirError } from '../../../errors.js';
import { call, statusOf, type KubeApi } from '../kube-api.js';
import { GROUP, PLURAL, VERSION, type WeirDeployment, type WeirDeploymentStatus } from './resource.js';

const CONFLICT_RETRIES = 10;

export class ResourceApi {
  readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;

  constructor(readonly kubeConfig: KubeConfig) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
  }

  /** The clients of the session code, bound to one namespace. */
  kubeApi(namespace: string): KubeApi {
    return { kubeConfig: this.kubeConfig, core: this.core, apps: this.apps, namespace };
  }

  async get(namespace: string, name: string): Promise<WeirDeployment | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name,
      })) as WeirDeployment;
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      return call(`reading the WeirDeployment ${namespace}/${name}`, () => Promise.reject(e as Error));
    }
  }

  async list(namespace: string): Promise<{ items: WeirDeployment[]; metadata?: { resourceVersion?: string } }> {
    return call(`listing the WeirDeployments of ${namespace}`, () =>
      this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace }),
    ) as Promise<{ items: WeirDeployment[] }>;
  }

  /**
   * Applies `change` to the latest object and replaces it (`status`: through the status subresource),
   * reading again on a resourceVersion conflict. Resolves undefined when the object is gone.
   */
  async update(
    dep: WeirDeployment,
    change: (d: WeirDeployment) => void,
    subresource: 'status' | 'object',
  ): Promise<WeirDeployment | undefined> {
    const { namespace, name } = dep.metadata;
    let current: WeirDeployment | undefined = dep;
    for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
      if (!current) return undefined;
      const body = structuredClone(current);
      change(body);
      const params = { group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body };
      try {
        return (await (subresource === 'status'
          ? this.custom.replaceNamespacedCustomObjectStatus(params)
          : this.custom.replaceNamespacedCustomObject(params))) as WeirDeployment;
      } catch (e) {
        const status = statusOf(e);
        if (status === 404) return undefined;
        if (status !== 409)
          return call(`updating the ${subresource} of the WeirDeployment ${namespace}/${name}`, () => Promise.reject(e as Error));
        current = await this.get(namespace, name);
      }
    }
    throw new WeirError('WEIR_KUBERNETES', `the WeirDeployment ${namespace}/${name} kept changing: ${CONFLICT_RETRIES} updates conflicted`);
  }

  updateStatus(dep: WeirDeployment, status: WeirDeploymentStatus): Promise<WeirDeployment | undefined> {
    return this.update(dep, (d) => (d.status = structuredClone(status)), 'status');
  }
}
