// The ReplicaSet controller: keeps spec.replicas active pods matching the selector, adopting
// matching orphans and releasing pods that stop matching, and reports status.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions, type SyncResult } from '../../../kernel/controller/controller.js';
import { Expectations } from '../../../kernel/controller/expectations.js';
import { createPods, deletePods, podFromTemplate, PODS } from '../../../kernel/controller/podcontrol.js';
import { objectKeyOf, splitKey, type Informer } from '../../../kernel/controller/informer.js';
import { claimObjects, controllerRef } from '../../../kernel/controller/owners.js';
import { comparePodsForDeletion, isPodActive, isPodAvailable, isPodReady, nowTime, removeCondition, setCondition, canonicalJson, type PodLike } from '../../../kernel/controller/pods.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import { compileLabelSelector, type LabelSelector } from '../../../kernel/objects/selectors.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';
import { REPLICASETS, type ReplicaSet } from '../resources.js';

export { REPLICASETS, PODS, type ReplicaSet };

export interface ReplicaSetOptions extends ControllerOptions {
  /** Most pods created or deleted in one sync (upstream burstReplicas). */
  burstReplicas: number;
}

function labelsSuperset(labels: Record<string, string> | undefined, wanted: Record<string, string> | undefined): boolean {
  return Object.entries(wanted ?? {}).every(([k, v]) => labels?.[k] === v);
}

@injectable()
export class ReplicaSetController extends Controller {
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<PodLike>;
  private readonly expectations = new Expectations();

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) private readonly rsOptions: ReplicaSetOptions,
  ) {
    super('replicaset', { store, logger: logger.child({ controller: 'replicaset' }), metrics }, rsOptions);
    this.replicaSets = this.informer<ReplicaSet>(REPLICASETS);
    this.pods = this.informer<PodLike>(PODS);
    this.replicaSets.addHandler({ add: (rs) => this.enqueue(rs), update: (_o, rs) => this.enqueue(rs), delete: (rs) => { this.expectations.forget(objectKeyOf(rs)); this.enqueue(rs); } });
    this.pods.addHandler({
      add: (p) => {
        const owner = this.ownerOf(p);
        if (owner) {
          this.expectations.observedAdd(objectKeyOf(owner));
          this.enqueue(owner);
        } else this.enqueueMatching(p);
      },
      update: (old, p) => {
        const owner = this.ownerOf(p);
        if (p.metadata.deletionTimestamp && !old.metadata.deletionTimestamp && owner) this.expectations.observedDelete(objectKeyOf(owner), p.metadata.uid);
        const oldOwner = this.ownerOf(old);
        if (oldOwner && oldOwner !== owner) this.enqueue(oldOwner);
        if (owner) this.enqueue(owner);
        else if (!controllerRef(p)) this.enqueueMatching(p);
      },
      delete: (p) => {
        const owner = this.ownerOf(p);
        if (!owner) return;
        this.expectations.observedDelete(objectKeyOf(owner), p.metadata.uid);
        this.enqueue(owner);
      },
    });
  }

  private ownerOf(pod: PodLike): ReplicaSet | undefined {
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.replicaSets.get(pod.metadata.namespace, ref.name);
    return rs?.metadata.uid === ref.uid ? rs : undefined;
  }

  private enqueueMatching(pod: PodLike): void {
    for (const rs of this.replicaSets.list(pod.metadata.namespace ?? '')) {
      if (compileLabelSelector(rs.spec.selector)(pod.metadata.labels)) this.enqueue(rs);
    }
  }

  protected async sync(key: string): Promise<SyncResult | void> {
    const { namespace, name } = splitKey(key);
    const rs = this.replicaSets.get(namespace, name);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    const selects = compileLabelSelector(rs.spec.selector);
    const candidates = this.pods.list(namespace ?? '').filter(isPodActive);
    const owned = await claimObjects(candidates, {
      store: this.store,
      resource: PODS,
      owner: rs,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'ReplicaSet',
      matches: (p) => selects(p.metadata.labels),
      written: (p) => this.pods.assume(p),
    });
    let pods = owned;
    let failure: Error | undefined;
    if (this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
      try {
        pods = await this.manageReplicas(key, rs, owned);
      } catch (e) {
        failure = e as Error;
      }
    }
    const requeue = await this.updateStatus(rs, pods, failure);
    if (failure) throw failure;
    return requeue;
  }

  /** Creates or deletes pods; returns the pods that remain afterwards. */
  private async manageReplicas(key: string, rs: ReplicaSet, pods: PodLike[]): Promise<PodLike[]> {
    const wanted = rs.spec.replicas ?? 1;
    const diff = pods.length - wanted;
    const burst = Math.max(1, this.rsOptions.burstReplicas);
    if (diff < 0) {
      const make = () => podFromTemplate(rs, rs.spec.template ?? {}, 'apps/v1', 'ReplicaSet');
      try {
        await createPods(this.store, this.expectations, key, Math.min(-diff, burst), make, (p) => {
          this.pods.assume(p);
          this.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`);
        });
      } catch (e) {
        this.events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
        throw e;
      }
      return pods;
    }
    if (diff > 0) {
      const victims = [...pods].sort(comparePodsForDeletion).slice(0, Math.min(diff, burst));
      const gone = await deletePods(this.store, this.expectations, key, victims);
      for (const p of victims) if (gone.has(p.metadata.uid ?? '')) this.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      return pods.filter((p) => !gone.has(p.metadata.uid ?? ''));
    }
    return pods;
  }

  private async updateStatus(rs: ReplicaSet, pods: PodLike[], failure: Error | undefined): Promise<SyncResult | void> {
    const minReady = rs.spec.minReadySeconds ?? 0;
    const now = Date.now();
    const templateLabels = rs.spec.template?.metadata?.labels;
    const ready = pods.filter(isPodReady);
    const available = pods.filter((p) => isPodAvailable(p, minReady, now));
    let conditions = rs.status?.conditions;
    if (failure) {
      const reason = (pods.length < (rs.spec.replicas ?? 1)) ? 'FailedCreate' : 'FailedDelete';
      conditions = setCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason, message: failure.message, lastTransitionTime: nowTime() });
    } else conditions = removeCondition(conditions, 'ReplicaFailure');
    const status: NonNullable<ReplicaSet['status']> = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter((p) => labelsSuperset(p.metadata.labels, templateLabels)).length,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      observedGeneration: rs.metadata.generation ?? 1,
      ...(conditions.length > 0 ? { conditions } : {}),
    };
    if (canonicalJson(status) !== canonicalJson(rs.status ?? {})) {
      try {
        const updated = await this.store.guaranteedUpdate<ReplicaSet>(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? '', (current) => {
          if (current.metadata.uid !== rs.metadata.uid) return undefined;
          return { ...current, status };
        });
        this.replicaSets.assume(updated);
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
      }
    }
    // Pods ready but not yet available: look again once they are.
    if (minReady > 0 && ready.length > available.length) return { requeueAfterMs: minReady * 1000 };
  }
}
