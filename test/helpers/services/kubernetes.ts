/**
 * A real Kubernetes control plane for the tests: etcd, kube-apiserver and (optionally)
 * kube-controller-manager, built by test/services/kubernetes.sh, on free loopback ports. The API
 * server serves HTTPS with a self-signed certificate it generates, authenticates with the static
 * token file the script wrote (an admin token in system:masters) and service-account tokens, and
 * authorizes with RBAC and the Node authorizer. A kubeconfig for the tests and kubectl is written
 * into the server's directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../ports.js';
import { startEtcd, type EtcdServer } from './etcd.js';
import { ensureInstalled, SERVICES_CACHE, startServer, type ServerProcess } from './server-process.js';

const run = promisify(execFile);
export const KUBERNETES_VERSION = process.env.KUBERNETES_VERSION ?? 'v1.37.2';
const HOME = join(SERVICES_CACHE, `kubernetes-${KUBERNETES_VERSION}`);
export const KUBERNETES_BIN = join(HOME, 'bin');
const PKI = join(HOME, 'pki');
/** The service-cluster-ip-range of the test control plane. */
export const SERVICE_CIDR = '10.96.0.0/16';

export interface KubernetesControlPlane {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** A kubeconfig file with the admin token, for kubectl and the code under test. */
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  readonly apiServer: ServerProcess;
  readonly controllerManager: ServerProcess | undefined;
  readonly etcd: EtcdServer;
  /** Runs the kubectl built by the script against this control plane; resolves with its stdout. */
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface KubernetesOptions {
  /** Also run kube-controller-manager (Deployments, ReplicaSets, garbage collection, service accounts). */
  controllerManager?: boolean;
}

function adminToken(): string {
  const line = readFileSync(join(PKI, 'tokens.csv'), 'utf8').split('\n')[0]!;
  return line.split(',')[0]!;
}

/** GET on the API server with the admin token; resolves with the status code. */
function get(server: string, path: string, ca: Buffer, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${server}${path}`, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

export async function startKubernetes(opts: KubernetesOptions = {}): Promise<KubernetesControlPlane> {
  const commands = ['kube-apiserver', 'kubectl', ...(opts.controllerManager ? ['kube-controller-manager'] : [])];
  await ensureInstalled(
    'kubernetes',
    () => commands.every((c) => existsSync(join(KUBERNETES_BIN, c))) && existsSync(join(PKI, 'tokens.csv')),
  );
  const etcd = await startEtcd();
  const token = adminToken();
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  let kubeconfigPath = '';
  let apiServer: ServerProcess;
  try {
    apiServer = await startServer({
      name: 'kube-apiserver',
      command: join(KUBERNETES_BIN, 'kube-apiserver'),
      args: (dir) => [
        `--etcd-servers=${etcd.endpoint}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${join(dir, 'certs')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(PKI, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(PKI, 'sa.key')}`,
        `--token-auth-file=${join(PKI, 'tokens.csv')}`,
        '--authorization-mode=Node,RBAC',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        // The endpoints of the `kubernetes` Service may not be a loopback address.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
      ],
      readyMs: 120_000,
      ready: async (dir) => {
        const cert = join(dir, 'certs', 'apiserver.crt');
        return existsSync(cert) && (await get(server, '/readyz', readFileSync(cert), token)) === 200;
      },
    });
  } catch (e) {
    await etcd.stop();
    throw e;
  }
  // The self-signed serving certificate the API server generated (with its CA) is the kubeconfig's CA.
  const caFile = join(apiServer.dir, 'certs', 'apiserver.crt');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'weir-test', server, caFile }],
    users: [{ name: 'weir-admin', token }],
    contexts: [{ name: 'weir-test', cluster: 'weir-test', user: 'weir-admin', namespace: 'default' }],
    currentContext: 'weir-test',
  });
  kubeconfigPath = join(apiServer.dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeConfig.exportConfig(), { mode: 0o600 });

  let controllerManager: ServerProcess | undefined;
  const stopAll = async (): Promise<void> => {
    await controllerManager?.stop();
    await apiServer.stop();
    await etcd.stop();
  };
  const kubectl = async (...args: string[]): Promise<string> =>
    (await run(join(KUBERNETES_BIN, 'kubectl'), [`--kubeconfig=${kubeconfigPath}`, ...args], { timeout: 30_000 })).stdout;
  if (opts.controllerManager) {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    try {
      controllerManager = await startServer({
        name: 'kube-controller-manager',
        command: join(KUBERNETES_BIN, 'kube-controller-manager'),
        args: () => [
          `--kubeconfig=${kubeconfigPath}`,
          '--secure-port=0',
          '--leader-elect=false',
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${join(PKI, 'sa.key')}`,
          `--root-ca-file=${caFile}`,
        ],
        readyMs: 120_000,
        // Ready once its service-account controller has given the default namespace its account.
        ready: async () =>
          (await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })).metadata?.name === 'default',
      });
    } catch (e) {
      await stopAll();
      throw e;
    }
  }
  return { server, kubeconfigPath, kubeConfig, apiServer, controllerManager, etcd, kubectl, stop: stopAll };
}
