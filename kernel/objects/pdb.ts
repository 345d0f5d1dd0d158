// policy/v1 PodDisruptionBudget: its shape and the facts both the disruption controller and the
// eviction subresource need (which pods a budget covers, int-or-percent scaling).
import { compileLabelSelector, type LabelSelector } from './selectors.js';
import type { KubeObject, ResourceKey } from './types.js';

export const PODDISRUPTIONBUDGETS: ResourceKey = { group: 'policy', resource: 'poddisruptionbudgets', namespaced: true };

export type IntOrPercent = number | string;

export interface PdbCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

export interface PodDisruptionBudget extends KubeObject {
  spec?: {
    minAvailable?: IntOrPercent;
    maxUnavailable?: IntOrPercent;
    selector?: LabelSelector | null;
    unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
  };
  status?: {
    observedGeneration?: number;
    /** Pod name → when the eviction subresource let it go (RFC 3339). */
    disruptedPods?: Record<string, string>;
    disruptionsAllowed?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
    expectedPods?: number;
    conditions?: PdbCondition[];
  };
}

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';

/**
 * The conditions with DisruptionAllowed set to `next`; its lastTransitionTime is kept while the
 * status stays the same (as apimeta.SetStatusCondition). Other conditions are kept.
 */
export function withDisruptionAllowed(conditions: PdbCondition[] | undefined, next: Omit<PdbCondition, 'type' | 'lastTransitionTime'>, now: string): PdbCondition[] {
  const old = conditions?.find((c) => c.type === DISRUPTION_ALLOWED);
  const lastTransitionTime = old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : now;
  return [...(conditions ?? []).filter((c) => c.type !== DISRUPTION_ALLOWED), { type: DISRUPTION_ALLOWED, ...next, lastTransitionTime }];
}

/**
 * A label predicate for a budget's selector. policy/v1: an empty selector (`{}`) covers every pod
 * of the namespace; no selector covers none; a selector that does not parse covers none.
 */
export function pdbSelector(pdb: PodDisruptionBudget): (labels: Record<string, string> | undefined) => boolean {
  try {
    return compileLabelSelector(pdb.spec?.selector);
  } catch {
    return () => false;
  }
}

/**
 * Upstream intstr.GetScaledValueFromIntOrPercent: an int as is, `N%` of `total` rounded up or
 * down. Throws on a string that is not a percent (validation keeps those out of the store).
 */
export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${value}": must be an integer or a percent string`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Go's %#v of an intstr.IntOrString value, as upstream's field errors print one. */
export function goIntOrString(value: IntOrPercent): string {
  return typeof value === 'number' ? `intstr.IntOrString{Type:0, IntVal:${value}, StrVal:""}` : `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(value)}}`;
}
