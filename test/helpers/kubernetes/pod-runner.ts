/**
 * The pod runner: a test tool standing in for the kubelet and the scheduler on a control plane that
 * has neither (see docs/kubernetes.md). It registers a Node, binds every unscheduled pod to it
 * through the `binding` subresource (there is no kube-scheduler), runs the containers of the pods
 * bound to it as local processes (pod-process.ts), reports their phase, IP (127.0.0.1) and
 * conditions through the `status` subresource, restarts containers as `restartPolicy` says, and
 * stops a pod's processes when the pod is deleted, gracefully as the kubelet does. Everything goes
 * through the real API server with the runner's own credentials.
 *
 * It is not a kubelet: images, volumes (other than the service-account token, handed over as a
 * kubeconfig in KUBECONFIG), init containers, probes, resource limits, networking and node
 * affinity are ignored; every pod shares the host's network on 127.0.0.1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, Watch, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';
import { containerEnv, POD_IP } from './pod-env.js';
import { ContainerProcess, localCommand } from './pod-process.js';
import { watchLoop } from './watch-loop.js';

const HEARTBEAT_MS = 10_000;
const MAX_RESTART_DELAY_MS = 10_000;
const MAX_GRACE_MS = 30_000;

interface RunningPod {
  pod: V1Pod;
  dir: string;
  containers: Map<string, ContainerProcess>;
  restarts: Map<string, number>;
  exits: Map<string, { code: number; at: Date; startedAt: Date }>;
  stopping: boolean;
  stopped: Promise<void> | undefined;
}

export interface PodRunnerOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  /** Where each pod gets a directory (working directory and container logs). */
  dir: string;
}

const key = (pod: V1Pod): string => pod.metadata!.uid!;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class PodRunner {
  private readonly core: CoreV1Api;
  private readonly pods = new Map<string, RunningPod>();
  /** Every pod this runner started, as namespace/name, in start order (for the tests' assertions). */
  readonly started: string[] = [];
  /** The pid of every container process it started. */
  readonly pids: number[] = [];
  private readonly aborts: AbortController[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: PodRunnerOptions) {
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
  }

  get nodeName(): string {
    return this.opts.nodeName;
  }

  /** The log file of a pod's container (for failure messages). */
  logFile(pod: V1Pod, container: string): string {
    return join(this.opts.dir, `${pod.metadata!.namespace}_${pod.metadata!.name}_${pod.metadata!.uid}`, `${container}.log`);
  }

  /** The pid of a running container of a pod, if any. */
  pid(namespace: string, name: string, container?: string): number | undefined {
    for (const p of this.pods.values()) {
      if (p.pod.metadata!.namespace !== namespace || p.pod.metadata!.name !== name) continue;
      const c = container ? p.containers.get(container) : [...p.containers.values()][0];
      if (c?.running) return c.child.pid;
    }
    return undefined;
  }

  async start(): Promise<void> {
    await this.registerNode();
    const watch = new Watch(this.opts.kubeConfig);
    // Pods nobody scheduled: bind them here.
    this.aborts.push(
      watchLoop(watch, this.core, 'spec.nodeName=', (type, pod) => {
        if (type !== 'DELETED' && !pod.metadata?.deletionTimestamp) void this.bind(pod);
      }),
    );
    this.aborts.push(
      watchLoop(
        watch,
        this.core,
        `spec.nodeName=${this.opts.nodeName}`,
        (type, pod) => this.onPod(type, pod),
        (present) => {
          for (const p of this.pods.values()) if (!present.has(key(p.pod))) void this.stopPod(p, 0);
        },
      ),
    );
  }

  /** Stops the watches and every pod's processes (SIGKILL after a short grace). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const a of this.aborts) a.abort();
    await Promise.all([...this.pods.values()].map((p) => this.stopPod(p, 2000)));
  }

  private async registerNode(): Promise<void> {
    const name = this.opts.nodeName;
    const now = new Date();
    const resources = { cpu: '16', memory: '64Gi', pods: '110' };
    await this.core.createNode({
      body: {
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
        status: {
          capacity: resources,
          allocatable: resources,
          addresses: [
            { type: 'InternalIP', address: POD_IP },
            { type: 'Hostname', address: name },
          ],
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'PodRunnerReady',
              message: 'weir test pod runner',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          nodeInfo: {
            architecture: 'amd64',
            operatingSystem: 'linux',
            osImage: 'weir pod runner',
            kernelVersion: '',
            kubeletVersion: 'weir-pod-runner',
            kubeProxyVersion: '',
            containerRuntimeVersion: 'process://local',
            bootID: '',
            machineID: '',
            systemUUID: '',
          },
        },
      },
    });
    // The heartbeat the node lifecycle controller reads: the Ready condition's lastHeartbeatTime.
    this.heartbeat = setInterval(() => {
      const at = new Date();
      const ready = {
        type: 'Ready',
        status: 'True',
        reason: 'PodRunnerReady',
        message: 'weir test pod runner',
        lastHeartbeatTime: at,
        lastTransitionTime: now,
      };
      void this.core.patchNodeStatus({ name, body: { status: { conditions: [ready] } } }, mergePatch).catch(() => undefined);
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private async bind(pod: V1Pod): Promise<void> {
    await this.core
      .createNamespacedBinding({
        namespace: pod.metadata!.namespace!,
        body: {
          metadata: { name: pod.metadata!.name!, uid: pod.metadata!.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: this.opts.nodeName },
        },
      })
      .catch(() => undefined); // Bound meanwhile, or gone: the watch brings the next state.
  }

  private onPod(type: string, pod: V1Pod): void {
    const running = this.pods.get(key(pod));
    if (type === 'DELETED') {
      if (running) void this.stopPod(running, this.graceMs(pod));
      return;
    }
    if (running) {
      running.pod = pod;
      if (pod.metadata?.deletionTimestamp) void this.stopPod(running, (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000, true);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    if (pod.metadata?.deletionTimestamp) {
      // Never started here (a runner restart, or deleted before it ran): finish the deletion.
      void this.finishDeletion(pod);
      return;
    }
    void this.startPod(pod);
  }

  private graceMs(pod: V1Pod): number {
    return Math.min(MAX_GRACE_MS, (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
  }

  private async startPod(pod: V1Pod): Promise<void> {
    const dir = join(this.opts.dir, `${pod.metadata!.namespace}_${pod.metadata!.name}_${pod.metadata!.uid}`);
    const running: RunningPod = {
      pod,
      dir,
      containers: new Map(),
      restarts: new Map(),
      exits: new Map(),
      stopping: false,
      stopped: undefined,
    };
    this.pods.set(key(pod), running);
    this.started.push(`${pod.metadata!.namespace}/${pod.metadata!.name}`);
    mkdirSync(dir, { recursive: true });
    try {
      const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
      if (pod.spec?.automountServiceAccountToken !== false) base.KUBECONFIG = await this.serviceAccountKubeconfig(pod, dir);
      for (const c of pod.spec?.containers ?? []) {
        const env = await containerEnv(this.core, pod, c, base);
        this.runContainer(running, c.name, env);
      }
    } catch (e) {
      await this.report(running, 'Failed', (e as Error).message);
      return;
    }
    await this.report(running, 'Running');
  }

  /** The pod's service-account token (bound to the pod) as a kubeconfig, for in-pod API clients. */
  private async serviceAccountKubeconfig(pod: V1Pod, dir: string): Promise<string> {
    const namespace = pod.metadata!.namespace!;
    const sa = pod.spec?.serviceAccountName ?? 'default';
    const req = await this.core.createNamespacedServiceAccountToken({
      name: sa,
      namespace,
      body: {
        spec: {
          audiences: [],
          expirationSeconds: 3600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid },
        },
      },
    });
    const cluster = this.opts.kubeConfig.getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...cluster, name: 'in-cluster' }],
      users: [{ name: sa, token: req.status!.token }],
      contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: sa, namespace }],
      currentContext: 'in-cluster',
    });
    const file = join(dir, 'serviceaccount.kubeconfig');
    writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
    return file;
  }

  private runContainer(running: RunningPod, name: string, env: Record<string, string>): void {
    const spec = running.pod.spec!.containers.find((c) => c.name === name)!;
    const { file, args } = localCommand(spec, env);
    const proc = new ContainerProcess(name, file, args, env, running.dir);
    running.containers.set(name, proc);
    if (proc.child.pid !== undefined) this.pids.push(proc.child.pid);
    void proc.exited.then(async ({ code, signal }) => {
      const exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143);
      running.exits.set(name, { code: exitCode, at: new Date(), startedAt: proc.startedAt });
      if (running.stopping || this.closed) return;
      const policy = running.pod.spec?.restartPolicy ?? 'Always';
      if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
        const restarts = (running.restarts.get(name) ?? 0) + 1;
        running.restarts.set(name, restarts);
        await this.report(running, 'Running');
        const delay = Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** Math.min(restarts, 5));
        setTimeout(() => {
          if (!running.stopping && !this.closed) {
            this.runContainer(running, name, env);
            void this.report(running, 'Running');
          }
        }, delay).unref();
        return;
      }
      if ([...running.containers.values()].every((c) => !c.running)) {
        const failed = [...running.exits.values()].some((x) => x.code !== 0);
        await this.report(running, failed ? 'Failed' : 'Succeeded');
      } else {
        await this.report(running, 'Running');
      }
    });
  }

  private async stopPod(running: RunningPod, graceMs: number, thenDelete = false): Promise<void> {
    running.stopping = true;
    running.stopped ??= (async () => {
      await Promise.all([...running.containers.values()].map((c) => c.stop(graceMs)));
      this.pods.delete(key(running.pod));
      if (thenDelete) await this.finishDeletion(running.pod);
    })();
    return running.stopped;
  }

  /** The kubelet's last word on a gracefully deleted pod: delete it for good (grace 0, same uid). */
  private async finishDeletion(pod: V1Pod): Promise<void> {
    await this.core
      .deleteNamespacedPod({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid } },
      })
      .catch(() => undefined); // Gone already.
  }

  private async report(running: RunningPod, phase: 'Running' | 'Succeeded' | 'Failed', message?: string): Promise<void> {
    if (this.closed) return;
    const now = new Date();
    const containerStatuses = (running.pod.spec?.containers ?? []).map((c) => {
      const proc = running.containers.get(c.name);
      const exit = running.exits.get(c.name);
      const live = proc?.running === true;
      const state = live
        ? { running: { startedAt: proc.startedAt } }
        : exit
          ? {
              terminated: {
                exitCode: exit.code,
                reason: exit.code === 0 ? 'Completed' : 'Error',
                startedAt: exit.startedAt,
                finishedAt: exit.at,
              },
            }
          : { waiting: { reason: message ? 'CreateContainerConfigError' : 'ContainerCreating', message } };
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: live,
        started: live,
        restartCount: running.restarts.get(c.name) ?? 0,
        state,
      };
    });
    const ready = phase === 'Running' && containerStatuses.every((c) => c.ready);
    const cond = (type: string, ok: boolean): V1PodCondition => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: now });
    const status = {
      phase,
      message,
      hostIP: POD_IP,
      hostIPs: [{ ip: POD_IP }],
      podIP: POD_IP,
      podIPs: [{ ip: POD_IP }],
      startTime: running.pod.status?.startTime ?? now,
      conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', ready), cond('Ready', ready)],
      containerStatuses,
    };
    await this.core
      .patchNamespacedPodStatus(
        { name: running.pod.metadata!.name!, namespace: running.pod.metadata!.namespace!, body: { status } },
        mergePatch,
      )
      .catch(() => undefined); // Deleted meanwhile.
  }
}
