// InterPodAffinity's PreFilter/Filter (upstream 1.32 filtering.go semantics). Three counts per
// topology pair (key, value): existing pods whose required anti-affinity matches the incoming pod;
// existing pods matching all of the incoming pod's required affinity terms; existing pods
// matching its required anti-affinity terms. Filter reads them per node.
import type { AffinityTerm, Node, NodeInfo, Pod, PodInfo, Snapshot } from '../../framework/interfaces.js';
import { termMatchesPod } from '../../framework/podinfo.js';

export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";

/** A node label's value; `typeof` rather than hasOwnProperty: label values are strings, inherited members are not. */
function labelOf(node: Node, key: string): string | undefined {
  const v = node.metadata.labels?.[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Topology pair → count, as topologyKey → value → count (no string keys built in the per-node
 * Filter path); pairs that drop to zero are deleted, so `size` means "any pair counted".
 */
export class TopologyCounts {
  private readonly byKey = new Map<string, Map<string, number>>();
  size = 0;

  bump(node: Node, topologyKey: string, delta: number): void {
    const v = labelOf(node, topologyKey);
    if (v === undefined) return;
    let values = this.byKey.get(topologyKey);
    if (!values) this.byKey.set(topologyKey, (values = new Map()));
    const before = values.get(v);
    const n = (before ?? 0) + delta;
    if (n === 0) {
      if (before !== undefined) {
        values.delete(v);
        this.size--;
      }
    } else {
      if (before === undefined) this.size++;
      values.set(v, n);
    }
  }

  count(topologyKey: string, value: string): number {
    return this.byKey.get(topologyKey)?.get(value) ?? 0;
  }

  /** Does any of the node's labels name a counted pair? */
  anyOnNode(node: Node): boolean {
    const labels = node.metadata.labels;
    if (!labels) return false;
    for (const [key, values] of this.byKey) {
      const v = labels[key];
      if (values.size === 0 || typeof v !== 'string') continue;
      if ((values.get(v) ?? 0) > 0) return true;
    }
    return false;
  }

  copy(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [k, v] of this.byKey) c.byKey.set(k, new Map(v));
    c.size = this.size;
    return c;
  }
}

/** Namespace labels looked up once per namespace per cycle. */
export function namespaceLabelCache(snapshot: Snapshot): (pod: Pod) => Record<string, string> | undefined {
  const cache = new Map<string, Record<string, string> | undefined>();
  return (pod) => {
    const ns = pod.metadata.namespace ?? 'default';
    if (!cache.has(ns)) cache.set(ns, snapshot.namespaceLabels(ns));
    return cache.get(ns);
  };
}

/** Upstream podMatchesAllAffinityTerms: false for no terms. */
export function matchesAllTerms(terms: readonly AffinityTerm[], pod: Pod, nsLabels: Record<string, string> | undefined): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatchesPod(t, pod, nsLabels)) return false;
  return true;
}

export class PreFilterState {
  constructor(
    readonly podInfo: PodInfo,
    readonly namespaceLabels: Record<string, string> | undefined,
    readonly existingAntiAffinity: TopologyCounts,
    readonly affinity: TopologyCounts,
    readonly antiAffinity: TopologyCounts,
    private readonly nsLabelsOf: (pod: Pod) => Record<string, string> | undefined,
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(this.podInfo, this.namespaceLabels, this.existingAntiAffinity.copy(), this.affinity.copy(), this.antiAffinity.copy(), this.nsLabelsOf);
  }

  /** Upstream updateWithPod: `other` added to (+1) or removed from (−1) `node`. */
  updateWithPod(other: PodInfo, node: Node, delta: 1 | -1): void {
    const pod = this.podInfo.pod;
    for (const t of other.requiredAntiAffinityTerms) if (termMatchesPod(t, pod, this.namespaceLabels)) this.existingAntiAffinity.bump(node, t.topologyKey, delta);
    const otherNs = this.nsLabelsOf(other.pod);
    if (matchesAllTerms(this.podInfo.requiredAffinityTerms, other.pod, otherNs)) {
      for (const t of this.podInfo.requiredAffinityTerms) this.affinity.bump(node, t.topologyKey, delta);
    }
    for (const t of this.podInfo.requiredAntiAffinityTerms) if (termMatchesPod(t, other.pod, otherNs)) this.antiAffinity.bump(node, t.topologyKey, delta);
  }
}

export function computePreFilterState(pod: PodInfo, snapshot: Snapshot, allNodes: readonly NodeInfo[]): PreFilterState {
  const nsLabelsOf = namespaceLabelCache(snapshot);
  const own = nsLabelsOf(pod.pod);
  const existingAnti = new TopologyCounts();
  for (const ni of snapshot.havePodsWithRequiredAntiAffinity()) {
    for (const existing of ni.podsWithRequiredAntiAffinity) {
      for (const t of existing.requiredAntiAffinityTerms) if (termMatchesPod(t, pod.pod, own)) existingAnti.bump(ni.node, t.topologyKey, 1);
    }
  }
  const affinity = new TopologyCounts();
  const anti = new TopologyCounts();
  const req = pod.requiredAffinityTerms;
  const reqAnti = pod.requiredAntiAffinityTerms;
  if (req.length || reqAnti.length) {
    // Namespace labels only matter to terms with a namespaceSelector: skip the lookup otherwise.
    const needNs = req.some((t) => t.namespaceSelector !== undefined) || reqAnti.some((t) => t.namespaceSelector !== undefined);
    for (let n = 0; n < allNodes.length; n++) {
      const ni = allNodes[n]!;
      const pods = ni.pods;
      for (let k = 0; k < pods.length; k++) {
        const existing = pods[k]!.pod;
        const ns = needNs ? nsLabelsOf(existing) : undefined;
        if (req.length && matchesAllTerms(req, existing, ns)) for (const t of req) affinity.bump(ni.node, t.topologyKey, 1);
        for (let j = 0; j < reqAnti.length; j++) if (termMatchesPod(reqAnti[j]!, existing, ns)) anti.bump(ni.node, reqAnti[j]!.topologyKey, 1);
      }
    }
  }
  return new PreFilterState(pod, own, existingAnti, affinity, anti, nsLabelsOf);
}

/** Upstream satisfyPodAffinity, including the first-pod-of-a-group case (affinity to itself). */
export function satisfiesAffinity(s: PreFilterState, node: Node): boolean {
  let podsExist = true;
  for (const t of s.podInfo.requiredAffinityTerms) {
    const v = labelOf(node, t.topologyKey);
    if (v === undefined) return false;
    if (s.affinity.count(t.topologyKey, v) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinity.size === 0 && matchesAllTerms(s.podInfo.requiredAffinityTerms, s.podInfo.pod, s.namespaceLabels);
}

export function satisfiesAntiAffinity(s: PreFilterState, node: Node): boolean {
  if (s.antiAffinity.size === 0) return true;
  for (const t of s.podInfo.requiredAntiAffinityTerms) {
    const v = labelOf(node, t.topologyKey);
    if (v !== undefined && s.antiAffinity.count(t.topologyKey, v) > 0) return false;
  }
  return true;
}

export function satisfiesExistingPodsAntiAffinity(s: PreFilterState, node: Node): boolean {
  return s.existingAntiAffinity.size === 0 || !s.existingAntiAffinity.anyOnNode(node);
}
