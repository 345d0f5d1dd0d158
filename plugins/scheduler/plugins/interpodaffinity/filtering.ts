// InterPodAffinity's PreFilter/Filter (upstream 1.32 filtering.go semantics). Three counts per
// topology pair (key, value): existing pods whose required anti-affinity matches the incoming pod;
// existing pods matching all of the incoming pod's required affinity terms; existing pods
// matching its required anti-affinity terms. Filter reads them per node.
import type { AffinityTerm, Node, NodeColumns, NodeInfo, Pod, PodInfo, Snapshot } from '../../framework/interfaces.js';
import { termMatchesPod } from '../../framework/podinfo.js';
import { labelValue, PairCounts } from '../shared/domain-counts.js';
import type { NodeChanges } from '../shared/changes.js';
import { DomainIndex, type DomainIndexes } from '../shared/domains.js';
import type { GenerationMemo } from '../shared/generation-memo.js';

export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";

/** Per-cycle domain indexes (for counts not kept over the scheduler's columns). */
export function localIndexes(): (key: string) => DomainIndex {
  const byKey = new Map<string, DomainIndex>();
  return (key) => {
    let d = byKey.get(key);
    if (!d) byKey.set(key, (d = new DomainIndex(key)));
    return d;
  };
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
    readonly existingAntiAffinity: PairCounts,
    readonly affinity: PairCounts,
    readonly antiAffinity: PairCounts,
    private readonly nsLabelsOf: (pod: Pod) => Record<string, string> | undefined,
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(this.podInfo, this.namespaceLabels, this.existingAntiAffinity.copy(), this.affinity.copy(), this.antiAffinity.copy(), this.nsLabelsOf);
  }

  /** Upstream updateWithPod: `other` added to (+1) or removed from (−1) `node`. */
  updateWithPod(other: PodInfo, node: Node, delta: 1 | -1): void {
    const pod = this.podInfo.pod;
    for (const t of other.requiredAntiAffinityTerms) if (termMatchesPod(t, pod, this.namespaceLabels)) this.existingAntiAffinity.addOnNode(node, t.topologyKey, delta);
    const otherNs = this.nsLabelsOf(other.pod);
    if (matchesAllTerms(this.podInfo.requiredAffinityTerms, other.pod, otherNs)) {
      for (const t of this.podInfo.requiredAffinityTerms) this.affinity.addOnNode(node, t.topologyKey, delta);
    }
    for (const t of this.podInfo.requiredAntiAffinityTerms) if (termMatchesPod(t, other.pod, otherNs)) this.antiAffinity.addOnNode(node, t.topologyKey, delta);
  }
}

/** Per node: how many existing pods match all of the incoming pod's required affinity terms, and each anti-affinity term. */
export interface TermCounts {
  affinity: number;
  anti: number[];
}

/** Per node: (topologyKey, count) of existing pods' anti-affinity terms that match the incoming pod. */
export type ExistingAntiPairs = [string, number][];

/** What the incoming pod's counts are computed from (shared by the plain and the tallied forms). */
export class PreFilterInputs {
  readonly nsLabelsOf: (pod: Pod) => Record<string, string> | undefined;
  readonly own: Record<string, string> | undefined;
  readonly req: readonly AffinityTerm[];
  readonly reqAnti: readonly AffinityTerm[];
  /** Namespace labels of existing pods matter (a term has a namespaceSelector). */
  readonly needNs: boolean;

  constructor(readonly pod: PodInfo, snapshot: Snapshot) {
    this.nsLabelsOf = namespaceLabelCache(snapshot);
    this.own = this.nsLabelsOf(pod.pod);
    this.req = pod.requiredAffinityTerms;
    this.reqAnti = pod.requiredAntiAffinityTerms;
    // Namespace labels only matter to terms with a namespaceSelector: skip the lookup otherwise.
    this.needNs = this.req.some((t) => t.namespaceSelector !== undefined) || this.reqAnti.some((t) => t.namespaceSelector !== undefined);
  }

  /** The node's existing pods whose required anti-affinity terms match the incoming pod, by topology key. */
  existingAntiOn(ni: NodeInfo): ExistingAntiPairs {
    const pairs = new Map<string, number>();
    const incoming = this.pod.pod;
    for (const existing of ni.podsWithRequiredAntiAffinity) {
      for (const t of existing.requiredAntiAffinityTerms) if (termMatchesPod(t, incoming, this.own)) pairs.set(t.topologyKey, (pairs.get(t.topologyKey) ?? 0) + 1);
    }
    return [...pairs];
  }

  /** The node's existing pods matching all required affinity terms, and each anti-affinity term. */
  termsOn(ni: NodeInfo): TermCounts {
    const { req, reqAnti, needNs } = this;
    const out: TermCounts = { affinity: 0, anti: reqAnti.map(() => 0) };
    const pods = ni.pods;
    for (let k = 0; k < pods.length; k++) {
      const existing = pods[k]!.pod;
      const ns = needNs ? this.nsLabelsOf(existing) : undefined;
      if (req.length && matchesAllTerms(req, existing, ns)) out.affinity++;
      for (let j = 0; j < reqAnti.length; j++) if (termMatchesPod(reqAnti[j]!, existing, ns)) out.anti[j]!++;
    }
    return out;
  }

  /** What remembered counts depend on besides the node: the incoming pod's namespace, labels and namespace labels. */
  podKey(): string {
    const m = this.pod.pod.metadata;
    return (this.podKeyText ??= JSON.stringify([m.namespace ?? 'default', m.labels ?? {}, this.own ?? null]));
  }

  private podKeyText: string | undefined;

  /**
   * What termsOn() depends on besides the node, when no term selects namespaces by label: the
   * required terms as written, the pod's namespace (their default namespace) and, only when a
   * term has matchLabelKeys / mismatchLabelKeys, its labels. Pods of one StatefulSet (labels
   * unique per pod) with the same terms then share remembered counts.
   */
  termsKey(): string {
    type Raw = { matchLabelKeys?: unknown[]; mismatchLabelKeys?: unknown[] }[] | undefined;
    const a = this.pod.pod.spec?.affinity as { podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: Raw }; podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: Raw } } | undefined;
    const req = a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    const anti = a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    const byLabels = [...(req ?? []), ...(anti ?? [])].some((t) => (t?.matchLabelKeys?.length ?? 0) > 0 || (t?.mismatchLabelKeys?.length ?? 0) > 0);
    const m = this.pod.pod.metadata;
    return JSON.stringify([m.namespace ?? 'default', byLabels ? (m.labels ?? {}) : null, req ?? null, anti ?? null]);
  }
}

/**
 * Upstream calPreFilterState, visiting every node (the form without the scheduler's columns; see
 * tally.ts for the form kept across cycles). Per-node partial counts are remembered in `memo`
 * (when given) while a node's generation stays the same, keyed by everything else they depend on:
 * the incoming pod's namespace, labels, terms and namespace labels. Terms with a namespaceSelector
 * over *other* pods' namespaces depend on those namespaces' labels too: such pods are counted
 * afresh every cycle.
 */
export function computePreFilterState(pod: PodInfo, snapshot: Snapshot, allNodes: readonly NodeInfo[], memo?: GenerationMemo): PreFilterState {
  const inputs = new PreFilterInputs(pod, snapshot);
  const indexOf = localIndexes();
  const existingAntiOf = memo?.table(`existing ${inputs.podKey()}`, (ni) => inputs.existingAntiOn(ni));
  const existingAnti = new PairCounts(indexOf);
  for (const ni of snapshot.havePodsWithRequiredAntiAffinity()) {
    for (const [key, n] of existingAntiOf ? existingAntiOf.on(ni) : inputs.existingAntiOn(ni)) existingAnti.addOnNode(ni.node, key, n);
  }
  const affinity = new PairCounts(indexOf);
  const anti = new PairCounts(indexOf);
  const { req, reqAnti } = inputs;
  if (req.length || reqAnti.length) {
    const countsOf = memo && !inputs.needNs ? memo.table(`terms ${inputs.termsKey()}`, (ni) => inputs.termsOn(ni)) : undefined;
    for (const ni of allNodes) {
      if (ni.pods.length === 0) continue;
      const c = countsOf ? countsOf.on(ni) : inputs.termsOn(ni);
      if (c.affinity) for (const t of req) affinity.addOnNode(ni.node, t.topologyKey, c.affinity);
      for (let j = 0; j < reqAnti.length; j++) if (c.anti[j]) anti.addOnNode(ni.node, reqAnti[j]!.topologyKey, c.anti[j]!);
    }
  }
  return new PreFilterState(pod, inputs.own, existingAnti, affinity, anti, inputs.nsLabelsOf);
}

/** Upstream satisfyPodAffinity, including the first-pod-of-a-group case (affinity to itself). */
export function satisfiesAffinity(s: PreFilterState, node: Node): boolean {
  let podsExist = true;
  for (const t of s.podInfo.requiredAffinityTerms) {
    const v = labelValue(node, t.topologyKey);
    if (v === undefined) return false;
    if (s.affinity.get(t.topologyKey, v) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinity.size === 0 && matchesAllTerms(s.podInfo.requiredAffinityTerms, s.podInfo.pod, s.namespaceLabels);
}

export function satisfiesAntiAffinity(s: PreFilterState, node: Node): boolean {
  if (s.antiAffinity.size === 0) return true;
  for (const t of s.podInfo.requiredAntiAffinityTerms) if (s.antiAffinity.onNode(node, t.topologyKey) > 0) return false;
  return true;
}

export function satisfiesExistingPodsAntiAffinity(s: PreFilterState, node: Node): boolean {
  if (s.existingAntiAffinity.size === 0) return true;
  for (const key of s.existingAntiAffinity.keys()) if (s.existingAntiAffinity.onNode(node, key) > 0) return false;
  return true;
}

/**
 * satisfiesAffinity, satisfiesAntiAffinity and satisfiesExistingPodsAntiAffinity for every node of
 * `columns` at once, over per-domain counts: clears pass[i] where any of them fails.
 */
export function screenNodes(s: PreFilterState, columns: NodeColumns, domains: DomainIndexes, pass: Uint8Array, changes?: NodeChanges): void {
  const n = columns.count;
  const req = s.podInfo.requiredAffinityTerms;
  if (req.length) {
    // Upstream's first pod of a group: no matching pod anywhere, and the pod matches its own terms.
    const selfMatch = s.affinity.size === 0 && matchesAllTerms(req, s.podInfo.pod, s.namespaceLabels);
    const terms = req.map((t) => {
      const d = domains.get(t.topologyKey, columns, changes);
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
        if (!(t.count[d]! > 0)) podsExist = false;
      }
      if (missing || (!podsExist && !selfMatch)) pass[i] = 0;
    }
  }
  // Per topology key, the domains where the pod's anti-affinity or an existing pod's forbids it.
  const excluded = new Map<string, PairCounts[]>();
  const exclude = (counts: PairCounts, key: string) => {
    const list = excluded.get(key);
    if (!list) excluded.set(key, [counts]);
    else if (!list.includes(counts)) list.push(counts);
  };
  if (s.antiAffinity.size > 0) for (const t of s.podInfo.requiredAntiAffinityTerms) exclude(s.antiAffinity, t.topologyKey);
  if (s.existingAntiAffinity.size > 0) for (const key of s.existingAntiAffinity.keys()) exclude(s.existingAntiAffinity, key);
  for (const [key, list] of excluded) {
    const d = domains.get(key, columns, changes);
    const id = d.id;
    // By domain id + 1 (0: the node lacks the key: never excluded), so the pass has no branch.
    const a = list[0]!.positiveByDomain(key, d);
    if (list.length === 1) for (let i = 0; i < n; i++) pass[i]! &= 1 ^ a[id[i]! + 1]!;
    else {
      const b = list[1]!.positiveByDomain(key, d);
      for (let i = 0; i < n; i++) {
        const j = id[i]! + 1;
        pass[i]! &= 1 ^ (a[j]! | b[j]!);
      }
    }
  }
}
