// PodTopologySpread's PreScore/Score (upstream 1.32 scoring.go semantics): soft constraints;
// per feasible node `Σ count·log(domains + 2) + (maxSkew − 1)` rounded, where count is the
// matching pods in the node's domain (for the hostname key: on the node itself). Nodes missing a
// topology key are ignored (raw −1 → normalized 0 by the kernel's `topologySpread` mode, which
// then applies `100·(max + min − raw)/max`).
import type { NodeInfo, Pod } from '../../framework/interfaces.js';
import { LABEL_HOSTNAME, inclusionPolicy, matchCounter, type MatchCounter, nodeHasAllTopologyKeys, type Constraint } from './constraints.js';

export class PreScoreState {
  /** Nodes without every topology key (when required): scored −1 (ignored). */
  readonly ignored = new Set<string>();
  /** Per constraint: topology value → matching pods (only values of feasible nodes; not for hostname). */
  readonly counts: Map<string, number>[];
  readonly weights: number[] = [];
  /** Per constraint: matching pods on a node (remembered across cycles). */
  counters: MatchCounter[] = [];
  constructor(readonly constraints: Constraint[]) {
    this.counts = constraints.map(() => new Map());
  }
}

/**
 * Upstream initPreScoreState + PreScore's counting pass. `requireAllTopologies` is false only for
 * system-defaulted constraints (so nodes without a zone label still get hostname spreading).
 */
export function computePreScoreState(pod: Pod, constraints: Constraint[], feasible: readonly NodeInfo[], all: readonly NodeInfo[], requireAllTopologies: boolean): PreScoreState {
  const s = new PreScoreState(constraints);
  const domains = constraints.map(() => 0);
  for (const ni of feasible) {
    if (requireAllTopologies && !nodeHasAllTopologyKeys(ni.node, constraints)) {
      s.ignored.add(ni.name);
      continue;
    }
    constraints.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME) return;
      const v = ni.node.metadata.labels?.[c.topologyKey] ?? '';
      if (!s.counts[i]!.has(v)) {
        s.counts[i]!.set(v, 0);
        domains[i]!++;
      }
    });
  }
  constraints.forEach((c, i) => {
    const size = c.topologyKey === LABEL_HOSTNAME ? feasible.length - s.ignored.size : domains[i]!;
    s.weights.push(Math.log(size + 2));
  });
  const ns = pod.metadata.namespace ?? 'default';
  const included = inclusionPolicy(pod);
  const counters = constraints.map((c) => matchCounter(c.selector, ns));
  s.counters = counters;
  for (const ni of all) {
    const node = ni.node;
    if (requireAllTopologies && !nodeHasAllTopologyKeys(node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!included(c, node)) return;
      const v = node.metadata.labels?.[c.topologyKey] ?? '';
      const m = s.counts[i]!;
      const cur = m.get(v);
      // Domains with no feasible node (and hostname, counted in score) are not counted.
      if (cur === undefined || c.topologyKey === LABEL_HOSTNAME) return;
      m.set(v, cur + counters[i]!.on(ni));
    });
  }
  return s;
}

/** Upstream Score for one node (before NormalizeScore); −1 marks an ignored node. */
export function rawScore(s: PreScoreState, pod: Pod, ni: NodeInfo): number {
  if (s.ignored.has(ni.name)) return -1;
  const labels = ni.node.metadata.labels ?? {};
  const ns = pod.metadata.namespace ?? 'default';
  let score = 0;
  s.constraints.forEach((c, i) => {
    const v = labels[c.topologyKey];
    if (typeof v !== 'string') return;
    const cnt = c.topologyKey === LABEL_HOSTNAME ? s.counters[i]!.on(ni) : (s.counts[i]!.get(v) ?? 0);
    score += cnt * s.weights[i]! + (c.maxSkew - 1);
  });
  return Math.round(score);
}
