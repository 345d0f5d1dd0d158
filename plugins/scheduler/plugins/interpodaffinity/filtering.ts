// InterPodAffinity's PreFilter/Filter (upstream 1.32 filtering.go semantics). Three counts per
// topology pair (key, value): existing pods whose required anti-affinity matches the incoming pod;
// existing pods matching all of the incoming pod's required affinity terms; existing pods
// matching its required anti-affinity terms. Filter reads them per node.
import type { AffinityTerm, Node, NodeColumns, NodeInfo, Pod, PodInfo, Snapshot } from '../../framework/interfaces.js';
import { termMatchesPod } from '../../framework/podinfo.js';
import type { DomainIndex, DomainIndexes } from '../shared/domains.js';
import type { GenerationMemo } from '../shared/generation-memo.js';

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
    if (v !== undefined) this.bumpValue(topologyKey, v, delta);
  }

  /** bump() for a node whose value of `topologyKey` is known to be `v`. */
  bumpValue(topologyKey: string, v: string, delta: number): void {
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

  /** The topology keys with counted pairs. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** The counts of `topologyKey` by domain id of `domains` (values no node has are left out). */
  byDomain(topologyKey: string, domains: DomainIndex): Float64Array {
    const out = new Float64Array(domains.values.length);
    for (const [v, n] of this.byKey.get(topologyKey) ?? []) {
      const d = domains.ids.get(v);
      if (d !== undefined) out[d] = n;
    }
    return out;
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

/** Per node: how many existing pods match all of the incoming pod's required affinity terms, and each anti-affinity term. */
interface TermCounts {
  affinity: number;
  anti: number[];
}

/** Per node: (topologyKey, count) of existing pods' anti-affinity terms that match the incoming pod. */
type ExistingAntiPairs = [string, number][];

/**
 * Upstream calPreFilterState. Per-node partial counts are remembered in `memo` (when given) while
 * a node's generation stays the same, keyed by everything else they depend on: the incoming pod's
 * namespace, labels, terms and namespace labels. Terms with a namespaceSelector over *other* pods'
 * namespaces depend on those namespaces' labels too: such pods are counted afresh every cycle.
 */
export function computePreFilterState(pod: PodInfo, snapshot: Snapshot, allNodes: readonly NodeInfo[], memo?: GenerationMemo, domains?: DomainIndexes): PreFilterState {
  const nsLabelsOf = namespaceLabelCache(snapshot);
  const own = nsLabelsOf(pod.pod);
  const incoming = pod.pod;
  // With the snapshot's columns (and domains), nodes are visited by index: the remembered answers
  // and the nodes' topology values are read without touching an unchanged NodeInfo.
  const cols = snapshot.columns?.();
  const columns = cols && domains && cols.nodes === allNodes ? cols : undefined;
  // Each key's index is brought up to date once per cycle (a pass over the nodes' versions).
  const refreshed = new Map<string, DomainIndex>();
  const domainOf = (key: string): DomainIndex => {
    let d = refreshed.get(key);
    if (!d) refreshed.set(key, (d = domains!.get(key, columns!)));
    return d;
  };
  const bumpAt = (counts: TopologyCounts, i: number, ni: () => NodeInfo, key: string, n: number) => {
    if (!columns) return counts.bump(ni().node, key, n);
    const d = domainOf(key);
    const v = d.id[i]!;
    if (v >= 0) counts.bumpValue(key, d.values[v]!, n);
  };

  const existingAntiOn = (ni: NodeInfo): ExistingAntiPairs => {
    const pairs = new Map<string, number>();
    for (const existing of ni.podsWithRequiredAntiAffinity) {
      for (const t of existing.requiredAntiAffinityTerms) if (termMatchesPod(t, incoming, own)) pairs.set(t.topologyKey, (pairs.get(t.topologyKey) ?? 0) + 1);
    }
    return [...pairs];
  };
  const podKey = memo ? JSON.stringify([incoming.metadata.namespace ?? 'default', incoming.metadata.labels ?? {}, own ?? null]) : '';
  const existingAntiOf = memo?.table(`existing ${podKey}`, existingAntiOn);
  const existingAnti = new TopologyCounts();
  for (const ni of snapshot.havePodsWithRequiredAntiAffinity()) {
    const i = ni.index;
    const pairs = !existingAntiOf ? existingAntiOn(ni) : columns ? existingAntiOf.at(columns, i) : existingAntiOf.on(ni);
    for (const [key, n] of pairs) bumpAt(existingAnti, i, () => ni, key, n);
  }
  const affinity = new TopologyCounts();
  const anti = new TopologyCounts();
  const req = pod.requiredAffinityTerms;
  const reqAnti = pod.requiredAntiAffinityTerms;
  if (req.length || reqAnti.length) {
    // Namespace labels only matter to terms with a namespaceSelector: skip the lookup otherwise.
    const needNs = req.some((t) => t.namespaceSelector !== undefined) || reqAnti.some((t) => t.namespaceSelector !== undefined);
    const countOn = (ni: NodeInfo): TermCounts => {
      const out: TermCounts = { affinity: 0, anti: reqAnti.map(() => 0) };
      const pods = ni.pods;
      for (let k = 0; k < pods.length; k++) {
        const existing = pods[k]!.pod;
        const ns = needNs ? nsLabelsOf(existing) : undefined;
        if (req.length && matchesAllTerms(req, existing, ns)) out.affinity++;
        for (let j = 0; j < reqAnti.length; j++) if (termMatchesPod(reqAnti[j]!, existing, ns)) out.anti[j]!++;
      }
      return out;
    };
    const affinityTerms = incoming.spec?.affinity as { podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown }; podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown } } | undefined;
    const countsOf = memo && !needNs
      ? memo.table(`terms ${podKey} ${JSON.stringify([affinityTerms?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null, affinityTerms?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null])}`, countOn)
      : undefined;
    for (let n = 0; n < allNodes.length; n++) {
      if (columns ? columns.podCount[n] === 0 : allNodes[n]!.pods.length === 0) continue;
      const ni = () => allNodes[n]!;
      const c = !countsOf ? countOn(ni()) : columns ? countsOf.at(columns, n) : countsOf.on(ni());
      if (c.affinity) for (const t of req) bumpAt(affinity, n, ni, t.topologyKey, c.affinity);
      for (let j = 0; j < reqAnti.length; j++) if (c.anti[j]) bumpAt(anti, n, ni, reqAnti[j]!.topologyKey, c.anti[j]!);
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

/**
 * satisfiesAffinity, satisfiesAntiAffinity and satisfiesExistingPodsAntiAffinity for every node of
 * `columns` at once, over per-domain counts: clears pass[i] where any of them fails.
 */
export function screenNodes(s: PreFilterState, columns: NodeColumns, domains: DomainIndexes, pass: Uint8Array): void {
  const n = columns.count;
  const req = s.podInfo.requiredAffinityTerms;
  if (req.length) {
    // Upstream's first pod of a group: no matching pod anywhere, and the pod matches its own terms.
    const selfMatch = s.affinity.size === 0 && matchesAllTerms(req, s.podInfo.pod, s.namespaceLabels);
    const terms = req.map((t) => {
      const d = domains.get(t.topologyKey, columns);
      return { id: d.id, count: s.affinity.byDomain(t.topologyKey, d) };
    });
    for (let i = 0; i < n; i++) {
      let podsExist = true;
      let missing = false;
      for (const t of terms) {
        const d = t.id[i]!;
        if (d < 0) {
          missing = true;
          break;
        }
        if (t.count[d]! <= 0) podsExist = false;
      }
      if (missing || (!podsExist && !selfMatch)) pass[i] = 0;
    }
  }
  const excluding = (counts: TopologyCounts, keys: readonly string[]) => {
    for (const key of keys) {
      const d = domains.get(key, columns);
      const count = counts.byDomain(key, d);
      const id = d.id;
      for (let i = 0; i < n; i++) {
        const v = id[i]!;
        if (v >= 0 && count[v]! > 0) pass[i] = 0;
      }
    }
  };
  if (s.antiAffinity.size > 0) excluding(s.antiAffinity, [...new Set(s.podInfo.requiredAntiAffinityTerms.map((t) => t.topologyKey))]);
  if (s.existingAntiAffinity.size > 0) excluding(s.existingAntiAffinity, s.existingAntiAffinity.keys());
}
