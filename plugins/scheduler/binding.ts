// The scheduler's writes to pods through the store: the binding (pods/binding semantics: set
// spec.nodeName once, with PodScheduled=True, compare-and-swap), the PodScheduled=False condition
// after a failed attempt (written only when it changes, as upstream's updatePod), nominations and
// preemption's evictions.
import { bindPodToNode } from '../../kernel/controller/binding.js';
import { isStatusError } from '../../kernel/objects/status.js';
import type { ResourceKey } from '../../kernel/objects/types.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import type { Pod } from './framework/interfaces.js';

export const PODS: ResourceKey = { group: '', resource: 'pods', namespaced: true };
export const NODES: ResourceKey = { group: '', resource: 'nodes', namespaced: false };
export const NAMESPACES: ResourceKey = { group: '', resource: 'namespaces', namespaced: false };
export const PRIORITY_CLASSES: ResourceKey = { group: 'scheduling.k8s.io', resource: 'priorityclasses', namespaced: false };

interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Binds `pod` to `nodeName` with pods/binding semantics (kernel/controller/binding.ts). */
export async function bindPod(store: ObjectStore, pod: Pod, nodeName: string): Promise<void> {
  await bindPodToNode(store, pod.metadata.namespace, pod.metadata.name ?? '', nodeName, { uid: pod.metadata.uid });
}

/** True for the binding conflict that means another scheduler (or a user) already placed the pod. */
export function alreadyAssigned(e: unknown): boolean {
  return isStatusError(e, 'Conflict') && /already assigned to node/.test((e as Error).message);
}

/**
 * Sets PodScheduled=False with reason and message (and the nominated node), writing only when
 * something changes; lastTransitionTime moves only when the status flips (upstream UpdatePodCondition).
 */
export async function setUnschedulableCondition(store: ObjectStore, pod: Pod, reason: string, message: string, nominatedNodeName?: string): Promise<void> {
  await store.guaranteedUpdate<Pod>(PODS, pod.metadata.namespace, pod.metadata.name ?? '', (cur) => {
    if (cur.metadata.uid !== pod.metadata.uid || cur.spec?.nodeName) return undefined;
    const status = (cur.status ?? {}) as { conditions?: PodCondition[]; nominatedNodeName?: string };
    const conditions = [...(status.conditions ?? [])];
    const i = conditions.findIndex((c) => c.type === 'PodScheduled');
    const old = i >= 0 ? conditions[i] : undefined;
    const nominationChanges = nominatedNodeName !== undefined && status.nominatedNodeName !== nominatedNodeName;
    if (old && old.status === 'False' && old.reason === reason && old.message === message && !nominationChanges) return undefined;
    const next: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message,
      lastProbeTime: null,
      lastTransitionTime: old && old.status === 'False' && old.lastTransitionTime ? old.lastTransitionTime : nowTimestamp(),
    };
    if (i >= 0) conditions[i] = next;
    else conditions.push(next);
    const nomination = nominatedNodeName === undefined ? {} : nominatedNodeName === '' ? { nominatedNodeName: undefined } : { nominatedNodeName };
    return { ...cur, status: { ...status, conditions, ...nomination } };
  });
}

export async function setNominatedNode(store: ObjectStore, pod: Pod, nodeName: string | undefined): Promise<void> {
  await store.guaranteedUpdate<Pod>(PODS, pod.metadata.namespace, pod.metadata.name ?? '', (cur) => {
    const status = (cur.status ?? {}) as { nominatedNodeName?: string };
    if (cur.metadata.uid !== pod.metadata.uid || (status.nominatedNodeName ?? '') === (nodeName ?? '')) return undefined;
    const next = { ...status };
    if (nodeName) next.nominatedNodeName = nodeName;
    else delete next.nominatedNodeName;
    return { ...cur, status: next };
  });
}

/** Preemption: marks the victim with DisruptionTarget (upstream PreemptionByScheduler), then deletes it. */
export async function evictPod(store: ObjectStore, victim: Pod, schedulerName: string): Promise<void> {
  try {
    await store.guaranteedUpdate<Pod>(PODS, victim.metadata.namespace, victim.metadata.name ?? '', (cur) => {
      if (cur.metadata.uid !== victim.metadata.uid) return undefined;
      const status = (cur.status ?? {}) as { conditions?: PodCondition[] };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${schedulerName}: preempting to accommodate a higher priority pod`, lastTransitionTime: nowTimestamp() });
      return { ...cur, status: { ...status, conditions } };
    });
    await store.delete(PODS, victim.metadata.namespace, victim.metadata.name ?? '', { preconditions: victim.metadata.uid ? { uid: victim.metadata.uid } : undefined });
  } catch (e) {
    if (!isStatusError(e, 'NotFound')) throw e;
  }
}
