// Leader election on a coordination.k8s.io/v1 Lease (in kube-system by default), as client-go's
// leaderelection: the holder renews the lease; others take it over once it has not changed for
// leaseDuration as measured on their own clock. Every write is compare-and-swap on the lease's
// resourceVersion, so two candidates can never both succeed.
import type { Logger } from '../log.js';
import { isStatusError } from '../objects/status.js';
import type { KubeObject, ResourceKey } from '../objects/types.js';
import type { ObjectStore } from '../store/types.js';

export const LEASES: ResourceKey = { group: 'coordination.k8s.io', resource: 'leases', namespaced: true };
const NAMESPACES: ResourceKey = { group: '', resource: 'namespaces', namespaced: false };

export interface LeaderElectionConfig {
  leaseName: string;
  namespace?: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading(): void | Promise<void>;
  onStoppedLeading(): void | Promise<void>;
  logger?: Logger;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/** MicroTime as Kubernetes writes it: RFC 3339 with microseconds. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private leading = false;
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private observed?: { resourceVersion: string; at: number };
  private lastRenew = 0;
  private running?: Promise<void>;

  constructor(private readonly store: ObjectStore, private readonly config: LeaderElectionConfig) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops campaigning; with release, a held lease is given up so a standby takes over at once. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (this.leading) {
      this.leading = false;
      if (release) await this.release().catch(() => undefined);
      await this.config.onStoppedLeading();
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule(this.config.retryPeriodMs));
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (e) {
      // Losing a race for the lease is normal; anything else is worth a warning.
      const raced = isStatusError(e, 'Conflict') || isStatusError(e, 'AlreadyExists');
      this.config.logger?.[raced ? 'debug' : 'warn']('leader election: lease update failed', { lease: this.config.leaseName, error: e as Error });
    }
    if (this.stopped) return;
    const now = Date.now();
    if (ok) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.config.logger?.info('leader election: became leader', { lease: this.config.leaseName, identity: this.config.identity });
        try {
          await this.config.onStartedLeading();
        } catch (e) {
          // Could not start acting (e.g. the first list failed): give the lease up and try again.
          this.config.logger?.error('leader election: starting to lead failed', { lease: this.config.leaseName, error: e as Error });
          this.leading = false;
          await this.config.onStoppedLeading();
          await this.release().catch(() => undefined);
        }
      }
    } else if (this.leading && now - this.lastRenew > this.config.renewDeadlineMs) {
      this.leading = false;
      this.config.logger?.warn('leader election: lost the lease', { lease: this.config.leaseName });
      await this.config.onStoppedLeading();
    }
  }

  private namespace(): string {
    return this.config.namespace ?? 'kube-system';
  }

  private desiredSpec(old: LeaseSpec | undefined, now: string): LeaseSpec {
    const takeover = old?.holderIdentity !== this.config.identity;
    return {
      holderIdentity: this.config.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.config.leaseDurationMs / 1000)),
      acquireTime: takeover ? now : (old?.acquireTime ?? now),
      renewTime: now,
      leaseTransitions: (old?.leaseTransitions ?? 0) + (takeover && old?.holderIdentity ? 1 : 0),
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const ns = this.namespace();
    const now = microTime();
    let lease: Lease;
    try {
      lease = await this.store.get<Lease>(LEASES, ns, this.config.leaseName);
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
      await this.ensureNamespace(ns);
      const created = await this.store.create<Lease>(LEASES, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.config.leaseName, namespace: ns },
        spec: this.desiredSpec(undefined, now),
      });
      this.observed = { resourceVersion: created.metadata.resourceVersion ?? '', at: Date.now() };
      return true;
    }
    if (this.observed?.resourceVersion !== lease.metadata.resourceVersion) {
      this.observed = { resourceVersion: lease.metadata.resourceVersion ?? '', at: Date.now() };
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000 || this.config.leaseDurationMs;
    if (holder && holder !== this.config.identity && Date.now() < (this.observed?.at ?? Date.now()) + durationMs) return false;
    const next: Lease = { ...lease, metadata: { ...lease.metadata }, spec: this.desiredSpec(spec, now) };
    const updated = await this.store.update<Lease>(LEASES, next);
    this.observed = { resourceVersion: updated.metadata.resourceVersion ?? '', at: Date.now() };
    return true;
  }

  private async release(): Promise<void> {
    await this.store.guaranteedUpdate<Lease>(LEASES, this.namespace(), this.config.leaseName, (lease) => {
      if (lease.spec?.holderIdentity !== this.config.identity) return undefined;
      return { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime() } };
    });
  }

  private async ensureNamespace(ns: string): Promise<void> {
    try {
      await this.store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    } catch (e) {
      if (!isStatusError(e, 'AlreadyExists')) throw e;
    }
  }
}
