// The arithmetic of a PodDisruptionBudget's status, as upstream's disruption controller does it:
// expected pods (from the pods' controllers' scale, or the pod count), desired and current healthy
// pods, disruptions allowed, and which recorded evictions still count.
import { controllerRef } from '../../../kernel/controller/owners.js';
import { isPodReady, type PodLike } from '../../../kernel/controller/pods.js';
import { scaledValue, type PodDisruptionBudget } from '../../../kernel/objects/pdb.js';
import type { KubeObject } from '../../../kernel/objects/types.js';

/** Upstream DeletionTimeout: an eviction not followed by the pod's deletion within this is forgotten. */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/** Where the controller looks up a controller object by kind (apps group), namespace and name. */
export type ControllerLookup = (kind: 'ReplicaSet' | 'Deployment' | 'StatefulSet', namespace: string, name: string) => KubeObject | undefined;

/** A controller and its desired replicas, keyed by uid so two pods of one owner count it once. */
interface ControllerScale {
  uid: string;
  scale: number;
}

function replicasOf(obj: KubeObject): number {
  const replicas = (obj.spec as { replicas?: number } | undefined)?.replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

function isApps(ref: { apiVersion?: string }): boolean {
  const group = (ref.apiVersion ?? '').split('/')[0];
  return group === 'apps' || group === 'extensions';
}

/** Upstream's finders: a ReplicaSet's Deployment if it has one, else the ReplicaSet; a StatefulSet. */
function scaleOfController(pod: PodLike, lookup: ControllerLookup): ControllerScale | undefined {
  const ref = controllerRef(pod);
  if (!ref || !isApps(ref)) return undefined;
  const namespace = pod.metadata.namespace ?? '';
  if (ref.kind === 'ReplicaSet') {
    const rs = lookup('ReplicaSet', namespace, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return undefined;
    const owner = controllerRef(rs);
    if (owner && owner.kind === 'Deployment' && isApps(owner)) {
      const deployment = lookup('Deployment', namespace, owner.name);
      return deployment && deployment.metadata.uid === owner.uid ? { uid: deployment.metadata.uid!, scale: replicasOf(deployment) } : undefined;
    }
    return { uid: rs.metadata.uid!, scale: replicasOf(rs) };
  }
  if (ref.kind === 'StatefulSet') {
    const sts = lookup('StatefulSet', namespace, ref.name);
    return sts && sts.metadata.uid === ref.uid ? { uid: sts.metadata.uid!, scale: replicasOf(sts) } : undefined;
  }
  return undefined;
}

/**
 * Upstream getExpectedScale: the sum of the scales of the pods' controllers. Pods without a
 * controller are reported (they cannot be counted); a controller that is not found is an error.
 */
export function expectedScale(pods: PodLike[], lookup: ControllerLookup): { expected: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerRef(pod);
    if (!ref) {
      unmanaged.push(pod.metadata.name ?? '');
      continue;
    }
    if (scales.has(ref.uid)) continue;
    const found = scaleOfController(pod, lookup);
    if (!found) throw new Error(`found no controllers for pod ${JSON.stringify(pod.metadata.name ?? '')}`);
    scales.set(found.uid, found.scale);
  }
  let expected = 0;
  for (const s of scales.values()) expected += s;
  return { expected, unmanaged };
}

/** Upstream getExpectedPodCount: expected pods and desired healthy pods of a budget. */
export function expectedAndDesired(pdb: PodDisruptionBudget, pods: PodLike[], lookup: ControllerLookup): { expected: number; desired: number; unmanaged: string[] } {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const { expected, unmanaged } = expectedScale(pods, lookup);
    const maxUnavailable = scaledValue(spec.maxUnavailable, expected, true);
    return { expected, desired: Math.max(0, expected - maxUnavailable), unmanaged };
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === 'number') return { expected: pods.length, desired: spec.minAvailable, unmanaged: [] };
    const { expected, unmanaged } = expectedScale(pods, lookup);
    return { expected, desired: scaledValue(spec.minAvailable, expected, true), unmanaged };
  }
  return { expected: 0, desired: 0, unmanaged: [] };
}

/**
 * Upstream buildDisruptedPodMap: the recorded evictions that still count (the pod exists, is not
 * being deleted yet, and the eviction is younger than DELETION_TIMEOUT_MS), and when the oldest
 * of them expires (to look at the budget again then).
 */
export function liveDisruptions(pdb: PodDisruptionBudget, pods: PodLike[], now: number): { disrupted: Record<string, string>; recheckAt?: number; expired: string[] } {
  const recorded = pdb.status?.disruptedPods ?? {};
  const disrupted: Record<string, string> = {};
  const expired: string[] = [];
  let recheckAt: number | undefined;
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    if (pod.metadata.deletionTimestamp || !(name in recorded)) continue;
    const at = Date.parse(recorded[name]!);
    const expires = (Number.isFinite(at) ? at : 0) + DELETION_TIMEOUT_MS;
    if (expires < now) {
      expired.push(name);
      continue;
    }
    disrupted[name] = recorded[name]!;
    if (recheckAt === undefined || expires < recheckAt) recheckAt = expires;
  }
  return { disrupted, recheckAt, expired };
}

/** Upstream countHealthyPods: Ready pods that are neither being deleted nor just evicted. */
export function countHealthy(pods: PodLike[], disrupted: Record<string, string>): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp || (pod.metadata.name ?? '') in disrupted) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** Upstream stalePodDisruptionTimeout: how long a DisruptionTarget condition may wait for its pod's deletion. */
export const STALE_DISRUPTION_MS = 2 * 60 * 1000;

/**
 * Upstream nonTerminatingPodHasStaleDisruptionCondition: a pod marked DisruptionTarget=True (by an
 * eviction that then did not delete it) that is neither being deleted nor finished; the result is
 * how long until the mark counts as stale (0: now), or undefined for pods that are not marked.
 * Marks the kubelet set (TerminationByKubelet) are never stale.
 */
export function staleDisruptionIn(pod: PodLike, now: number): number | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const cond = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  const phase = pod.status?.phase;
  if (!cond || cond.status !== 'True' || cond.reason === 'TerminationByKubelet' || phase === 'Succeeded' || phase === 'Failed') return undefined;
  const since = Date.parse(cond.lastTransitionTime ?? '');
  return Math.max(0, (Number.isFinite(since) ? since : 0) + STALE_DISRUPTION_MS - now);
}
