// PodTopologySpread's PreFilter/Filter (upstream 1.32 filtering.go semantics): per hard
// constraint, matching pods per topology value over the nodes that pass the inclusion policies;
// a node fits when `matches(value) + selfMatch − globalMin ≤ maxSkew`, the global minimum being 0
// while fewer than minDomains domains exist. The two smallest domains are kept incrementally
// ("critical paths") so Filter is O(constraints) per node and preemption's add/remove stay cheap.
import type { Node, NodeInfo, Pod, PodInfo } from '../../framework/interfaces.js';
import type { DomainIndex } from '../shared/domains.js';
import { grown } from '../shared/grow.js';
import { inclusionPolicy, matchCounter, nodeHasAllTopologyKeys, nodeIncluded, type Constraint } from './constraints.js';

export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const UNSET = 2 ** 31 - 1;

/** The two topology values with the fewest matching pods; [0] always holds the minimum. */
export class CriticalPaths {
  v0 = '';
  n0 = UNSET;
  v1 = '';
  n1 = UNSET;

  update(value: string, num: number): void {
    if (value === this.v0 || value === this.v1) {
      if (value === this.v0) this.n0 = num;
      else this.n1 = num;
      if (this.n0 > this.n1) this.swap();
    } else if (num < this.n0) {
      this.v1 = this.v0;
      this.n1 = this.n0;
      this.v0 = value;
      this.n0 = num;
    } else if (num < this.n1) {
      this.v1 = value;
      this.n1 = num;
    }
  }

  private swap(): void {
    [this.v0, this.n0, this.v1, this.n1] = [this.v1, this.n1, this.v0, this.n0];
  }

  clone(): CriticalPaths {
    const c = new CriticalPaths();
    c.v0 = this.v0;
    c.n0 = this.n0;
    c.v1 = this.v1;
    c.n1 = this.n1;
    return c;
  }
}

/** Topology value → matching pods, for the values of eligible domains (a Map, or a DomainMap). */
export interface MatchNum extends Iterable<[string, number]> {
  readonly size: number;
  get(value: string): number | undefined;
  set(value: string, n: number): unknown;
}

/** A MatchNum by domain id of a DomainIndex: a domain is present when `eligible[d]` > 0. */
export class DomainMap implements MatchNum {
  size = 0;

  constructor(readonly index: DomainIndex, public counts: Float64Array, public eligible: Float64Array) {
    for (let d = 0; d < eligible.length; d++) if (eligible[d]! > 0) this.size++;
  }

  get(value: string): number | undefined {
    const d = this.index.ids.get(value);
    return d !== undefined && this.eligible[d]! > 0 ? this.counts[d]! : undefined;
  }

  set(value: string, n: number): void {
    const d = this.index.intern(value);
    if (d >= this.counts.length) {
      this.counts = grown(this.counts, d + 1);
      this.eligible = grown(this.eligible, d + 1);
    }
    if (!(this.eligible[d]! > 0)) {
      this.eligible[d] = 1;
      this.size++;
    }
    this.counts[d] = n;
  }

  *[Symbol.iterator](): IterableIterator<[string, number]> {
    for (let d = 0; d < this.eligible.length; d++) if (this.eligible[d]! > 0) yield [this.index.values[d]!, this.counts[d]!];
  }

  copy(): DomainMap {
    return new DomainMap(this.index, this.counts.slice(), this.eligible.slice());
  }

  /** The critical paths of these counts: the two smallest, by a scan of the present domains. */
  paths(): CriticalPaths {
    const p = new CriticalPaths();
    const { counts, eligible, index } = this;
    let d0 = -1;
    let d1 = -1;
    for (let d = 0; d < eligible.length; d++) {
      if (!(eligible[d]! > 0)) continue;
      const n = counts[d]!;
      if (d0 < 0 || n < counts[d0]!) {
        d1 = d0;
        d0 = d;
      } else if (d1 < 0 || n < counts[d1]!) d1 = d;
    }
    if (d0 >= 0) [p.v0, p.n0] = [index.values[d0]!, counts[d0]!];
    if (d1 >= 0) [p.v1, p.n1] = [index.values[d1]!, counts[d1]!];
    return p;
  }
}

export class PreFilterState {
  constructor(
    readonly constraints: Constraint[],
    /** Per constraint: topology value → matching pods. */
    readonly matchNum: MatchNum[],
    readonly paths: CriticalPaths[],
  ) {}

  /** CycleState.clone() calls this (preemption's what-ifs work on copies). */
  clone(): PreFilterState {
    return new PreFilterState(this.constraints, this.matchNum.map((m) => (m instanceof DomainMap ? m.copy() : new Map(m))), this.paths.map((p) => p.clone()));
  }

  minMatchNum(i: number): number {
    const c = this.constraints[i]!;
    // Fewer eligible domains than minDomains: the global minimum counts as 0.
    if (this.matchNum[i]!.size < c.minDomains) return 0;
    return this.paths[i]!.n0;
  }

  /** Upstream updateWithPod: `other` was added (+1) to or removed (−1) from `node`. */
  updateWithPod(preemptor: Pod, other: Pod, node: Node, delta: 1 | -1): void {
    if ((other.metadata.namespace ?? 'default') !== (preemptor.metadata.namespace ?? 'default')) return;
    if (!nodeHasAllTopologyKeys(node, this.constraints)) return;
    const labels = other.metadata.labels as Record<string, string> | undefined;
    this.constraints.forEach((c, i) => {
      if (!c.selector.matches(labels)) return;
      if (!nodeIncluded(c, preemptor, node)) return;
      const v = node.metadata.labels![c.topologyKey]!;
      const n = (this.matchNum[i]!.get(v) ?? 0) + delta;
      this.matchNum[i]!.set(v, n);
      this.paths[i]!.update(v, n);
    });
  }
}

/** Upstream calPreFilterState over `nodes` (all nodes of the snapshot). */
export function computePreFilterState(pod: Pod, constraints: Constraint[], nodes: readonly NodeInfo[]): PreFilterState {
  const ns = pod.metadata.namespace ?? 'default';
  const matchNum = constraints.map(() => new Map<string, number>());
  const included = inclusionPolicy(pod);
  const counters = constraints.map((c) => matchCounter(c.selector, ns));
  for (const ni of nodes) {
    const node = ni.node;
    if (!nodeHasAllTopologyKeys(node, constraints)) continue;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      if (!included(c, node)) continue;
      const v = node.metadata.labels![c.topologyKey]!;
      const m = matchNum[i]!;
      m.set(v, (m.get(v) ?? 0) + counters[i]!.on(ni));
    }
  }
  const paths = matchNum.map((m) => {
    const p = new CriticalPaths();
    for (const [v, n] of m) p.update(v, n);
    return p;
  });
  return new PreFilterState(constraints, matchNum, paths);
}

export type FilterVerdict = 'fits' | 'missingLabel' | 'skew';

/** Upstream Filter's judgement for one node. */
export function judgeNode(s: PreFilterState, pod: PodInfo, node: Node): FilterVerdict {
  const labels = node.metadata.labels ?? {};
  const podLabels = pod.pod.metadata.labels as Record<string, string> | undefined;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    const v = labels[c.topologyKey];
    if (typeof v !== 'string') return 'missingLabel';
    const self = c.selector.matches(podLabels) ? 1 : 0;
    const skew = (s.matchNum[i]!.get(v) ?? 0) + self - s.minMatchNum(i);
    if (skew > c.maxSkew) return 'skew';
  }
  return 'fits';
}
