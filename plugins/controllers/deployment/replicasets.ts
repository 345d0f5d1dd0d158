// The Deployment controller's writes to ReplicaSets: finding/creating the new RS with its
// revision, scaling with the desired/max-replicas annotations, history cleanup.
import type { Informer } from '../../../kernel/controller/informer.js';
import type { EventRecorder } from '../../../kernel/events/recorder.js';
import { newControllerRef } from '../../../kernel/controller/owners.js';
import { errors, isStatusError } from '../../../kernel/objects/status.js';
import type { ObjectStore } from '../../../kernel/store/types.js';
import { REPLICASETS, type ReplicaSet } from '../resources.js';
import {
  byCreation, DESIRED_REPLICAS, HASH_LABEL, isRolling, MAX_REPLICAS, maxSurge, podTemplateHash, REVISION, revisionOf, specReplicas, sum, templatesEqual,
  type Deployment,
} from './util.js';

/** Annotations of a deployment that are not copied to its ReplicaSets. */
const NOT_COPIED = new Set([REVISION, DESIRED_REPLICAS, MAX_REPLICAS, 'kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision-history']);

export interface RolloutSets {
  newRS?: ReplicaSet;
  oldRSs: ReplicaSet[];
  /** Set when this sync created or found the new RS (for the Progressing condition). */
  event?: { reason: 'NewReplicaSetCreated' | 'FoundNewReplicaSet'; message: string };
}

export class ReplicaSetWriter {
  constructor(
    private readonly store: ObjectStore,
    private readonly cache: Informer<ReplicaSet>,
    private readonly events?: EventRecorder,
  ) {}

  /** Scales (and annotates) one RS; true when the size changed. */
  async scale(rs: ReplicaSet, size: number, d: Deployment): Promise<boolean> {
    const desired = String(d.spec.replicas ?? 1);
    const max = String((d.spec.replicas ?? 1) + maxSurge(d));
    const ann = rs.metadata.annotations ?? {};
    const sizeChanged = specReplicas(rs) !== size;
    if (!sizeChanged && ann[DESIRED_REPLICAS] === desired && ann[MAX_REPLICAS] === max) return false;
    // Status writes by the ReplicaSet controller must not make this fail: retry on those, but
    // not when the size we decided from has changed meanwhile.
    const updated = await this.store.guaranteedUpdate<ReplicaSet>(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, (cur) => {
      if (cur.metadata.uid !== rs.metadata.uid || specReplicas(cur) !== specReplicas(rs)) {
        throw errors.conflict('replicasets.apps', rs.metadata.name!, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      cur.spec.replicas = size;
      cur.metadata.annotations = { ...(cur.metadata.annotations ?? {}), [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max };
      return cur;
    });
    this.cache.assume(updated);
    if (sizeChanged) {
      const from = specReplicas(rs);
      this.events?.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${size > from ? 'up' : 'down'} replica set ${rs.metadata.name} to ${size} from ${from}`);
    }
    return sizeChanged;
  }

  /** Splits the deployment's RSes into new and old, creating the new one when asked; syncs revisions. */
  async rolloutSets(d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<RolloutSets> {
    const sorted = [...rsList].sort(byCreation);
    let newRS = sorted.find((rs) => templatesEqual(rs.spec.template, d.spec.template));
    const oldRSs = sorted.filter((rs) => rs !== newRS);
    const newRevision = Math.max(0, ...oldRSs.map(revisionOf)) + 1;
    let event: RolloutSets['event'];
    if (newRS) {
      if (revisionOf(newRS) < newRevision) {
        const next = structuredClone(newRS) as ReplicaSet;
        next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [REVISION]: String(newRevision) };
        newRS = await this.store.update(REPLICASETS, next);
        this.cache.assume(newRS);
      }
      if (!d.status?.conditions?.some((c) => c.type === 'Progressing')) {
        event = { reason: 'FoundNewReplicaSet', message: `Found new replica set "${newRS.metadata.name}"` };
      }
    } else if (create) {
      newRS = await this.createNew(d, oldRSs, newRevision);
      event = { reason: 'NewReplicaSetCreated', message: `Created new replica set "${newRS.metadata.name}"` };
    }
    if (newRS) await this.syncDeploymentRevision(d, String(revisionOf(newRS)));
    return { newRS, oldRSs, event };
  }

  private async createNew(d: Deployment, oldRSs: ReplicaSet[], revision: number): Promise<ReplicaSet> {
    const hash = podTemplateHash(d.spec.template, d.status?.collisionCount ?? 0);
    const template = structuredClone(d.spec.template ?? {});
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
    const replicas = d.spec.replicas ?? 1;
    let size = 0;
    if (isRolling(d)) {
      const current = sum(oldRSs, (rs) => Math.max(specReplicas(rs), rs.status?.replicas ?? 0));
      size = Math.max(0, Math.min(replicas + maxSurge(d) - current, replicas));
    }
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!NOT_COPIED.has(k)) annotations[k] = v;
    Object.assign(annotations, { [REVISION]: String(revision), [DESIRED_REPLICAS]: String(replicas), [MAX_REPLICAS]: String(replicas + maxSurge(d)) });
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: { ...(template.metadata.labels ?? {}) },
        annotations,
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas: size, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    try {
      const created = await this.store.create(REPLICASETS, rs);
      this.cache.assume(created);
      if (size > 0) this.events?.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} to ${size} from 0`);
      return created;
    } catch (e) {
      if (!isStatusError(e, 'AlreadyExists')) throw e;
      const existing = await this.store.get<ReplicaSet>(REPLICASETS, d.metadata.namespace, rs.metadata.name!);
      const ours = existing.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid);
      if (ours && templatesEqual(existing.spec.template, d.spec.template)) return existing;
      // A hash collision: count it so the next attempt hashes differently (upstream collisionCount).
      await this.store.guaranteedUpdate<Deployment>({ group: 'apps', resource: 'deployments', namespaced: true }, d.metadata.namespace, d.metadata.name!, (cur) => ({
        ...cur,
        status: { ...(cur.status ?? {}), collisionCount: (cur.status?.collisionCount ?? 0) + 1 },
      }));
      throw e;
    }
  }

  private async syncDeploymentRevision(d: Deployment, revision: string): Promise<void> {
    if (d.metadata.annotations?.[REVISION] === revision) return;
    await this.store.guaranteedUpdate<Deployment>({ group: 'apps', resource: 'deployments', namespaced: true }, d.metadata.namespace, d.metadata.name!, (cur) => {
      if (cur.metadata.uid !== d.metadata.uid || cur.metadata.annotations?.[REVISION] === revision) return undefined;
      return { ...cur, metadata: { ...cur.metadata, annotations: { ...(cur.metadata.annotations ?? {}), [REVISION]: revision } } };
    });
  }

  /** Deletes the oldest scaled-down RSes beyond revisionHistoryLimit. */
  async cleanup(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = d.spec.revisionHistoryLimit;
    if (limit === undefined) return;
    const idle = oldRSs.filter((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp);
    const excess = idle.length - limit;
    if (excess <= 0) return;
    idle.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of idle.slice(0, excess)) {
      try {
        await this.store.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
      }
    }
  }
}
