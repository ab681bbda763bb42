/**
 * What the Kubernetes HA services keep in the API server, named and labelled as Flink's
 * KubernetesHaServices do: per directory of the HA layout one ConfigMap `<cluster-id>-ha-<dir>`
 * (its keys are the directory's entries), the leader election on a Lease `<cluster-id>-ha-leader`,
 * all labelled `app=<cluster-id>`, `type=weir-native-kubernetes`, `configmap-type=high-availability`.
 * Also: the kubeconfig the HA services reach the API server with, and the API's refusals.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { WeirError } from '../errors.js';

export const HA_LABEL = 'configmap-type';
export const HA_LABEL_VALUE = 'high-availability';
/** The HA path of the directory a ConfigMap holds (children are found through it). */
export const PATH_ANNOTATION = 'weir.apache.org/ha-path';
/** The leader session that last wrote a ConfigMap (fenced writes compare it in the same update). */
export const LEADER_ANNOTATION = 'weir.apache.org/leader-session';
/** Per-key versions (JSON key → number) and the ConfigMap's write counter they are drawn from. */
export const VERSIONS_ANNOTATION = 'weir.apache.org/versions';
/** On the Lease: the leader's information that leader retrieval reads. */
export const LEADER_INFO_ANNOTATION = 'weir.apache.org/leader-info';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function haLabels(clusterId: string): Record<string, string> {
  return { app: clusterId, type: 'weir-native-kubernetes', [HA_LABEL]: HA_LABEL_VALUE };
}

export function haSelector(clusterId: string): string {
  return Object.entries(haLabels(clusterId))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * The name of the object holding `path` (below `root`): `<cluster-id>-ha-<segments joined by ->`,
 * with a short hash of the path appended when the segments are not already a valid name.
 */
export function objectName(clusterId: string, root: string, path: string): string {
  if (path !== root && !path.startsWith(`${root}/`))
    throw new WeirError('WEIR_HA', `HA path ${path} is outside the cluster's root ${root}`);
  const rest = path.slice(root.length).split('/').filter(Boolean);
  const plain = [clusterId, 'ha', ...rest].join('-');
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(plain) && plain.length <= 240) return plain;
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 10);
  const clean = plain
    .toLowerCase()
    .replace(/[^-a-z0-9]/g, '-')
    .slice(0, 200)
    .replace(/^-+|-+$/g, '');
  return `${clean}-${hash}`;
}

/** A ConfigMap key for the last segment of a path (ConfigMap keys: letters, digits, '-', '_', '.'). */
export function dataKey(segment: string): string {
  if (!/^[-._a-zA-Z0-9]+$/.test(segment) || segment.length > 253)
    throw new WeirError('WEIR_HA', `'${segment}' cannot be a ConfigMap key (letters, digits, '-', '_' and '.' only)`);
  return segment;
}

/** Reads a key: UTF-8 text is kept in `data` (readable with kubectl), other bytes in `binaryData`. */
export function readValue(cm: V1ConfigMap, key: string): Buffer | undefined {
  const text = cm.data?.[key];
  if (text !== undefined) return Buffer.from(text, 'utf8');
  const bin = cm.binaryData?.[key];
  return bin === undefined ? undefined : Buffer.from(bin, 'base64');
}

export function writeValue(cm: V1ConfigMap, key: string, value: Buffer | undefined): void {
  const data = { ...(cm.data ?? {}) };
  const binaryData = { ...(cm.binaryData ?? {}) };
  delete data[key];
  delete binaryData[key];
  if (value !== undefined) {
    const text = value.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(value)) data[key] = text;
    else binaryData[key] = value.toString('base64');
  }
  cm.data = data;
  cm.binaryData = binaryData;
}

export function keysOf(cm: V1ConfigMap): string[] {
  return [...new Set([...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})])];
}

export interface Versions {
  counter: number;
  keys: Record<string, number>;
}

export function versionsOf(cm: V1ConfigMap | undefined): Versions {
  const raw = cm?.metadata?.annotations?.[VERSIONS_ANNOTATION];
  if (!raw) return { counter: 0, keys: {} };
  try {
    const v = JSON.parse(raw) as Versions;
    return { counter: Number(v.counter) || 0, keys: { ...v.keys } };
  } catch {
    return { counter: 0, keys: {} };
  }
}

/** The HTTP status of a failed API call (0 when the server was not reached). */
export function statusOf(e: unknown): number {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : 0;
}

export interface KubeConfigOptions {
  file: string | undefined;
  context: string | undefined;
}

/**
 * The kubeconfig of kubernetes.config.file, $KUBECONFIG, ~/.kube/config or the pod's service
 * account; none of them (a process outside Kubernetes without a kubeconfig) is an error, not a
 * silent fallback to localhost:8080.
 */
export function loadKubeConfig(o: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  const defaultFile = join(homedir(), '.kube', 'config');
  if (!o.file && !process.env.KUBECONFIG && !existsSync(defaultFile) && !existsSync(SERVICE_ACCOUNT_TOKEN))
    throw new WeirError(
      'WEIR_HA',
      'high-availability.type kubernetes needs a Kubernetes API server, and none is configured: no kubernetes.config.file, no $KUBECONFIG, no ~/.kube/config and no pod service account (run in a Kubernetes pod, or set kubernetes.config.file)',
    );
  try {
    if (o.file) kc.loadFromFile(o.file);
    else kc.loadFromDefault();
  } catch (e) {
    throw new WeirError('WEIR_HA', `cannot read the kubeconfig ${o.file ?? '(default)'}: ${(e as Error).message}`);
  }
  if (o.context) {
    if (!kc.getContextObject(o.context))
      throw new WeirError('WEIR_HA', `kubernetes.context '${o.context}' is not a context of the kubeconfig ${o.file ?? '(default)'}`);
    kc.setCurrentContext(o.context);
  }
  if (!kc.getCurrentCluster()) throw new WeirError('WEIR_HA', 'the kubeconfig names no cluster: set kubernetes.config.file or KUBECONFIG');
  return kc;
}
