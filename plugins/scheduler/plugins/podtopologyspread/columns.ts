// PodTopologySpread over the snapshot's NodeColumns: the same answers as computePreFilterState
// and judgeNode (filtering.ts), computed from per-node domain ids and inclusion verdicts that are
// remembered across cycles (they change only when a node's object does), so a cycle at thousands
// of nodes is a few typed-array loops instead of label lookups and Map updates per node.
import type { NodeColumns, Pod, PodInfo } from '../../framework/interfaces.js';
import { requiredNodeAffinity } from '../shared/nodeselector.js';
import { findMatchingUntoleratedTaint, isDoNotScheduleTaint, nodeTaints, podTolerations } from '../shared/taints.js';
import { DomainIndexes, type DomainIndex } from '../shared/domains.js';
import { NodeVerdicts } from '../shared/verdicts.js';
import { matchCounter, type Constraint } from './constraints.js';
import { CriticalPaths, PreFilterState } from './filtering.js';

export class SpreadColumns {
  private readonly domains = new DomainIndexes();
  private readonly verdicts = new NodeVerdicts();
  private eligible = new Uint8Array(0);

  domainIndex(key: string, columns: NodeColumns): DomainIndex {
    return this.domains.get(key, columns);
  }

  /** Upstream matchNodeInclusionPolicies for every node, into a 0/1 array by node index. */
  private included(c: Constraint, pod: Pod, columns: NodeColumns): Uint8Array {
    const n = columns.count;
    if (this.eligible.length < n + 1) this.eligible = new Uint8Array(Math.max(n + 1, this.eligible.length * 2));
    const ok = this.eligible;
    ok.fill(1, 0, n);
    const spec = pod.spec ?? {};
    if (c.nodeAffinityPolicy === 'Honor' && (spec.nodeSelector || spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution)) {
      const key = `affinity ${JSON.stringify([spec.nodeSelector ?? null, spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null])}`;
      this.verdicts.screen(key, columns.nodes, ok, requiredNodeAffinity(pod), columns);
    }
    if (c.nodeTaintsPolicy === 'Honor') {
      const tolerations = podTolerations(pod);
      this.verdicts.screen(`taints ${JSON.stringify(tolerations)}`, columns.nodes, ok, (node) => !findMatchingUntoleratedTaint(nodeTaints(node), tolerations, isDoNotScheduleTaint), columns);
    }
    return ok;
  }

  /** computePreFilterState over all nodes of `columns`. */
  preFilterState(pod: Pod, constraints: Constraint[], columns: NodeColumns): PreFilterState {
    const ns = pod.metadata.namespace ?? 'default';
    const n = columns.count;
    const ids = constraints.map((c) => this.domainIndex(c.topologyKey, columns).id);
    // A node counts only when it has every constraint's key (upstream nodeLabelsMatchSpreadConstraints).
    const complete = new Uint8Array(n).fill(1);
    for (const id of ids) for (let i = 0; i < n; i++) if (id[i]! < 0) complete[i] = 0;
    const matchNum = constraints.map((c, k) => {
      const domain = this.domainIndex(c.topologyKey, columns);
      const id = ids[k]!;
      const counts = new Float64Array(domain.values.length);
      const present = new Uint8Array(domain.values.length);
      const ok = this.included(c, pod, columns);
      const counter = matchCounter(c.selector, ns);
      for (let i = 0; i < n; i++) {
        if (complete[i] === 0 || ok[i] === 0) continue;
        const d = id[i]!;
        present[d] = 1;
        counts[d]! += counter.at(columns, i);
      }
      const m = new Map<string, number>();
      for (let d = 0; d < counts.length; d++) if (present[d]) m.set(domain.values[d]!, counts[d]!);
      return m;
    });
    const paths = matchNum.map((m) => {
      const p = new CriticalPaths();
      for (const [v, count] of m) p.update(v, count);
      return p;
    });
    return new PreFilterState(constraints, matchNum, paths);
  }

  /** judgeNode for every node: clears pass[i] where it is not 'fits'. */
  screen(s: PreFilterState, pod: PodInfo, columns: NodeColumns, pass: Uint8Array): void {
    const n = columns.count;
    const podLabels = pod.pod.metadata.labels as Record<string, string> | undefined;
    s.constraints.forEach((c, k) => {
      const domain = this.domainIndex(c.topologyKey, columns);
      const byId = new Float64Array(domain.values.length);
      for (let d = 0; d < byId.length; d++) byId[d] = s.matchNum[k]!.get(domain.values[d]!) ?? 0;
      // Allowed matches per domain: skew = matches + self − globalMin ≤ maxSkew.
      const limit = c.maxSkew + s.minMatchNum(k) - (c.selector.matches(podLabels) ? 1 : 0);
      const id = domain.id;
      for (let i = 0; i < n; i++) {
        const d = id[i]!;
        if (d < 0 || byId[d]! > limit) pass[i] = 0;
      }
    });
  }
}
