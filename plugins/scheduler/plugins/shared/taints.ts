// Taint/toleration matching with upstream's semantics (k8s.io/api core/v1 helpers
// Toleration.ToleratesTaint, TolerationsTolerateTaint, FindMatchingUntoleratedTaint). Used by
// TaintToleration and NodeUnschedulable, and by other plugins that honour taints (e.g.
// PodTopologySpread's nodeTaintsPolicy).

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect | string;
}

export interface Toleration {
  key?: string;
  /** `Equal` (the default when empty) or `Exists`. */
  operator?: string;
  value?: string;
  /** Empty matches every effect. */
  effect?: string;
  /** Only matters for eviction (NoExecute); the scheduler ignores it. */
  tolerationSeconds?: number;
}

/**
 * Does one toleration tolerate one taint? An empty effect matches all effects; an empty key matches
 * all keys (only meaningful with `Exists`); `Equal` (or no operator) also needs equal values.
 */
export function tolerationToleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      // Unknown operators tolerate nothing (upstream).
      return false;
  }
}

/** Upstream TolerationsTolerateTaint: does any of `tolerations` tolerate `taint`? */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (tolerationToleratesTaint(t, taint)) return true;
  return false;
}

/** Taints whose effect keeps a pod off the node at scheduling time (upstream DoNotScheduleTaintsFilterFunc). */
export function isDoNotScheduleTaint(taint: Taint): boolean {
  return taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';
}

/**
 * Upstream FindMatchingUntoleratedTaint: the first taint (in node order) that passes `include`
 * and is not tolerated, or undefined when every such taint is tolerated.
 */
export function findMatchingUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  include: (taint: Taint) => boolean = () => true,
): Taint | undefined {
  if (!taints) return undefined;
  for (const taint of taints) {
    if (!include(taint)) continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

const NONE: readonly never[] = Object.freeze([]);

/** A node's taints (spec.taints), never undefined (no allocation: filters call this per node). */
export function nodeTaints(node: { spec?: Record<string, any> } | undefined): readonly Taint[] {
  return (node?.spec?.taints ?? NONE) as readonly Taint[];
}

/** A pod's tolerations (spec.tolerations), never undefined. */
export function podTolerations(pod: { spec?: Record<string, any> } | undefined): readonly Toleration[] {
  return (pod?.spec?.tolerations ?? NONE) as readonly Toleration[];
}
