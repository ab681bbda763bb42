/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection (which Flink's
 * KubernetesLeaderElector uses): every retry period a contender reads the Lease; it takes it when
 * the Lease has no holder or was not renewed for a lease duration (measured on the contender's own
 * clock from when it last saw the Lease change, so clocks of different machines need not agree),
 * and the holder renews it. Every change is a compare-and-swap on resourceVersion. A holder that
 * could not renew within the renew deadline, or finds another holder, loses leadership. The grant
 * writes the leader's information and session id as annotations of the Lease in the same update.
 */
import { randomUUID } from 'node:crypto';
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { LeaderSession, LeadershipEvents } from './coordination.js';
import { LEADER_ANNOTATION, LEADER_INFO_ANNOTATION, statusOf } from './kubernetes-objects.js';

export interface LeaseTiming {
  /** high-availability.kubernetes.leader-election.lease-duration (ms). */
  leaseDuration: number;
  /** ...renew-deadline (ms): a holder that could not renew for this long gives leadership up. */
  renewDeadline: number;
  /** ...retry-period (ms): how often contenders try and the holder renews. */
  retryPeriod: number;
}

export class LeaseSession implements LeaderSession {
  valid = true;
  constructor(
    readonly sessionId: string,
    readonly holder: string,
    readonly lease: string,
  ) {}
}

export interface LeaseElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  timing: LeaseTiming;
  now: () => number;
  info: (sessionId: string) => Buffer;
  events: LeadershipEvents;
  /** Runs after the Lease was taken and before `granted` (the coordination claims its ConfigMaps). */
  beforeGrant: (session: LeaseSession) => Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export class LeaseElection {
  /** This contender's holderIdentity. */
  readonly identity = `weir-${randomUUID()}`;
  private session: LeaseSession | undefined;
  private lease: V1Lease | undefined;
  private observed: { rv: string; at: number } | undefined;
  private lastRenew = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly stop = new AbortController();
  private loopDone: Promise<void> | undefined;

  constructor(private readonly o: LeaseElectionOptions) {}

  start(): void {
    this.loopDone = this.loop();
  }

  private async loop(): Promise<void> {
    const { retryPeriod } = this.o.timing;
    while (!this.stop.signal.aborted) {
      try {
        if (this.session) await this.renew();
        else await this.tryAcquire();
      } catch {
        // The API server did not answer: the renew deadline decides whether leadership is lost.
      }
      if (this.session && this.o.now() - this.lastRenew > this.o.timing.renewDeadline)
        this.revoke('the Lease was not renewed within the renew deadline');
      await sleep(retryPeriod, this.stop.signal);
    }
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.o.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  private spec(now: number, acquired: number, transitions: number): V1Lease['spec'] {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.o.timing.leaseDuration / 1000)),
      acquireTime: new V1MicroTime(acquired),
      renewTime: new V1MicroTime(now),
      leaseTransitions: transitions,
    };
  }

  private async tryAcquire(): Promise<void> {
    const now = this.o.now();
    const cur = await this.read();
    const sessionId = randomUUID();
    const annotations = { [LEADER_ANNOTATION]: sessionId, [LEADER_INFO_ANNOTATION]: this.o.info(sessionId).toString('utf8') };
    let written: V1Lease;
    if (!cur) {
      try {
        written = await this.o.api.createNamespacedLease({
          namespace: this.o.namespace,
          body: { metadata: { name: this.o.name, labels: this.o.labels, annotations }, spec: this.spec(now, now, 0) },
        });
      } catch (e) {
        if (statusOf(e) === 409) return;
        throw e;
      }
    } else {
      const rv = cur.metadata!.resourceVersion!;
      if (this.observed?.rv !== rv) this.observed = { rv, at: now };
      const holder = cur.spec?.holderIdentity;
      const expired = !holder || this.observed.at + (cur.spec?.leaseDurationSeconds ?? 0) * 1000 <= now;
      if (!expired && holder !== this.identity) return;
      const transitions = (cur.spec?.leaseTransitions ?? 0) + (holder && holder !== this.identity ? 1 : 0);
      try {
        written = await this.o.api.replaceNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
          body: {
            metadata: { ...cur.metadata, annotations: { ...(cur.metadata?.annotations ?? {}), ...annotations } },
            spec: this.spec(now, now, transitions),
          },
        });
      } catch (e) {
        if (statusOf(e) === 409) return;
        throw e;
      }
    }
    const session = new LeaseSession(sessionId, this.identity, this.o.name);
    this.lease = written;
    this.session = session;
    this.renewed(now);
    // Granted once the ConfigMaps are claimed; meanwhile the loop goes on renewing the Lease.
    void this.o.beforeGrant(session).then(
      () => {
        if (session.valid && !this.stop.signal.aborted) this.o.events.granted(session);
      },
      (e: Error) => {
        if (this.session === session) this.revoke(`claiming the HA ConfigMaps failed: ${e.message}`);
      },
    );
  }

  private renewed(at: number): void {
    this.lastRenew = at;
    clearTimeout(this.deadlineTimer);
    // Also when the API server hangs: leadership ends at the renew deadline, not when a request returns.
    this.deadlineTimer = setTimeout(() => {
      if (this.session && this.o.now() - this.lastRenew >= this.o.timing.renewDeadline)
        this.revoke('the Lease was not renewed within the renew deadline');
    }, this.o.timing.renewDeadline + 10);
    this.deadlineTimer.unref();
  }

  private async renew(): Promise<void> {
    const now = this.o.now();
    let cur = this.lease;
    for (let attempt = 0; attempt < 2 && this.session; attempt++) {
      if (!cur || cur.spec?.holderIdentity !== this.identity || cur.metadata?.annotations?.[LEADER_ANNOTATION] !== this.session.sessionId) {
        this.revoke(`the Lease ${this.o.name} is held by ${cur?.spec?.holderIdentity ?? 'nobody'} now`);
        return;
      }
      try {
        this.lease = await this.o.api.replaceNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
          body: { metadata: cur.metadata, spec: { ...cur.spec, renewTime: new V1MicroTime(now) } },
        });
        this.renewed(now);
        return;
      } catch (e) {
        if (statusOf(e) !== 409) throw e;
        // Changed under us: read it again, and lose leadership if someone else holds it now.
        cur = await this.read();
        this.lease = cur;
      }
    }
  }

  private revoke(reason: string): void {
    const s = this.session;
    if (!s) return;
    s.valid = false;
    this.session = undefined;
    this.lease = undefined;
    clearTimeout(this.deadlineTimer);
    this.o.events.revoked(reason);
  }

  /** Leaves the election; a holder releases the Lease (no holder) so that a standby takes over at once. */
  async resign(): Promise<void> {
    this.stop.abort();
    // A request of the loop may hang (the API server unreachable): wait for it at most a retry period.
    await Promise.race([this.loopDone, new Promise((r) => setTimeout(r, this.o.timing.retryPeriod).unref())]);
    const s = this.session;
    if (!s) return;
    this.revoke('resigned');
    const cur = await this.read().catch(() => undefined);
    if (cur?.spec?.holderIdentity !== this.identity) return;
    const annotations = { ...(cur.metadata?.annotations ?? {}) };
    delete annotations[LEADER_ANNOTATION];
    delete annotations[LEADER_INFO_ANNOTATION];
    await this.o.api
      .replaceNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
        body: { metadata: { ...cur.metadata, annotations }, spec: { ...cur.spec, holderIdentity: undefined, leaseDurationSeconds: 1 } },
      })
      .catch(() => undefined);
  }
}
