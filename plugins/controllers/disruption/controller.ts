// The disruption controller: keeps each PodDisruptionBudget's status (expected, desired and
// current healthy pods, disruptions allowed, the DisruptionAllowed condition) in step with the
// pods it selects, and forgets evictions whose pod was not deleted in time.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions, type SyncResult } from '../../../kernel/controller/controller.js';
import { splitKey, type Informer } from '../../../kernel/controller/informer.js';
import { PODS } from '../../../kernel/controller/podcontrol.js';
import { canonicalJson, nowTime, type PodLike } from '../../../kernel/controller/pods.js';
import {
  INSUFFICIENT_PODS,
  PODDISRUPTIONBUDGETS,
  SUFFICIENT_PODS,
  SYNC_FAILED,
  pdbSelector,
  withDisruptionAllowed,
  type PdbCondition,
  type PodDisruptionBudget,
} from '../../../kernel/objects/pdb.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';
import { countHealthy, expectedAndDesired, liveDisruptions, staleDisruptionIn, type ControllerLookup } from './budget.js';

const APPS = (resource: string): ResourceKey => ({ group: 'apps', resource, namespaced: true });

/** Queue keys of pods whose DisruptionTarget mark may go stale (PDB keys are `namespace/name`). */
const STALE_POD = 'pod:';

type PdbStatus = NonNullable<PodDisruptionBudget['status']>;

/** The status with its DisruptionAllowed condition set. */
function withCondition(status: PdbStatus, previous: PdbCondition[] | undefined, next: Omit<PdbCondition, 'type' | 'lastTransitionTime'>): PdbStatus {
  return { ...status, conditions: withDisruptionAllowed(previous, next, nowTime()) };
}

function sameStatus(a: PdbStatus | undefined, b: PdbStatus): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}

@injectable()
export class DisruptionController extends Controller {
  private readonly pdbs: Informer<PodDisruptionBudget>;
  private readonly pods: Informer<PodLike>;
  private readonly owners: Record<'ReplicaSet' | 'Deployment' | 'StatefulSet', Informer<KubeObject>>;
  private readonly lookup: ControllerLookup = (kind, namespace, name) => this.owners[kind].get(namespace, name);

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) options: ControllerOptions,
  ) {
    super('disruption', { store, logger: logger.child({ controller: 'disruption' }), metrics }, options);
    this.pdbs = this.informer<PodDisruptionBudget>(PODDISRUPTIONBUDGETS);
    this.pods = this.informer<PodLike>(PODS);
    this.owners = { ReplicaSet: this.informer(APPS('replicasets')), Deployment: this.informer(APPS('deployments')), StatefulSet: this.informer(APPS('statefulsets')) };
    this.pdbs.addHandler({ add: (p) => this.enqueue(p), update: (_o, p) => this.enqueue(p) });
    this.pods.addHandler({
      add: (pod) => {
        this.enqueueBudgetsOf(pod);
        this.enqueueIfMarked(pod);
      },
      update: (old, pod) => {
        this.enqueueBudgetsOf(pod);
        if (canonicalJson(old.metadata.labels ?? {}) !== canonicalJson(pod.metadata.labels ?? {})) this.enqueueBudgetsOf(old);
        this.enqueueIfMarked(pod);
      },
      delete: (pod) => this.enqueueBudgetsOf(pod),
    });
    // A scale change moves expectedPods for percentages and maxUnavailable before any pod changes.
    for (const informer of Object.values(this.owners)) {
      informer.addHandler({
        update: (old, obj) => {
          if ((old.spec as { replicas?: number } | undefined)?.replicas !== (obj.spec as { replicas?: number } | undefined)?.replicas) this.enqueueNamespace(obj.metadata.namespace ?? '');
        },
      });
    }
  }

  private enqueueBudgetsOf(pod: PodLike): void {
    const labels = (pod.metadata.labels ?? {}) as Record<string, string>;
    for (const pdb of this.pdbs.list(pod.metadata.namespace ?? '')) if (pdbSelector(pdb)(labels)) this.enqueue(pdb);
  }

  private enqueueNamespace(namespace: string): void {
    for (const pdb of this.pdbs.list(namespace)) this.enqueue(pdb);
  }

  /** A pod marked DisruptionTarget but not deleted is looked at again when the mark goes stale. */
  private enqueueIfMarked(pod: PodLike): void {
    const waitMs = staleDisruptionIn(pod, Date.now());
    if (waitMs !== undefined) this.queue.addAfter(`${STALE_POD}${pod.metadata.namespace}/${pod.metadata.name}`, waitMs);
  }

  /** Upstream syncStalePodDisruption: DisruptionTarget goes False on a pod the eviction did not delete. */
  private async clearStaleMark(key: string): Promise<SyncResult | void> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.get(namespace, name);
    const waitMs = pod && staleDisruptionIn(pod, Date.now());
    if (!pod || waitMs === undefined) return;
    if (waitMs > 0) return { requeueAfterMs: waitMs };
    const updated = await this.store.guaranteedUpdate<PodLike>(PODS, namespace, name, (current) => {
      if (staleDisruptionIn(current, Date.now()) !== 0) return undefined;
      const conditions = (current.status?.conditions ?? []).map((c) => (c.type === 'DisruptionTarget' ? { ...c, status: 'False' as const, lastTransitionTime: nowTime() } : c));
      return { ...current, status: { ...current.status, conditions } };
    });
    this.pods.assume(updated);
    this.logger.info('cleared a stale DisruptionTarget condition', { pod: key });
  }

  protected async sync(key: string): Promise<SyncResult | void> {
    if (key.startsWith(STALE_POD)) return this.clearStaleMark(key.slice(STALE_POD.length)).catch((e: unknown) => {
      if (!isStatusError(e, 'NotFound')) throw e;
    });
    const { namespace, name } = splitKey(key);
    const pdb = this.pdbs.get(namespace, name);
    if (!pdb) return;
    const select = pdbSelector(pdb);
    const pods = this.pods.list(namespace ?? '').filter((p) => select((p.metadata.labels ?? {}) as Record<string, string>));
    const now = Date.now();
    let status: PdbStatus;
    let recheckAt: number | undefined;
    try {
      const { expected, desired, unmanaged } = expectedAndDesired(pdb, pods, this.lookup);
      if (unmanaged.length > 0) this.logger.debug('budget selects pods without a controller', { pdb: key, pods: unmanaged });
      const live = liveDisruptions(pdb, pods, now);
      recheckAt = live.recheckAt;
      for (const pod of live.expired) {
        this.logger.info('evicted pod was not deleted in time; no longer counted as disrupted', { pdb: key, pod });
      }
      const current = countHealthy(pods, live.disrupted);
      // expectedPods must be > 0: a budget whose first pods appear before this sync stays safe.
      const allowed = expected > 0 ? Math.max(0, current - desired) : 0;
      status = {
        observedGeneration: pdb.metadata.generation ?? 1,
        ...(Object.keys(live.disrupted).length ? { disruptedPods: live.disrupted } : {}),
        disruptionsAllowed: allowed,
        currentHealthy: current,
        desiredHealthy: desired,
        expectedPods: expected,
      };
      status = withCondition(status, pdb.status?.conditions, {
        status: allowed > 0 ? 'True' : 'False',
        observedGeneration: status.observedGeneration,
        reason: allowed > 0 ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
        message: '',
      });
    } catch (e) {
      // Upstream failSafe: no disruptions while the budget cannot be computed.
      this.logger.warn('cannot compute disruption budget', { pdb: key, error: (e as Error).message });
      const previous = pdb.status ?? {};
      status = withCondition({ ...previous, disruptionsAllowed: 0 }, previous.conditions, {
        status: 'False',
        observedGeneration: previous.observedGeneration ?? 0,
        reason: SYNC_FAILED,
        message: (e as Error).message,
      });
    }
    if (!sameStatus(pdb.status, status)) await this.writeStatus(pdb, status);
    if (recheckAt !== undefined) return { requeueAfterMs: Math.max(0, recheckAt - now) + 10 };
  }

  /** CAS on the cached version: an eviction that decremented the budget meanwhile wins, and this key syncs again. */
  private async writeStatus(pdb: PodDisruptionBudget, status: PdbStatus): Promise<void> {
    try {
      this.pdbs.assume(await this.store.update<PodDisruptionBudget>(PODDISRUPTIONBUDGETS, { ...pdb, status }));
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return;
      throw e;
    }
  }
}
