/**
 * Pod templates (Flink's kubernetes.pod-template-file.default|jobmanager|taskmanager): a YAML Pod
 * the generated pod spec is merged onto, for what Weir does not generate itself (sidecars, init
 * containers, volumes, node selectors, tolerations, labels, annotations, extra environment).
 *
 * Flink's merge rules, with Weir's main container name `weir-main-container` in place of
 * `flink-main-container`:
 * - metadata: the template's labels and annotations are kept; Weir's own win on a clash;
 * - pod spec: the template's fields are kept; the fields Weir sets (service account, restart
 *   policy) win; nodeSelector merges (Weir's keys win), tolerations, volumes, imagePullSecrets
 *   append (a volume of the same name: Weir's);
 * - the container named `weir-main-container` is merged with Weir's main container: image, pull
 *   policy, command, args and name are Weir's; env and ports merge by name (Weir's win, Weir's
 *   first so that the template's values may refer to them as $(VAR)); resources merge per resource
 *   (Weir's cpu and memory win); volumeMounts and the rest of the template container are kept;
 * - the template's other containers and init containers are kept as they are.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { V1Container, V1ObjectMeta, V1Pod, V1PodSpec, V1ResourceRequirements } from '@kubernetes/client-node';
import type { Configuration } from '../../config/index.js';
import { WeirError } from '../../errors.js';

export const MAIN_CONTAINER = 'weir-main-container';

/** Reads and checks a pod template file: one YAML document, `apiVersion: v1`, `kind: Pod`. */
export function loadPodTemplate(file: string, key: string): V1Pod {
  const bad = (why: string): WeirError => new WeirError('WEIR_KUBERNETES', `the pod template ${file} (${key}) ${why}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw bad(`cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.length !== 1) throw bad('must hold exactly one YAML document, a Pod');
  const doc = docs[0]!;
  if (doc.errors.length > 0) throw bad(`is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const pod = doc.toJS() as unknown;
  if (typeof pod !== 'object' || pod === null || Array.isArray(pod)) throw bad('is not a Pod (not a YAML mapping)');
  const { apiVersion, kind, spec } = pod as Record<string, unknown>;
  if (kind !== 'Pod' || apiVersion !== 'v1')
    throw bad(`is not a Pod: it has apiVersion ${String(apiVersion)} and kind ${String(kind)} (expected v1 and Pod)`);
  if (spec !== undefined && (typeof spec !== 'object' || spec === null)) throw bad('has a spec that is not a mapping');
  const containers = (spec as { containers?: unknown } | undefined)?.containers;
  if (containers !== undefined && !Array.isArray(containers)) throw bad('has spec.containers that is not a list');
  return pod as V1Pod;
}

/** The template of a component: its own key, else kubernetes.pod-template-file.default. */
export function podTemplateFor(config: Configuration, component: 'jobmanager' | 'taskmanager'): V1Pod | undefined {
  const own = `kubernetes.pod-template-file.${component}` as const;
  const key = config.get(own) ? own : 'kubernetes.pod-template-file.default';
  const file = config.get(key);
  return file ? loadPodTemplate(file, key) : undefined;
}

function mergeByName<T extends { name?: string }>(weirs: readonly T[] | undefined, templates: readonly T[] | undefined): T[] | undefined {
  if (!weirs?.length && !templates?.length) return undefined;
  const own = new Set((weirs ?? []).map((x) => x.name));
  return [...(weirs ?? []), ...(templates ?? []).filter((x) => !own.has(x.name))];
}

function mergeResources(
  weir: V1ResourceRequirements | undefined,
  t: V1ResourceRequirements | undefined,
): V1ResourceRequirements | undefined {
  if (!t) return weir;
  return {
    ...t,
    ...weir,
    requests: { ...t.requests, ...weir?.requests },
    limits: { ...t.limits, ...weir?.limits },
  };
}

/** Weir's main container merged onto the template's `weir-main-container`, if it has one. */
export function mergeMainContainer(weir: V1Container, template: V1Container | undefined): V1Container {
  if (!template) return weir;
  const env = mergeByName(weir.env, template.env);
  const ports = mergeByName(weir.ports, template.ports);
  const resources = mergeResources(weir.resources, template.resources);
  return {
    ...template,
    ...weir,
    ...(env ? { env } : {}),
    ...(ports ? { ports } : {}),
    ...(resources ? { resources } : {}),
    ...(template.volumeMounts || weir.volumeMounts ? { volumeMounts: mergeByName(weir.volumeMounts, template.volumeMounts) } : {}),
  };
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The pod (metadata and spec) Weir generated, merged onto a template. */
export function mergePodTemplate(
  template: V1Pod | undefined,
  generated: { metadata?: V1ObjectMeta; spec?: V1PodSpec },
): { metadata: V1ObjectMeta; spec: V1PodSpec } {
  const g = { metadata: generated.metadata ?? {}, spec: generated.spec ?? { containers: [] } };
  if (!template) return g;
  const tm = template.metadata ?? {};
  const ts: Partial<V1PodSpec> = template.spec ?? {};
  const labels = { ...tm.labels, ...g.metadata.labels };
  const annotations = { ...tm.annotations, ...g.metadata.annotations };
  const metadata: V1ObjectMeta = {
    ...defined(g.metadata),
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
  const [weirMain, ...weirOthers] = g.spec.containers;
  const templateMain = ts.containers?.find((c) => c.name === MAIN_CONTAINER);
  const sidecars = (ts.containers ?? []).filter((c) => c.name !== MAIN_CONTAINER);
  const nodeSelector = ts.nodeSelector || g.spec.nodeSelector ? { ...ts.nodeSelector, ...g.spec.nodeSelector } : undefined;
  const tolerations = [...(ts.tolerations ?? []), ...(g.spec.tolerations ?? [])];
  const pullSecrets = [...(ts.imagePullSecrets ?? []), ...(g.spec.imagePullSecrets ?? [])];
  const volumes = mergeByName(g.spec.volumes, ts.volumes);
  const spec: V1PodSpec = {
    ...ts,
    ...defined(g.spec),
    containers: [mergeMainContainer(weirMain!, templateMain), ...weirOthers, ...sidecars],
    ...(nodeSelector ? { nodeSelector } : {}),
    ...(tolerations.length ? { tolerations } : {}),
    ...(pullSecrets.length ? { imagePullSecrets: pullSecrets } : {}),
    ...(volumes ? { volumes } : {}),
  };
  return { metadata, spec };
}

/** The annotation of the JobManager Deployment that carries the TaskManager pod template (JSON) to the JobManager. */
export const TASKMANAGER_TEMPLATE_ANNOTATION = 'weir/taskmanager-pod-template';
/** Kubernetes limits the annotations of an object to 256 KiB in total. */
const ANNOTATION_LIMIT = 256 * 1024;

export function taskManagerTemplateAnnotation(template: V1Pod | undefined): Record<string, string> {
  if (!template) return {};
  const json = JSON.stringify(template);
  if (Buffer.byteLength(json) > ANNOTATION_LIMIT - 4096)
    throw new WeirError(
      'WEIR_KUBERNETES',
      `the TaskManager pod template is ${Buffer.byteLength(json)} bytes as JSON: at most ~252 KiB fit in an annotation`,
    );
  return { [TASKMANAGER_TEMPLATE_ANNOTATION]: json };
}
