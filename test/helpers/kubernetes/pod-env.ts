/**
 * The environment of a pod's container as the kubelet would give it (a test tool; see
 * pod-runner.ts): `env` values, `valueFrom` field, ConfigMap and Secret references, `envFrom`, and
 * the variables the kubelet adds (HOSTNAME, KUBERNETES_SERVICE_HOST/PORT).
 */
import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';

export const POD_IP = '127.0.0.1';

function fieldValue(pod: V1Pod, path: string): string {
  const labels = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (labels) return pod.metadata?.labels?.[labels[1]!] ?? '';
  const annotations = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (annotations) return pod.metadata?.annotations?.[annotations[1]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.hostIP':
      return POD_IP;
    default:
      throw new Error(`fieldRef ${path} is not supported by the pod runner`);
  }
}

function decode(data: Record<string, string> | undefined, key: string, secret: boolean): string | undefined {
  const v = data?.[key];
  if (v === undefined) return undefined;
  return secret ? Buffer.from(v, 'base64').toString('utf8') : v;
}

/** Resolves the container's environment; a missing non-optional reference throws (pod fails). */
export async function containerEnv(
  api: CoreV1Api,
  pod: V1Pod,
  container: V1Container,
  base: Record<string, string>,
): Promise<Record<string, string>> {
  const namespace = pod.metadata!.namespace!;
  const env: Record<string, string> = { ...base, HOSTNAME: pod.metadata!.name! };
  const readConfigMap = async (name: string) => (await api.readNamespacedConfigMap({ name, namespace })).data ?? {};
  const readSecret = async (name: string) => (await api.readNamespacedSecret({ name, namespace })).data ?? {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    try {
      const data = from.configMapRef
        ? await readConfigMap(from.configMapRef.name!)
        : from.secretRef
          ? Object.fromEntries(Object.entries(await readSecret(from.secretRef.name!)).map(([k, v]) => [k, decode({ v }, 'v', true)!]))
          : {};
      for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
    } catch (e) {
      if (!(from.configMapRef?.optional ?? from.secretRef?.optional)) throw e;
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      // $(VAR) references to earlier variables, as the kubelet expands them.
      env[e.name] = (e.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
      continue;
    }
    const { fieldRef, configMapKeyRef, secretKeyRef } = e.valueFrom;
    let value: string | undefined;
    if (fieldRef) value = fieldValue(pod, fieldRef.fieldPath);
    else if (configMapKeyRef) value = decode(await readConfigMap(configMapKeyRef.name!).catch(() => undefined), configMapKeyRef.key, false);
    else if (secretKeyRef) value = decode(await readSecret(secretKeyRef.name!).catch(() => undefined), secretKeyRef.key, true);
    else throw new Error(`env ${e.name}: resourceFieldRef is not supported by the pod runner`);
    if (value === undefined) {
      if (configMapKeyRef?.optional || secretKeyRef?.optional) continue;
      throw new Error(`env ${e.name}: the referenced key is missing`);
    }
    env[e.name] = value;
  }
  return env;
}
