// InterPodAffinity's PreScore/Score (upstream 1.32 scoring.go semantics): a score per topology
// pair summed from the incoming pod's preferred (anti-)affinity terms matching existing pods, and
// existing pods' required affinity (× hardPodAffinityWeight) and preferred (anti-)affinity terms
// matching the incoming pod. A node's raw score is the sum over its labels; the kernel's `minMax`
// normalization then maps [min, max] onto [0, 100].
import type { AffinityTerm, Node, NodeInfo, Pod, PodInfo, Snapshot, WeightedAffinityTerm } from '../../framework/interfaces.js';
import { termMatchesPod } from '../../framework/podinfo.js';
import { namespaceLabelCache } from './filtering.js';

export interface ScoringArgs {
  hardPodAffinityWeight: number;
  ignorePreferredTermsOfExistingPods: boolean;
}

/** topologyKey → value → score. */
export type TopologyScore = Map<string, Map<string, number>>;

function add(m: TopologyScore, term: AffinityTerm, weight: number, target: Pod, nsLabels: Record<string, string> | undefined, node: Node): void {
  if (!termMatchesPod(term, target, nsLabels)) return;
  const v = node.metadata.labels?.[term.topologyKey];
  if (typeof v !== 'string') return;
  let byValue = m.get(term.topologyKey);
  if (!byValue) m.set(term.topologyKey, (byValue = new Map()));
  byValue.set(v, (byValue.get(v) ?? 0) + weight);
}

function addAll(m: TopologyScore, terms: readonly WeightedAffinityTerm[], sign: 1 | -1, target: Pod, nsLabels: Record<string, string> | undefined, node: Node): void {
  for (const t of terms) add(m, t, t.weight * sign, target, nsLabels, node);
}

function hasPreferred(pod: Pod): boolean {
  const a = pod.spec?.affinity as Record<string, any> | undefined;
  return (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 || (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
}

/** Upstream PreScore: undefined means Skip (nothing to score). */
export function computeTopologyScore(pod: PodInfo, snapshot: Snapshot, args: ScoringArgs): TopologyScore | undefined {
  const hasConstraints = hasPreferred(pod.pod);
  if (args.ignorePreferredTermsOfExistingPods && !hasConstraints) return undefined;
  const nodes: readonly NodeInfo[] = hasConstraints ? snapshot.list() : snapshot.havePodsWithAffinity();
  const nsLabelsOf = namespaceLabelCache(snapshot);
  const own = nsLabelsOf(pod.pod);
  const m: TopologyScore = new Map();
  for (const ni of nodes) {
    const node = ni.node;
    // A node without labels matches no topology key (upstream skips it).
    if (!node.metadata.labels) continue;
    const pods = hasConstraints ? ni.pods : ni.podsWithAffinity;
    for (const existing of pods) {
      if (hasConstraints) {
        const ns = nsLabelsOf(existing.pod);
        addAll(m, pod.preferredAffinityTerms, 1, existing.pod, ns, node);
        addAll(m, pod.preferredAntiAffinityTerms, -1, existing.pod, ns, node);
      }
      if (args.hardPodAffinityWeight > 0) for (const t of existing.requiredAffinityTerms) add(m, t, args.hardPodAffinityWeight, pod.pod, own, node);
      addAll(m, existing.preferredAffinityTerms, 1, pod.pod, own, node);
      addAll(m, existing.preferredAntiAffinityTerms, -1, pod.pod, own, node);
    }
  }
  return m.size === 0 ? undefined : m;
}

/** Upstream Score: the sum of the node's topology pair scores. */
export function nodeScore(m: TopologyScore, node: Node): number {
  const labels = node.metadata.labels ?? {};
  let score = 0;
  for (const [key, byValue] of m) {
    const v = labels[key];
    if (typeof v === 'string') score += byValue.get(v) ?? 0;
  }
  return score;
}
