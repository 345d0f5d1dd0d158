// InterPodAffinity's PreScore/Score (upstream 1.32 scoring.go semantics): a score per topology
// pair summed from the incoming pod's preferred (anti-)affinity terms matching existing pods, and
// existing pods' required affinity (× hardPodAffinityWeight) and preferred (anti-)affinity terms
// matching the incoming pod. A node's raw score is the sum over its labels; the kernel's `minMax`
// normalization then maps [min, max] onto [0, 100].
import type { AffinityTerm, NodeColumns, NodeInfo, Pod, PodInfo, Snapshot, WeightedAffinityTerm } from '../../framework/interfaces.js';
import { termMatchesPod } from '../../framework/podinfo.js';
import { DomainTally, PairCounts, labelValue, type Contribution, type Tallies } from '../shared/domain-counts.js';
import type { NodeChanges } from '../shared/changes.js';
import type { DomainIndexes } from '../shared/domains.js';
import { localIndexes, namespaceLabelCache } from './filtering.js';

export interface ScoringArgs {
  hardPodAffinityWeight: number;
  ignorePreferredTermsOfExistingPods: boolean;
}

/** Scores by topology pair. */
export type TopologyScore = PairCounts;

type Entry = [channel: 0, topologyKey: string, weight: number];

function hasPreferred(pod: Pod): boolean {
  const a = pod.spec?.affinity as Record<string, any> | undefined;
  return (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 || (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
}

/** Does the pod have preferred pod (anti-)affinity terms (upstream's hasConstraints)? */
export function hasPreferredTerms(pod: PodInfo): boolean {
  return hasPreferred(pod.pod);
}

/** The incoming pod, resolved once per cycle; `on(ni)` is one node's part of upstream PreScore. */
class ScoreInputs {
  readonly hasConstraints: boolean;
  readonly nsLabelsOf: (pod: Pod) => Record<string, string> | undefined;
  readonly own: Record<string, string> | undefined;

  constructor(readonly pod: PodInfo, snapshot: Snapshot, private readonly args: ScoringArgs) {
    this.hasConstraints = hasPreferred(pod.pod);
    this.nsLabelsOf = namespaceLabelCache(snapshot);
    this.own = this.nsLabelsOf(pod.pod);
  }

  /** Upstream PreScore returns Skip without looking at any pod. */
  get skipped(): boolean {
    return this.args.ignorePreferredTermsOfExistingPods && !this.hasConstraints;
  }

  /** The (topologyKey, ± weight) terms matching on `ni`'s pods; the node's values are looked up by the caller. */
  on(ni: NodeInfo): Contribution {
    const out: Entry[] = [];
    // A node without labels matches no topology key (upstream skips it).
    if (!ni.node.metadata.labels) return out;
    const incoming = this.pod.pod;
    const add = (term: AffinityTerm, weight: number, target: Pod, nsLabels: Record<string, string> | undefined) => {
      if (termMatchesPod(term, target, nsLabels)) out.push([0, term.topologyKey, weight]);
    };
    const addAll = (terms: readonly WeightedAffinityTerm[], sign: 1 | -1, target: Pod, nsLabels: Record<string, string> | undefined) => {
      for (const t of terms) add(t, t.weight * sign, target, nsLabels);
    };
    const pods = this.hasConstraints ? ni.pods : ni.podsWithAffinity;
    for (const existing of pods) {
      if (this.hasConstraints) {
        const ns = this.nsLabelsOf(existing.pod);
        addAll(this.pod.preferredAffinityTerms, 1, existing.pod, ns);
        addAll(this.pod.preferredAntiAffinityTerms, -1, existing.pod, ns);
      }
      if (this.args.hardPodAffinityWeight > 0) for (const t of existing.requiredAffinityTerms) add(t, this.args.hardPodAffinityWeight, incoming, this.own);
      addAll(existing.preferredAffinityTerms, 1, incoming, this.own);
      addAll(existing.preferredAntiAffinityTerms, -1, incoming, this.own);
    }
    return out;
  }

  /**
   * What a node's part depends on besides the node, for a tally kept across cycles; undefined when
   * it also depends on other namespaces' labels (the incoming pod's preferred terms select
   * namespaces by label), which are then read afresh.
   */
  tallyKey(): string | undefined {
    const p = this.pod;
    if (this.hasConstraints && [...p.preferredAffinityTerms, ...p.preferredAntiAffinityTerms].some((t) => t.namespaceSelector !== undefined)) return undefined;
    const m = p.pod.metadata;
    const a = p.pod.spec?.affinity as Record<string, any> | undefined;
    const preferred = this.hasConstraints ? [a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? null, a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? null] : null;
    return `score ${JSON.stringify([m.namespace ?? 'default', m.labels ?? {}, this.own ?? null, preferred])}`;
  }
}

/** Upstream PreScore over the snapshot's nodes: undefined means Skip (nothing to score). */
export function computeTopologyScore(pod: PodInfo, snapshot: Snapshot, args: ScoringArgs): TopologyScore | undefined {
  const inputs = new ScoreInputs(pod, snapshot, args);
  if (inputs.skipped) return undefined;
  const nodes: readonly NodeInfo[] = inputs.hasConstraints ? snapshot.list() : snapshot.havePodsWithAffinity();
  const m = new PairCounts(localIndexes());
  // Upstream skips when no pair was touched, even if its weights summed to 0.
  let touched = false;
  for (const ni of nodes) {
    for (const [, key, weight] of inputs.on(ni)) {
      const v = labelValue(ni.node, key);
      if (v === undefined) continue;
      m.add(key, v, weight);
      touched = true;
    }
  }
  return touched ? m : undefined;
}

/**
 * computeTopologyScore over the snapshot's columns with sums kept across cycles (`tallies`): a
 * cycle re-reads only the nodes whose pods or object changed since the last pod with the same key.
 */
export function tallyTopologyScore(pod: PodInfo, snapshot: Snapshot, args: ScoringArgs, columns: NodeColumns, tallies: Tallies, domains: DomainIndexes, changes?: NodeChanges): TopologyScore | undefined {
  const inputs = new ScoreInputs(pod, snapshot, args);
  if (inputs.skipped) return undefined;
  const key = inputs.tallyKey();
  const contribute = (ni: NodeInfo) => inputs.on(ni);
  const tally = key === undefined ? new DomainTally(1, (k) => domains.index(k)).sync(columns, contribute) : tallies.get(key, 1).sync(columns, contribute, changes);
  return tally.nodes === 0 ? undefined : tally.channels[0]!.view();
}

/** Upstream Score: the sum of the node's topology pair scores. */
export function nodeScore(m: TopologyScore, ni: NodeInfo): number {
  let score = 0;
  for (const key of m.keys()) score += m.onNode(ni.node, key);
  return score;
}

/** nodeScore for each of `nodes` into raw[node.index], over the columns' domain ids. */
export function scoreNodes(m: TopologyScore, nodes: readonly NodeInfo[], raw: Float64Array, columns: NodeColumns, domains: DomainIndexes, changes?: NodeChanges): void {
  for (const ni of nodes) raw[ni.index] = 0;
  for (const key of m.keys()) {
    const index = domains.get(key, columns, changes);
    const sums = m.byDomain(key, index);
    const id = index.id;
    for (const ni of nodes) {
      const d = id[ni.index]!;
      if (d >= 0 && d < sums.length) raw[ni.index] += sums[d]!;
    }
  }
}
