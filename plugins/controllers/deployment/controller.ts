// The Deployment controller: rolls a Deployment's pod template out through ReplicaSets
// (RollingUpdate or Recreate), scales proportionally, keeps revisions and reports status.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions, type SyncResult } from '../../../kernel/controller/controller.js';
import { splitKey, type Informer } from '../../../kernel/controller/informer.js';
import { claimObjects, controllerRef } from '../../../kernel/controller/owners.js';
import { canonicalJson, nowTime, setCondition, type Condition, type PodLike } from '../../../kernel/controller/pods.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import { compileLabelSelector } from '../../../kernel/objects/selectors.js';
import type { ResourceKey } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';
import { PODS, REPLICASETS, type ReplicaSet } from '../resources.js';
import { ReplicaSetWriter, type RolloutSets } from './replicasets.js';
import {
  byCreation, deploymentComplete, deploymentProgressing, deploymentTimedOut, DESIRED_REPLICAS, isRolling, maxSurge, maxUnavailable, replicaSetFraction, specReplicas, sum,
  type Deployment,
} from './util.js';

export const DEPLOYMENTS: ResourceKey = { group: 'apps', resource: 'deployments', namespaced: true };

type Status = NonNullable<Deployment['status']>;

function active(rss: (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => rs !== undefined && specReplicas(rs) > 0);
}

@injectable()
export class DeploymentController extends Controller {
  private readonly deployments: Informer<Deployment>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<PodLike>;
  private readonly writer: ReplicaSetWriter;

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) options: ControllerOptions,
  ) {
    super('deployment', { store, logger: logger.child({ controller: 'deployment' }), metrics }, options);
    this.deployments = this.informer<Deployment>(DEPLOYMENTS);
    this.replicaSets = this.informer<ReplicaSet>(REPLICASETS);
    this.pods = this.informer<PodLike>(PODS);
    this.pods.addIndex('controller', (p) => {
      const ref = controllerRef(p);
      return ref ? [ref.uid] : [];
    });
    this.writer = new ReplicaSetWriter(store, this.replicaSets, this.events);
    this.deployments.addHandler({ add: (d) => this.enqueue(d), update: (_o, d) => this.enqueue(d), delete: (d) => this.enqueue(d) });
    const onRS = (rs: ReplicaSet) => {
      const owner = this.ownerOf(rs);
      if (owner) return this.enqueue(owner);
      if (controllerRef(rs)) return;
      for (const d of this.deployments.list(rs.metadata.namespace ?? '')) if (compileLabelSelector(d.spec.selector)(rs.metadata.labels)) this.enqueue(d);
    };
    this.replicaSets.addHandler({ add: onRS, update: (old, rs) => { onRS(old); onRS(rs); }, delete: onRS });
    // Recreate waits for old pods to be gone.
    this.pods.addHandler({
      delete: (p) => {
        const ref = controllerRef(p);
        const rs = ref?.kind === 'ReplicaSet' ? this.replicaSets.get(p.metadata.namespace, ref.name) : undefined;
        const d = rs ? this.ownerOf(rs) : undefined;
        if (d && !isRolling(d)) this.enqueue(d);
      },
    });
  }

  private ownerOf(rs: ReplicaSet): Deployment | undefined {
    const ref = controllerRef(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.get(rs.metadata.namespace, ref.name);
    return d?.metadata.uid === ref.uid ? d : undefined;
  }

  protected async sync(key: string): Promise<SyncResult | void> {
    const { namespace, name } = splitKey(key);
    const d = this.deployments.get(namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const selects = compileLabelSelector(d.spec.selector);
    const rsList = await claimObjects(this.replicaSets.list(namespace ?? ''), {
      store: this.store,
      resource: REPLICASETS,
      owner: d,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'Deployment',
      matches: (rs) => selects(rs.metadata.labels),
      written: (rs) => this.replicaSets.assume(rs),
    });
    if (d.spec.paused || (await this.isScalingEvent(d, rsList))) return this.syncScale(d, rsList);
    return isRolling(d) ? this.rolloutRolling(d, rsList) : this.rolloutRecreate(d, rsList);
  }

  private async isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.writer.rolloutSets(d, rsList, false);
    const want = String(d.spec.replicas ?? 1);
    return active([newRS, ...oldRSs]).some((rs) => {
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
      return desired !== undefined && desired !== want;
    });
  }

  /** Scaling without a template change, and paused deployments (upstream sync()). */
  private async syncScale(d: Deployment, rsList: ReplicaSet[]): Promise<SyncResult | void> {
    const sets = await this.writer.rolloutSets(d, rsList, false);
    await this.scale(d, sets.newRS, sets.oldRSs);
    if (d.spec.paused) await this.writer.cleanup(d, sets.oldRSs);
    return this.syncStatus(d, sets, false);
  }

  private async scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const replicas = d.spec.replicas ?? 1;
    const activeRSs = active([newRS, ...oldRSs]);
    const only = activeRSs.length === 1 ? activeRSs[0] : activeRSs.length === 0 ? (newRS ?? [...oldRSs].sort(byCreation).at(-1)) : undefined;
    if (only) {
      await this.writer.scale(only, replicas, d);
      return;
    }
    const saturated = newRS && specReplicas(newRS) === replicas && newRS.metadata.annotations?.[DESIRED_REPLICAS] === String(replicas) && (newRS.status?.availableReplicas ?? 0) === replicas;
    if (saturated) {
      for (const rs of active(oldRSs)) await this.writer.scale(rs, 0, d);
      return;
    }
    if (!isRolling(d)) return;
    // Proportional scaling: spread the change over the active RSes by their share of max-replicas.
    const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
    const toAdd = allowed - sum(activeRSs, specReplicas);
    const ordered = [...activeRSs].sort((a, b) => specReplicas(b) - specReplicas(a) || (toAdd > 0 ? byCreation(b, a) : byCreation(a, b)));
    const sizes = new Map<ReplicaSet, number>();
    let added = 0;
    for (const rs of ordered) {
      let proportion = 0;
      if (toAdd !== 0) {
        const fraction = replicaSetFraction(rs, d);
        const left = toAdd - added;
        proportion = toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
        added += proportion;
      }
      sizes.set(rs, specReplicas(rs) + proportion);
    }
    if (toAdd !== 0 && ordered[0]) sizes.set(ordered[0], Math.max(0, sizes.get(ordered[0])! + toAdd - added));
    for (const rs of ordered) await this.writer.scale(rs, sizes.get(rs)!, d);
  }

  private async rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<SyncResult | void> {
    const sets = await this.writer.rolloutSets(d, rsList, true);
    const newRS = sets.newRS!;
    const all = [newRS, ...sets.oldRSs];
    if (await this.reconcileNew(d, all, newRS)) return this.syncStatus(d, sets, true);
    if (await this.reconcileOld(d, all, active(sets.oldRSs), newRS)) return this.syncStatus(d, sets, true);
    const status = this.calculateStatus(d, sets);
    if (deploymentComplete(d, status)) await this.writer.cleanup(d, sets.oldRSs);
    return this.syncStatus(d, sets, true);
  }

  private async reconcileNew(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
    const replicas = d.spec.replicas ?? 1;
    if (specReplicas(newRS) === replicas) return false;
    if (specReplicas(newRS) > replicas) return this.writer.scale(newRS, replicas, d);
    // Count pods an RS still has (status) even when its spec already went down: never exceed surge.
    const current = sum(all, (rs) => Math.max(specReplicas(rs), rs.status?.replicas ?? 0));
    const maxTotal = replicas + maxSurge(d);
    if (current >= maxTotal) return false;
    const size = specReplicas(newRS) + Math.min(maxTotal - current, replicas - specReplicas(newRS));
    return this.writer.scale(newRS, size, d);
  }

  private async reconcileOld(d: Deployment, all: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
    if (sum(oldRSs, specReplicas) === 0) return false;
    const minAvailable = (d.spec.replicas ?? 1) - maxUnavailable(d);
    const newUnavailable = specReplicas(newRS) - availableOf(newRS);
    const maxScaledDown = sum(all, specReplicas) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // First old RSes' unavailable pods, which cost no availability.
    let cleaned = 0;
    const remaining: ReplicaSet[] = [];
    for (const rs of [...oldRSs].sort(byCreation)) {
      const unhealthy = specReplicas(rs) - availableOf(rs);
      const down = Math.min(maxScaledDown - cleaned, Math.max(0, unhealthy));
      if (down > 0 && specReplicas(rs) > 0) {
        await this.writer.scale(rs, specReplicas(rs) - down, d);
        cleaned += down;
        remaining.push(this.replicaSets.get(rs.metadata.namespace, rs.metadata.name!) ?? rs);
      } else remaining.push(rs);
    }
    // Then available pods, down to minAvailable.
    const available = sum([newRS, ...remaining], availableOf);
    let scaled = 0;
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of remaining.sort(byCreation)) {
        if (scaled >= total) break;
        if (specReplicas(rs) === 0) continue;
        const down = Math.min(specReplicas(rs), total - scaled);
        await this.writer.scale(rs, specReplicas(rs) - down, d);
        scaled += down;
      }
    }
    return cleaned + scaled > 0;
  }

  private async rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<SyncResult | void> {
    let sets = await this.writer.rolloutSets(d, rsList, false);
    let scaledDown = false;
    for (const rs of active(sets.oldRSs)) scaledDown = (await this.writer.scale(rs, 0, d)) || scaledDown;
    if (scaledDown || this.oldPodsRunning(sets.oldRSs)) return this.syncStatus(d, sets, true);
    if (!sets.newRS) sets = await this.writer.rolloutSets(d, rsList, true);
    await this.writer.scale(sets.newRS!, d.spec.replicas ?? 1, d);
    if (deploymentComplete(d, this.calculateStatus(d, sets))) await this.writer.cleanup(d, sets.oldRSs);
    return this.syncStatus(d, sets, true);
  }

  private oldPodsRunning(oldRSs: ReplicaSet[]): boolean {
    return oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0 || this.pods.byIndex('controller', rs.metadata.uid ?? '').some((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'));
  }

  private calculateStatus(d: Deployment, sets: RolloutSets): Status {
    // Read the RSes again: this sync may have scaled them.
    const fresh = (rs: ReplicaSet) => this.replicaSets.get(rs.metadata.namespace, rs.metadata.name!) ?? rs;
    const all = [sets.newRS, ...sets.oldRSs].filter((rs): rs is ReplicaSet => rs !== undefined).map(fresh);
    const replicas = d.spec.replicas ?? 1;
    const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
    const status: Status = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas: sum(all, (rs) => rs.status?.replicas ?? 0),
      updatedReplicas: sets.newRS ? (fresh(sets.newRS).status?.replicas ?? 0) : 0,
      readyReplicas: sum(all, (rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, replicas - available),
      ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    };
    const now = nowTime();
    const availableCond: Condition = available >= replicas - maxUnavailable(d)
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: now, lastTransitionTime: now };
    status.conditions = setCondition(d.status?.conditions, availableCond);
    return status;
  }

  private progressing(conditions: Condition[], status: Condition['status'], reason: string, message: string, touch: boolean): Condition[] {
    const now = nowTime();
    const old = conditions.find((c) => c.type === 'Progressing');
    if (old && old.status === status && old.reason === reason && old.message === message && !touch) return conditions;
    const next: Condition = { type: 'Progressing', status, reason, message, lastUpdateTime: now, lastTransitionTime: old && old.status === status ? (old.lastTransitionTime ?? now) : now };
    return [...conditions.filter((c) => c.type !== 'Progressing'), next];
  }

  /** Computes and writes status; with `rollout`, also the Progressing condition and deadline. */
  private async syncStatus(d: Deployment, sets: RolloutSets, rollout: boolean): Promise<SyncResult | void> {
    const status = this.calculateStatus(d, sets);
    let conditions = status.conditions ?? [];
    const cur = conditions.find((c) => c.type === 'Progressing');
    let requeueAfterMs: number | undefined;
    if (d.spec.paused) {
      if (cur?.reason !== 'DeploymentPaused') conditions = this.progressing(conditions, 'Unknown', 'DeploymentPaused', 'Deployment is paused', false);
    } else if (cur?.reason === 'DeploymentPaused') {
      conditions = this.progressing(conditions, 'Unknown', 'DeploymentResumed', 'Deployment is resumed', false);
    }
    if (sets.event && !d.spec.paused) conditions = this.progressing(conditions, 'True', sets.event.reason, sets.event.message, false);
    const deadline = d.spec.progressDeadlineSeconds;
    if (rollout && !d.spec.paused && deadline !== undefined && sets.newRS) {
      const rsName = sets.newRS.metadata.name;
      if (deploymentComplete(d, status)) {
        conditions = this.progressing(conditions, 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, false);
      } else if (deploymentProgressing(d, status)) {
        conditions = this.progressing(conditions, 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, true);
      } else if (deploymentTimedOut(d, conditions)) {
        conditions = this.progressing(conditions, 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, false);
      }
      const p = conditions.find((c) => c.type === 'Progressing');
      if (!deploymentComplete(d, status) && p && p.reason !== 'ProgressDeadlineExceeded') {
        const from = Date.parse(p.lastUpdateTime ?? p.lastTransitionTime ?? '') || Date.now();
        requeueAfterMs = Math.max(1000, from + deadline * 1000 - Date.now() + 1000);
      }
    }
    status.conditions = conditions;
    if (canonicalJson(status) !== canonicalJson(d.status ?? {})) {
      try {
        const updated = await this.store.guaranteedUpdate<Deployment>(DEPLOYMENTS, d.metadata.namespace, d.metadata.name!, (current) =>
          current.metadata.uid === d.metadata.uid ? { ...current, status } : undefined,
        );
        this.deployments.assume(updated);
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
      }
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }
}

/**
 * Available pods of a ReplicaSet that will stay: its status may still count pods of a scale-down
 * the ReplicaSet controller has not reported yet (seen under load), and counting those would let
 * the rollout take away more than maxUnavailable.
 */
function availableOf(rs: ReplicaSet): number {
  return Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs));
}
