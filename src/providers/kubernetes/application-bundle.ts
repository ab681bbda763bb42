/**
 * How an application's bundle reaches the JobManager pod of a Kubernetes Application cluster: the
 * client stores it, with main()'s arguments, in a ConfigMap `<cluster-id>-application` owned by the
 * JobManager Deployment (gone with the cluster); the JobManager reads it through the API server at
 * start (`weir jobmanager --provider kubernetes --application configmap:<name>`), checks it against
 * its SHA-256 and writes it to a local file. A ConfigMap holds at most 1 MiB: a larger bundle is
 * refused by the client before anything is created.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1ConfigMap, V1OwnerReference } from '@kubernetes/client-node';
import { WeirError } from '../../errors.js';
import type { Bundle } from '../../client/bundler.js';
import { callOrMissing, type KubeApi } from './kube-api.js';
import { labels } from './specs.js';

/** Kubernetes' limit on the data of a ConfigMap (keys' values, text and binary together). */
export const CONFIGMAP_LIMIT = 1024 * 1024;
const BUNDLE_KEY = 'bundle.mjs';
const ARGS_KEY = 'args.json';
const PROGRAM_KEY = 'program';
export const CONFIGMAP_PREFIX = 'configmap:';

export function applicationConfigMapName(clusterId: string): string {
  return `${clusterId}-application`;
}

export interface ApplicationPayload {
  bundle: Buffer;
  args: string[];
  /** The program's file name, for the application's status. */
  program: string;
}

/** Reads the bundle and checks that it fits a ConfigMap (before any object of the cluster is made). */
export function applicationPayload(bundle: Bundle, args: string[], program: string): ApplicationPayload {
  const bytes = readFileSync(bundle.path);
  const size = bytes.length + Buffer.byteLength(JSON.stringify(args)) + Buffer.byteLength(program);
  if (size > CONFIGMAP_LIMIT)
    throw new WeirError(
      'WEIR_KUBERNETES',
      `the bundle of ${program} is ${bytes.length} bytes: with its arguments it does not fit the ConfigMap it reaches the JobManager in (at most ${CONFIGMAP_LIMIT} bytes, 1 MiB); make the program smaller (large data belongs in files the job reads, not in the program)`,
    );
  return { bundle: bytes, args, program };
}

export function applicationConfigMap(clusterId: string, namespace: string, p: ApplicationPayload, owner: V1OwnerReference): V1ConfigMap {
  return {
    metadata: { name: applicationConfigMapName(clusterId), namespace, labels: labels(clusterId), ownerReferences: [owner] },
    data: { [ARGS_KEY]: JSON.stringify(p.args), [PROGRAM_KEY]: p.program },
    binaryData: { [BUNDLE_KEY]: p.bundle.toString('base64') },
  };
}

/**
 * The JobManager's side: reads the ConfigMap (waiting a bounded time: the client creates it just
 * after the Deployment), writes the bundle to `<dir>/<sha256>.mjs` and returns its path and arguments.
 */
export async function fetchApplication(
  api: KubeApi,
  name: string,
  dir: string,
  timeoutMs = 60_000,
): Promise<{ bundlePath: string; args: string[]; program: string }> {
  const deadline = Date.now() + timeoutMs;
  let cm: V1ConfigMap | undefined;
  for (;;) {
    cm = await callOrMissing(`reading the ConfigMap ${api.namespace}/${name}`, () =>
      api.core.readNamespacedConfigMap({ name, namespace: api.namespace }),
    );
    if (cm || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!cm) throw new WeirError('WEIR_KUBERNETES', `the application's ConfigMap ${api.namespace}/${name} does not exist`);
  const encoded = cm.binaryData?.[BUNDLE_KEY];
  if (encoded === undefined) throw new WeirError('WEIR_KUBERNETES', `the ConfigMap ${api.namespace}/${name} holds no ${BUNDLE_KEY}`);
  const bytes = Buffer.from(encoded, 'base64');
  const id = createHash('sha256').update(bytes).digest('hex');
  mkdirSync(dir, { recursive: true });
  const bundlePath = join(dir, `${id}.mjs`);
  writeFileSync(bundlePath, bytes);
  const args = JSON.parse(cm.data?.[ARGS_KEY] ?? '[]') as unknown;
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
    throw new WeirError('WEIR_KUBERNETES', `the ConfigMap ${api.namespace}/${name} has ${ARGS_KEY} that is not a list of strings`);
  return { bundlePath, args, program: cm.data?.[PROGRAM_KEY] ?? bundlePath };
}
