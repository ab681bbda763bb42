/**
 * Coordination on the Kubernetes API (high-availability.type kubernetes), as Flink's
 * KubernetesHaServices: the stores' keys live in ConfigMaps, one per directory of the HA layout
 * (`<cluster-id>-ha-execution-plans` holds a key per job, `<cluster-id>-ha-checkpoints-<job>` a key
 * per retained checkpoint, ...), labelled with the cluster id; the data itself stays in
 * high-availability.storageDir. Children of a path are the keys of its ConfigMap plus the
 * ConfigMaps of its subdirectories (found by label selector and path annotation). A key's version
 * is drawn from a per-ConfigMap write counter kept in an annotation, and every write is a
 * compare-and-swap on the ConfigMap's resourceVersion (a 409 Conflict is read again and the key's
 * own condition re-checked). Leader election is on a Lease (kubernetes-lease.ts); leader
 * retrieval watches it.
 *
 * Fencing: every HA ConfigMap carries the session id of the leader that last wrote it, and a
 * fenced write is one update that requires that annotation to be the writer's own session (the
 * compare-and-swap on resourceVersion makes the check and the write one step). A new leader, before
 * it is granted leadership, stamps its session on every HA ConfigMap of the cluster, so a deposed
 * leader's later writes to them fail. Where the annotation names another session (a ConfigMap not
 * yet written by this leader, or one being created), the Lease is read first: the window this
 * leaves — the Lease read, then a new leader takes over and stamps, then the write — exists only for
 * ConfigMaps created after the takeover, and only for a leader paused for longer than
 * lease-duration minus renew-deadline between two statements (etcd's transaction has no such window).
 */
import { CoordinationV1Api, CoreV1Api, Watch, type KubeConfig, type V1ConfigMap, type V1Lease } from '@kubernetes/client-node';
import type { Campaign, Coordination, LeaderSession, LeadershipEvents, Versioned, WriteOptions } from './coordination.js';
import { LeaseElection, LeaseSession, type LeaseTiming } from './kubernetes-lease.js';
import {
  dataKey,
  haLabels,
  haSelector,
  keysOf,
  LEADER_ANNOTATION,
  LEADER_INFO_ANNOTATION,
  objectName,
  PATH_ANNOTATION,
  readValue,
  statusOf,
  versionsOf,
  VERSIONS_ANNOTATION,
  writeValue,
} from './kubernetes-objects.js';

export interface KubernetesCoordinationOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** kubernetes.cluster-id: the label and name prefix of the cluster's HA objects. */
  clusterId: string;
  /** The HA root of the cluster (paths below it are mapped to objects). */
  root: string;
  timing: LeaseTiming;
  /** The clock of leader election (tests move it forward). */
  now?: () => number;
}

const MAX_CAS_ATTEMPTS = 20;
const WATCH_RETRY_MS = 500;

const parentOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';
const lastOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

export class KubernetesCoordination implements Coordination {
  readonly description: string;
  private readonly core: CoreV1Api;
  private readonly leases: CoordinationV1Api;
  private readonly elections = new Set<LeaseElection>();
  private readonly watches = new Set<() => void>();
  private readonly now: () => number;

  constructor(private readonly o: KubernetesCoordinationOptions) {
    this.description = `Kubernetes ${o.kubeConfig.getCurrentCluster()?.server ?? ''} (namespace ${o.namespace})`;
    this.core = o.kubeConfig.makeApiClient(CoreV1Api);
    this.leases = o.kubeConfig.makeApiClient(CoordinationV1Api);
    this.now = o.now ?? Date.now;
  }

  private name(path: string): string {
    return objectName(this.o.clusterId, this.o.root, path);
  }

  private async readConfigMap(name: string): Promise<V1ConfigMap | undefined> {
    try {
      return await this.core.readNamespacedConfigMap({ name, namespace: this.o.namespace });
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  private async listConfigMaps(): Promise<V1ConfigMap[]> {
    return (await this.core.listNamespacedConfigMap({ namespace: this.o.namespace, labelSelector: haSelector(this.o.clusterId) })).items;
  }

  async get(path: string): Promise<Versioned | undefined> {
    const cm = await this.readConfigMap(this.name(parentOf(path)));
    const key = lastOf(path);
    const value = cm && readValue(cm, key);
    return value === undefined ? undefined : { value, version: versionsOf(cm).keys[key] ?? 0 };
  }

  async children(path: string): Promise<string[]> {
    const own = await this.readConfigMap(this.name(path));
    const names = new Set(own ? keysOf(own) : []);
    for (const cm of await this.listConfigMaps()) {
      const p = cm.metadata?.annotations?.[PATH_ANNOTATION];
      if (p && parentOf(p) === path) names.add(lastOf(p));
    }
    return [...names].sort();
  }

  /** Whether a ConfigMap may be written under `fence` (its annotation, else the Lease, names the session). */
  private async fenceHolds(cm: V1ConfigMap | undefined, fence: LeaderSession | undefined): Promise<boolean> {
    if (!fence) return true;
    if (!fence.valid) return false;
    if (cm?.metadata?.annotations?.[LEADER_ANNOTATION] === fence.sessionId) return true;
    return this.holds(fence);
  }

  /** Changes one key of the ConfigMap of `dir` by compare-and-swap, re-reading on conflicts. */
  private async update(dir: string, key: string, value: Buffer | undefined, opts: WriteOptions): Promise<boolean> {
    const name = this.name(dir);
    if (opts.fence && !opts.fence.valid) return false;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const cm = await this.readConfigMap(name);
      const versions = versionsOf(cm);
      const present = cm !== undefined && readValue(cm, key) !== undefined;
      if (opts.expect === null && present) return false;
      if (typeof opts.expect === 'number' && (!present || versions.keys[key] !== opts.expect)) return false;
      if (!(await this.fenceHolds(cm, opts.fence))) return false;
      if (value === undefined && !present) return true;
      const next: V1ConfigMap = structuredClone(
        cm ?? { metadata: { name, namespace: this.o.namespace, labels: haLabels(this.o.clusterId) } },
      );
      writeValue(next, key, value);
      versions.counter += 1;
      if (value === undefined) delete versions.keys[key];
      else versions.keys[key] = versions.counter;
      next.metadata!.annotations = {
        ...(next.metadata!.annotations ?? {}),
        [PATH_ANNOTATION]: dir,
        [VERSIONS_ANNOTATION]: JSON.stringify(versions),
        ...(opts.fence ? { [LEADER_ANNOTATION]: opts.fence.sessionId } : {}),
      };
      try {
        if (cm) await this.core.replaceNamespacedConfigMap({ name, namespace: this.o.namespace, body: next });
        else await this.core.createNamespacedConfigMap({ namespace: this.o.namespace, body: next });
        return true;
      } catch (e) {
        if (statusOf(e) !== 409) throw e;
      }
    }
    return false;
  }

  put(path: string, value: Buffer, opts: WriteOptions = {}): Promise<boolean> {
    return this.update(parentOf(path), dataKey(lastOf(path)), value, opts);
  }

  async remove(path: string, opts: WriteOptions = {}): Promise<boolean> {
    if (opts.fence && !opts.fence.valid) return false;
    // The ConfigMaps of the path as a directory and of its subdirectories, each deleted only at the
    // resourceVersion whose fence annotation was checked (a conflict: listed and checked again).
    for (let attempt = 0; ; attempt++) {
      const below = (await this.listConfigMaps()).filter((cm) => {
        const p = cm.metadata?.annotations?.[PATH_ANNOTATION];
        return p === path || p?.startsWith(`${path}/`);
      });
      let conflict = false;
      for (const cm of below) {
        if (!(await this.fenceHolds(cm, opts.fence))) return false;
        try {
          await this.core.deleteNamespacedConfigMap({
            name: cm.metadata!.name!,
            namespace: this.o.namespace,
            body: { preconditions: { resourceVersion: cm.metadata!.resourceVersion! } },
          });
        } catch (e) {
          if (statusOf(e) === 409) conflict = true;
          else if (statusOf(e) !== 404) throw e;
        }
      }
      if (!conflict) break;
      if (attempt + 1 >= MAX_CAS_ATTEMPTS) return false;
    }
    return path === this.o.root ? true : this.update(parentOf(path), dataKey(lastOf(path)), undefined, opts);
  }

  /** Stamps this session on every HA ConfigMap of the cluster, so that the deposed leader's writes fail. */
  private async claim(session: LeaseSession): Promise<void> {
    for (const cm of await this.listConfigMaps()) {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS && session.valid; attempt++) {
        const cur = attempt === 0 ? cm : await this.readConfigMap(cm.metadata!.name!);
        if (!cur) break;
        cur.metadata!.annotations = { ...(cur.metadata!.annotations ?? {}), [LEADER_ANNOTATION]: session.sessionId };
        try {
          await this.core.replaceNamespacedConfigMap({ name: cur.metadata!.name!, namespace: this.o.namespace, body: cur });
          break;
        } catch (e) {
          if (statusOf(e) !== 409 && statusOf(e) !== 404) throw e;
          if (statusOf(e) === 404) break;
        }
      }
    }
  }

  async campaign(name: string, info: (sessionId: string) => Buffer, events: LeadershipEvents): Promise<Campaign> {
    const election = new LeaseElection({
      api: this.leases,
      namespace: this.o.namespace,
      name: this.name(name),
      labels: haLabels(this.o.clusterId),
      timing: this.o.timing,
      now: this.now,
      info,
      events,
      beforeGrant: (s) => this.claim(s),
    });
    this.elections.add(election);
    election.start();
    return {
      resign: async () => {
        this.elections.delete(election);
        await election.resign();
      },
    };
  }

  async watchLeader(name: string, onChange: (info: Buffer | undefined) => void): Promise<() => void> {
    const leaseName = this.name(name);
    const base = `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`;
    const watch = new Watch(this.o.kubeConfig);
    let last: string | undefined | null = null;
    const report = (lease: V1Lease | undefined): void => {
      const a = lease?.metadata?.annotations;
      const info = lease?.spec?.holderIdentity && a?.[LEADER_ANNOTATION] ? a[LEADER_INFO_ANNOTATION] : undefined;
      // Renewals change the Lease every retry period: report only a different leader.
      if (info === last) return;
      last = info;
      onChange(info === undefined ? undefined : Buffer.from(info, 'utf8'));
    };
    let stopped = false;
    let current: AbortController | undefined;
    const cycle = async (): Promise<void> => {
      if (stopped) return;
      try {
        const list = await this.leases.listNamespacedLease({ namespace: this.o.namespace, fieldSelector: `metadata.name=${leaseName}` });
        report(list.items[0]);
        let ended!: () => void;
        const done = new Promise<void>((r) => (ended = r));
        current = await watch.watch(
          base,
          { fieldSelector: `metadata.name=${leaseName}`, resourceVersion: list.metadata?.resourceVersion },
          (type: string, obj: V1Lease) => {
            if (type === 'ADDED' || type === 'MODIFIED') report(obj);
            else if (type === 'DELETED') report(undefined);
            else if (type === 'ERROR') current?.abort(); // 410 Gone: list again.
          },
          () => ended(),
        );
        if (stopped) current.abort();
        await done;
      } catch {
        // The API server is unreachable for now: list and watch again shortly.
      }
      if (!stopped) setTimeout(() => void cycle(), WATCH_RETRY_MS).unref();
    };
    // The first report is made before this resolves, as the other coordinations do.
    const first = await this.leases
      .listNamespacedLease({ namespace: this.o.namespace, fieldSelector: `metadata.name=${leaseName}` })
      .then((l) => l.items[0]);
    report(first);
    void cycle();
    const stop = (): void => {
      stopped = true;
      current?.abort();
      this.watches.delete(stop);
    };
    this.watches.add(stop);
    return stop;
  }

  async holds(fence: LeaderSession): Promise<boolean> {
    if (!fence.valid || !(fence instanceof LeaseSession)) return false;
    let lease: V1Lease | undefined;
    try {
      lease = await this.leases.readNamespacedLease({ name: fence.lease, namespace: this.o.namespace });
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    return lease?.spec?.holderIdentity === fence.holder && lease.metadata?.annotations?.[LEADER_ANNOTATION] === fence.sessionId;
  }

  /** Deletes every HA object of the cluster (its ConfigMaps and Lease): the cluster ended for good. */
  async deleteAll(): Promise<void> {
    const { namespace } = this.o;
    const labelSelector = haSelector(this.o.clusterId);
    await this.core.deleteCollectionNamespacedConfigMap({ namespace, labelSelector });
    await this.leases.deleteCollectionNamespacedLease({ namespace, labelSelector });
  }

  async close(): Promise<void> {
    for (const e of [...this.elections]) await e.resign().catch(() => undefined);
    this.elections.clear();
    for (const stop of [...this.watches]) stop();
  }
}
