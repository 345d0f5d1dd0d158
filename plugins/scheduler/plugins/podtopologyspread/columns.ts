// PodTopologySpread over the snapshot's NodeColumns: the same answers as computePreFilterState
// and judgeNode (filtering.ts). Matching pods and eligible nodes per domain are tallies kept
// across cycles (shared/domain-counts.ts), keyed by everything a node's part depends on besides
// the node (namespace, selector, topology keys, inclusion policies and what they read from the
// pod), so a cycle re-reads only the nodes that changed since the last pod with the same key.
import type { NodeColumns, NodeInfo, Pod, PodInfo } from '../../framework/interfaces.js';
import { labelValue, Tallies, type Contribution } from '../shared/domain-counts.js';
import type { NodeChanges } from '../shared/changes.js';
import { DomainIndexes, type DomainIndex } from '../shared/domains.js';
import { countMatchingPods, inclusionPolicy, type Constraint } from './constraints.js';
import { DomainMap, PreFilterState } from './filtering.js';
import { columnarPreScore, type ColumnarPreScore } from './scoring-columns.js';

const NONE: Contribution = Object.freeze([]);

export class SpreadColumns {
  private readonly domains = new DomainIndexes();
  private readonly tallies = new Tallies((key) => this.domains.index(key));
  private allowedByDomain = new Uint8Array(0);

  /** Scratch space: 0/1 by domain id + 1. */
  private allowed(length: number): Uint8Array {
    if (this.allowedByDomain.length < length) this.allowedByDomain = new Uint8Array(Math.max(length, this.allowedByDomain.length * 2, 256));
    return this.allowedByDomain;
  }

  domainIndex(key: string, columns: NodeColumns, changes?: NodeChanges): DomainIndex {
    return this.domains.get(key, columns, changes);
  }

  /** What a node's part of constraint `c` depends on besides the node. */
  private tallyKey(c: Constraint, constraints: readonly Constraint[], pod: Pod): string {
    const spec = pod.spec ?? {};
    return JSON.stringify([
      pod.metadata.namespace ?? 'default',
      c.selector.key,
      c.topologyKey,
      // A node counts only when it has every constraint's key.
      constraints.map((x) => x.topologyKey),
      c.nodeAffinityPolicy,
      c.nodeTaintsPolicy,
      c.nodeAffinityPolicy === 'Honor' ? [spec.nodeSelector ?? null, spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null] : null,
      c.nodeTaintsPolicy === 'Honor' ? spec.tolerations ?? null : null,
    ]);
  }

  /** computePreFilterState over all nodes of `columns` (visiting the slots `changes` found, scanned for this cycle). */
  preFilterState(pod: Pod, constraints: Constraint[], columns: NodeColumns, changes?: NodeChanges): PreFilterState {
    const ns = pod.metadata.namespace ?? 'default';
    const included = inclusionPolicy(pod);
    const matchNum = constraints.map((c) => {
      // Channel 0: matching pods; 1: eligible nodes (a domain with one is present, even with 0 pods).
      const contribute = (ni: NodeInfo): Contribution => {
        const node = ni.node;
        for (let k = 0; k < constraints.length; k++) if (labelValue(node, constraints[k]!.topologyKey) === undefined) return NONE;
        if (!included(c, node)) return NONE;
        return [[0, c.topologyKey, ni.pods.length ? countMatchingPods(ni.pods, c.selector, ns) : 0], [1, c.topologyKey, 1]];
      };
      const tally = this.tallies.get(this.tallyKey(c, constraints, pod), 2).sync(columns, contribute, changes);
      const index = this.domains.index(c.topologyKey);
      const length = index.values.length;
      const counts = new Float64Array(length);
      const eligible = new Float64Array(length);
      const kept = tally.channels[0]!.byDomain(c.topologyKey, index);
      counts.set(kept.length > length ? kept.subarray(0, length) : kept);
      const nodes = tally.channels[1]!.byDomain(c.topologyKey, index);
      eligible.set(nodes.length > length ? nodes.subarray(0, length) : nodes);
      return new DomainMap(index, counts, eligible);
    });
    return new PreFilterState(constraints, matchNum, matchNum.map((m) => m.paths()));
  }

  /** computePreScoreState + rawScore over all nodes of `columns`, for the `feasible` ones. */
  preScore(pod: Pod, constraints: Constraint[], feasible: readonly NodeInfo[], columns: NodeColumns, requireAll: boolean, changes?: NodeChanges): ColumnarPreScore {
    return columnarPreScore(pod, constraints, feasible, columns, requireAll, this.tallies, this.domains, changes);
  }

  /** judgeNode for every node: clears pass[i] where it is not 'fits'. */
  screen(s: PreFilterState, pod: PodInfo, columns: NodeColumns, pass: Uint8Array, changes?: NodeChanges): void {
    const n = columns.count;
    const podLabels = pod.pod.metadata.labels as Record<string, string> | undefined;
    s.constraints.forEach((c, k) => {
      const domain = this.domainIndex(c.topologyKey, columns, changes);
      const m = s.matchNum[k]!;
      let byId: Float64Array;
      if (m instanceof DomainMap && m.index === domain) byId = m.counts;
      else {
        byId = new Float64Array(domain.values.length);
        for (let d = 0; d < byId.length; d++) byId[d] = m.get(domain.values[d]!) ?? 0;
      }
      // Allowed matches per domain: skew = matches + self − globalMin ≤ maxSkew. By domain id + 1
      // (0: the node lacks the key), so the loop over nodes has no branch.
      const limit = c.maxSkew + s.minMatchNum(k) - (c.selector.matches(podLabels) ? 1 : 0);
      const domains = domain.values.length;
      const allowed = this.allowed(domains + 1);
      allowed[0] = 0;
      const known = Math.min(byId.length, domains);
      let rejected = domain.missing;
      for (let d = 0; d < known; d++) {
        const ok = byId[d]! > limit ? 0 : 1;
        allowed[d + 1] = ok;
        rejected += 1 - ok;
      }
      // Domains past the counts' end have no matching pods.
      allowed.fill(0 > limit ? 0 : 1, known + 1, domains + 1);
      if (known < domains && 0 > limit) rejected++;
      // Every node has the key and every domain is within the skew: nothing to clear.
      if (rejected === 0) return;
      const id = domain.id;
      for (let i = 0; i < n; i++) pass[i]! &= allowed[id[i]! + 1]!;
    });
  }
}
