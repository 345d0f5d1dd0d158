// InterPodAffinity's PreFilter over the scheduler's columns with counts kept across cycles: the
// same PreFilterState as computePreFilterState (filtering.ts), from DomainTallies keyed by what
// the per-node counts depend on besides the node (the incoming pod's namespace, labels, namespace
// labels and terms). After a binding, the next pod with the same key re-reads one node.
import type { NodeColumns, NodeInfo, PodInfo, Snapshot } from '../../framework/interfaces.js';
import { DomainTally, type Contribution, type Tallies } from '../shared/domain-counts.js';
import type { NodeChanges } from '../shared/changes.js';
import type { DomainIndexes } from '../shared/domains.js';
import { PreFilterInputs, PreFilterState } from './filtering.js';

const NONE: Contribution = Object.freeze([]);

/** Upstream calPreFilterState over every node of `columns`, from tallies kept in `tallies` (visiting the slots `changes` found). */
export function tallyPreFilterState(pod: PodInfo, snapshot: Snapshot, columns: NodeColumns, tallies: Tallies, domains: DomainIndexes, changes?: NodeChanges): PreFilterState {
  const inputs = new PreFilterInputs(pod, snapshot);
  const { req, reqAnti } = inputs;
  const indexOf = (k: string) => domains.index(k);
  const existingAnti = (ni: NodeInfo): Contribution => {
    if (ni.podsWithRequiredAntiAffinity.length === 0) return NONE;
    return inputs.existingAntiOn(ni).map(([key, n]) => [0, key, n] as const);
  };
  const existing = tallies.get(`existing ${inputs.podKey()}`, 1).sync(columns, existingAnti, changes).channels[0]!.view();

  // Channel 0: pods matching all required affinity terms (under each term's key); 1: each anti-affinity term.
  const terms = (ni: NodeInfo): Contribution => {
    if (ni.pods.length === 0) return NONE;
    const c = inputs.termsOn(ni);
    const out: (readonly [number, string, number])[] = [];
    if (c.affinity) for (const t of req) out.push([0, t.topologyKey, c.affinity]);
    for (let j = 0; j < reqAnti.length; j++) if (c.anti[j]) out.push([1, reqAnti[j]!.topologyKey, c.anti[j]!]);
    return out;
  };
  let counted: DomainTally;
  if (!req.length && !reqAnti.length) counted = new DomainTally(2, indexOf);
  // Terms selecting namespaces by label depend on other namespaces' labels: counted afresh.
  else if (inputs.needNs) counted = new DomainTally(2, indexOf).sync(columns, terms);
  else counted = tallies.get(`terms ${inputs.termsKey()}`, 2).sync(columns, terms, changes);
  return new PreFilterState(pod, inputs.own, existing, counted.channels[0]!.view(), counted.channels[1]!.view(), inputs.nsLabelsOf);
}
