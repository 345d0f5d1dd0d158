// Pod facts controllers share: readiness, availability (minReadySeconds), activity, conditions.
import type { KubeObject } from '../objects/types.js';
import { nowTimestamp } from '../store/kv-store.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
}

export interface PodLike extends KubeObject {
  spec?: { nodeName?: string; restartPolicy?: string; containers?: { name: string; ports?: { name?: string; containerPort: number; protocol?: string }[] }[]; [k: string]: unknown };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: { restartCount?: number; ready?: boolean }[];
    podIP?: string;
    startTime?: string;
    [k: string]: unknown;
  };
}

export function podReadyCondition(pod: PodLike): Condition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: PodLike): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** Ready for at least minReadySeconds (upstream IsPodAvailable). */
export function isPodAvailable(pod: PodLike, minReadySeconds: number, now = Date.now()): boolean {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Not finished and not being deleted (upstream IsPodActive). */
export function isPodActive(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function restartCount(pod: PodLike): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

export function nowTime(): string {
  return nowTimestamp();
}

/** Sets a condition; keeps lastTransitionTime when the status did not change. */
export function setCondition(conditions: Condition[] | undefined, next: Condition): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const merged: Condition = { ...next };
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return list;
  if (old && old.status === next.status && old.lastTransitionTime) merged.lastTransitionTime = old.lastTransitionTime;
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

export function removeCondition(conditions: Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** JSON with sorted keys: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Upstream's deletion preference: earlier in this order is deleted first. */
export function comparePodsForDeletion(a: PodLike, b: PodLike): number {
  const assigned = (p: PodLike) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phaseRank = (p: PodLike) => ({ Pending: 0, Unknown: 1, Running: 2 } as Record<string, number>)[p.status?.phase ?? 'Pending'] ?? 0;
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  const ready = (p: PodLike) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (ready(a) === 1) {
    // Ready more recently first.
    const since = (p: PodLike) => Date.parse(podReadyCondition(p)?.lastTransitionTime ?? '') || 0;
    if (since(a) !== since(b)) return since(b) - since(a);
  }
  if (restartCount(a) !== restartCount(b)) return restartCount(b) - restartCount(a);
  const created = (p: PodLike) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  return created(b) - created(a);
}
