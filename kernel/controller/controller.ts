// The Controller base: informers feed a work queue, workers call sync(key) for each key, and
// with leader election only the instance holding the Lease runs informers and workers.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { EventRecorder } from '../events/recorder.js';
import type { Logger } from '../log.js';
import type { KubeObject, ResourceKey } from '../objects/types.js';
import type { Plugin } from '../plugin/types.js';
import type { ObjectStore } from '../store/types.js';
import { Informer, objectKeyOf, type InformerOptions } from './informer.js';
import { LeaderElector } from './leader.js';
import { WorkQueue } from './workqueue.js';

export interface ControllerDeps {
  store: ObjectStore;
  logger: Logger;
  metrics: Registry;
}

export interface LeaderElectionOptions {
  enabled: boolean;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  /** Lease namespace (default kube-system). */
  namespace: string;
}

export interface ControllerOptions {
  workers: number;
  leaderElection: LeaderElectionOptions;
  /** This instance's name in the Lease; default `<hostname>_<random>`. */
  identity?: string;
}

export const defaultLeaderElection: LeaderElectionOptions = {
  enabled: true,
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
  namespace: 'kube-system',
};

/** What sync() may ask for after success: look at the key again later (e.g. minReadySeconds). */
export interface SyncResult {
  requeueAfterMs?: number;
}

export abstract class Controller implements Plugin {
  /** Retries of one key before it is dropped (until its next event). */
  protected maxRetries = 15;
  protected queue: WorkQueue;
  protected readonly store: ObjectStore;
  protected readonly logger: Logger;
  /** Events about the objects this controller acts on, from `<name>-controller` as upstream. */
  protected readonly events: EventRecorder;
  private readonly informers: Informer<any>[] = [];
  private readonly elector?: LeaderElector;
  private workers: Promise<void>[] = [];
  private acting = false;

  constructor(
    /** Also the queue's metric label and the Lease name (`kite-<name>`). */
    readonly name: string,
    protected readonly deps: ControllerDeps,
    protected readonly options: ControllerOptions,
  ) {
    this.store = deps.store;
    this.logger = deps.logger;
    this.events = new EventRecorder(deps.store, { component: `${name}-controller` }, deps.logger);
    this.queue = this.newQueue();
    const le = options.leaderElection;
    if (le.enabled) {
      this.elector = new LeaderElector(deps.store, {
        leaseName: `kite-${name}`,
        namespace: le.namespace,
        identity: options.identity ?? `${hostname()}_${randomUUID()}`,
        leaseDurationMs: le.leaseDurationSeconds * 1000,
        renewDeadlineMs: le.renewDeadlineSeconds * 1000,
        retryPeriodMs: le.retryPeriodSeconds * 1000,
        logger: deps.logger,
        onStartedLeading: () => this.act(),
        onStoppedLeading: () => this.halt(),
      });
    }
  }

  /** True while this instance runs its workers (holds the lease, or without leader election). */
  get isActing(): boolean {
    return this.acting;
  }

  protected abstract sync(key: string): Promise<SyncResult | void>;

  /** Hook for subclasses: runs after the informers synced, before workers start. */
  protected async onSynced(): Promise<void> {}

  protected informer<T extends KubeObject>(resource: ResourceKey, opts: InformerOptions<T> = {}): Informer<T> {
    const inf = new Informer<T>(this.store, resource, { logger: this.logger, ...opts });
    this.informers.push(inf);
    return inf;
  }

  protected enqueue(obj: KubeObject | string): void {
    this.queue.add(typeof obj === 'string' ? obj : objectKeyOf(obj));
  }

  async start(): Promise<void> {
    if (this.elector) this.elector.start();
    else await this.act();
  }

  async stop(): Promise<void> {
    if (this.elector) await this.elector.stop(true);
    else await this.halt();
  }

  /** Stops like a killed process: the lease is not released, so a standby waits for it to expire. */
  async crash(): Promise<void> {
    if (this.elector) await this.elector.stop(false);
    else await this.halt();
  }

  private newQueue(): WorkQueue {
    return new WorkQueue(this.name, { metrics: this.deps.metrics, baseDelayMs: 5, maxDelayMs: 60_000 });
  }

  private async act(): Promise<void> {
    if (this.acting) return;
    this.acting = true;
    this.queue = this.newQueue();
    await Promise.all(this.informers.map((i) => i.start()));
    await this.onSynced();
    const count = Math.max(1, this.options.workers);
    this.workers = Array.from({ length: count }, () => this.work(this.queue));
  }

  private async halt(): Promise<void> {
    if (!this.acting) return;
    this.acting = false;
    this.queue.shutdown();
    await Promise.all(this.workers);
    this.workers = [];
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private async work(queue: WorkQueue): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const result = await this.sync(key);
        queue.forget(key);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (e) {
        if (queue.numRequeues(key) < this.maxRetries) {
          this.logger.debug('sync failed, retrying', { controller: this.name, key, error: e as Error });
          queue.addRateLimited(key);
        } else {
          this.logger.warn('sync failed, dropping key', { controller: this.name, key, error: e as Error });
          queue.forget(key);
        }
      } finally {
        queue.done(key);
      }
    }
  }
}
