// PodTopologySpread's PreScore/Score over the snapshot's NodeColumns: the raw scores of
// computePreScoreState + rawScore (scoring.ts), with the matching pods per domain kept across
// cycles in tallies (as the columnar PreFilter's) instead of summed over every node per pod.
import type { NodeColumns, NodeInfo, Pod } from '../../framework/interfaces.js';
import type { NodeChanges } from '../shared/changes.js';
import { labelValue, type Contribution, type Tallies } from '../shared/domain-counts.js';
import type { DomainIndexes } from '../shared/domains.js';
import { LABEL_HOSTNAME, countMatchingPods, inclusionPolicy, matchCounter, type Constraint, type MatchCounter } from './constraints.js';

const NONE: Contribution = Object.freeze([]);

/** What rawScore needs, by domain id; see computePreScoreState. */
export class ColumnarPreScore {
  constructor(
    readonly constraints: readonly Constraint[],
    /** Per constraint: the node slot's domain id (−1: no label), or undefined for hostname. */
    private readonly ids: (Int32Array | undefined)[],
    /** Per constraint: matching pods by domain id (hostname: unused). */
    private readonly sums: Float64Array[],
    private readonly weights: number[],
    private readonly counters: MatchCounter[],
    /** By node slot: 1 = ignored (a feasible node without every key, when they are required). */
    private readonly ignored: Uint8Array,
    private readonly columns: NodeColumns,
  ) {}

  /** Upstream Score for one node (before NormalizeScore); −1 marks an ignored node. */
  rawScore(ni: NodeInfo): number {
    const i = ni.index;
    if (this.ignored[i] === 1) return -1;
    let score = 0;
    for (let k = 0; k < this.constraints.length; k++) {
      const c = this.constraints[k]!;
      // A node without the key adds nothing for it (scoring.ts: the label must be a string).
      if (labelValue(ni.node, c.topologyKey) === undefined) continue;
      // With the label the node has a domain id (the value "" included).
      const cnt = c.topologyKey === LABEL_HOSTNAME ? this.counters[k]!.at(this.columns, i) : (this.sums[k]![this.ids[k]![i]!] ?? 0);
      score += cnt * this.weights[k]! + (c.maxSkew - 1);
    }
    return Math.round(score);
  }
}

/**
 * computePreScoreState over all nodes of `columns` for the `feasible` ones: the domains of the
 * feasible nodes are found per cycle; the matching pods per domain come from tallies kept across
 * cycles, keyed like the PreFilter's plus whether every key is required.
 */
export function columnarPreScore(
  pod: Pod, constraints: readonly Constraint[], feasible: readonly NodeInfo[], columns: NodeColumns, requireAll: boolean,
  tallies: Tallies, domains: DomainIndexes, changes?: NodeChanges,
): ColumnarPreScore {
  const ns = pod.metadata.namespace ?? 'default';
  const included = inclusionPolicy(pod);
  const n = columns.count;
  const ids = constraints.map((c) => (c.topologyKey === LABEL_HOSTNAME ? undefined : domains.get(c.topologyKey, columns, changes).id));
  const blank = constraints.map((c) => domains.index(c.topologyKey).intern(''));
  // Feasible nodes without every key are ignored (when required); the others mark their domains.
  const ignored = new Uint8Array(n);
  let scored = 0;
  const present = constraints.map((c) => new Uint8Array(domains.index(c.topologyKey).values.length));
  const sizes = constraints.map(() => 0);
  for (const ni of feasible) {
    const i = ni.index;
    if (requireAll && constraints.some((c) => labelValue(ni.node, c.topologyKey) === undefined)) {
      ignored[i] = 1;
      continue;
    }
    scored++;
    for (let k = 0; k < constraints.length; k++) {
      const id = ids[k];
      if (!id) continue;
      const d = id[i]! >= 0 ? id[i]! : blank[k]!;
      if (present[k]![d] === 0) {
        present[k]![d] = 1;
        sizes[k]!++;
      }
    }
  }
  const weights = constraints.map((c, k) => Math.log((c.topologyKey === LABEL_HOSTNAME ? scored : sizes[k]!) + 2));
  const sums = constraints.map((c, k) => {
    if (c.topologyKey === LABEL_HOSTNAME) return new Float64Array(0);
    const key = JSON.stringify([
      'score', ns, c.selector.key, c.topologyKey, requireAll ? constraints.map((x) => x.topologyKey) : null,
      c.nodeAffinityPolicy, c.nodeTaintsPolicy,
      c.nodeAffinityPolicy === 'Honor' ? [pod.spec?.nodeSelector ?? null, pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null] : null,
      c.nodeTaintsPolicy === 'Honor' ? pod.spec?.tolerations ?? null : null,
    ]);
    // Matching pods of included nodes, under the node's value of the key ("" without it, when not required).
    const contribute = (ni: NodeInfo): Contribution => {
      const node = ni.node;
      if (requireAll) for (let x = 0; x < constraints.length; x++) if (labelValue(node, constraints[x]!.topologyKey) === undefined) return NONE;
      if (!included(c, node) || ni.pods.length === 0) return NONE;
      const count = countMatchingPods(ni.pods, c.selector, ns);
      if (count === 0) return NONE;
      return [[0, c.topologyKey, count, labelValue(node, c.topologyKey) ?? '']];
    };
    // Upstream counts only domains with a feasible, scored node: the only ones rawScore reads.
    return tallies.get(key, 1).sync(columns, contribute, changes).channels[0]!.byDomain(c.topologyKey, domains.index(c.topologyKey)).slice();
  });
  return new ColumnarPreScore(constraints, ids, sums, weights, constraints.map((c) => matchCounter(c.selector, ns)), ignored, columns);
}
