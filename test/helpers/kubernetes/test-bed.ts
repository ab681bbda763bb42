/**
 * What every Kubernetes test and benchmark sets up: the test control plane (API server, controller
 * manager, etcd), the pod runner on one node, and the service account `weir` the clusters run as,
 * bound to the Role docs/kubernetes.md documents for the mode under test.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodRunner } from './pod-runner.js';
import { startKubernetes, type KubernetesControlPlane } from '../services/kubernetes.js';

export interface RoleRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** A session cluster's JobManager: TaskManager pods, and its own Deployment (their owner). */
export const SESSION_RULES: readonly RoleRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
];

/** An Application cluster's JobManager also reads its bundle's ConfigMap and deletes its Deployment when done. */
export const APPLICATION_RULES: readonly RoleRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'delete'] },
];

/** With high availability on Kubernetes: the HA ConfigMaps and the leader Lease (TaskManagers read them too; an Application cluster deletes them at its end). */
export const HA_RULES: readonly RoleRule[] = [
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'delete', 'deletecollection'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'deletecollection'] },
];

/** The service account `weir` with a Role of these rules, bound in `namespace`, as YAML. */
export function weirServiceAccount(rules: readonly RoleRule[], namespace = 'default'): string {
  const list = (xs: string[]): string => `[${xs.map((x) => (x === '' ? '""' : x)).join(', ')}]`;
  return `
apiVersion: v1
kind: ServiceAccount
metadata: { name: weir }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: weir }
rules:
${rules.map((r) => `  - { apiGroups: ${list(r.apiGroups)}, resources: ${list(r.resources)}, verbs: ${list(r.verbs)} }`).join('\n')}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: weir }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: weir }
subjects: [{ kind: ServiceAccount, name: weir, namespace: ${namespace} }]
`;
}

export interface KubernetesTestBed {
  k8s: KubernetesControlPlane;
  runner: PodRunner;
  /** Where the pod runner keeps each pod's log. */
  runnerDir: string;
  /** The end of every container log the pod runner wrote, for failure messages. */
  podLogs(tail?: number): string;
  /** Stops the pod runner (killing its pods' processes) and the control plane; returns the pids it ran. */
  stop(): Promise<number[]>;
}

/** Starts the control plane and the pod runner, then applies `manifests` (YAML, e.g. weirServiceAccount()). */
export async function startTestBed(opts: { manifests: string; dir: string; nodeName?: string }): Promise<KubernetesTestBed> {
  const runnerDir = mkdtempSync(join(tmpdir(), 'weir-pod-runner-'));
  const k8s = await startKubernetes({ controllerManager: true });
  const runner = new PodRunner({ kubeConfig: k8s.kubeConfig, nodeName: opts.nodeName ?? 'weir-node-1', dir: runnerDir });
  const stop = async (): Promise<number[]> => {
    await runner.close();
    await k8s.stop();
    rmSync(runnerDir, { recursive: true, force: true });
    return runner.pids;
  };
  try {
    await runner.start();
    const file = join(opts.dir, 'manifests.yaml');
    writeFileSync(file, opts.manifests);
    await k8s.kubectl('apply', '-f', file);
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  const podLogs = (tail = 2000): string =>
    readdirSync(runnerDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.log'))
      .map((f) => `--- ${f}\n${readFileSync(join(runnerDir, f), 'utf8').slice(-tail)}`)
      .join('\n');
  return { k8s, runner, runnerDir, podLogs, stop };
}
