// Topology spread constraints as PodTopologySpread evaluates them (upstream 1.32 common.go):
// the pod's own constraints filtered by whenUnsatisfiable, or the configured default constraints
// with a selector derived from the Services / ReplicationControllers / ReplicaSets / StatefulSets
// that select the pod; node inclusion policies; the per-node matching-pod count.
import { compileLabelSelector, type LabelSelector } from '../../../../kernel/objects/selectors.js';
import type { Handle, Node, Pod, PodInfo } from '../../framework/interfaces.js';
import { listObjects } from '../listers.js';
import { GenerationMemo, type MemoTable } from '../shared/generation-memo.js';
import { requiredNodeAffinity } from '../shared/nodeselector.js';
import { findMatchingUntoleratedTaint, isDoNotScheduleTaint, nodeTaints, podTolerations } from '../shared/taints.js';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

export type WhenUnsatisfiable = 'DoNotSchedule' | 'ScheduleAnyway';
export type InclusionPolicy = 'Honor' | 'Ignore';

/** core/v1 TopologySpreadConstraint as it appears in pod specs and in the plugin args. */
export interface RawConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: WhenUnsatisfiable;
  labelSelector?: LabelSelector | null;
  minDomains?: number | null;
  nodeAffinityPolicy?: InclusionPolicy | null;
  nodeTaintsPolicy?: InclusionPolicy | null;
  matchLabelKeys?: string[] | null;
}

/**
 * A compiled selector that remembers upstream's distinction: a nil selector matches nothing, an
 * empty one matches everything but counts no pods (countPodsMatchSelector returns 0 for it).
 */
export interface SpreadSelector {
  readonly empty: boolean;
  /** The selector's content as text: equal keys select the same pods (for remembered counts). */
  readonly key: string;
  matches(labels: Record<string, string> | undefined): boolean;
}

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: SpreadSelector;
  minDomains: number;
  nodeAffinityPolicy: InclusionPolicy;
  nodeTaintsPolicy: InclusionPolicy;
}

export const SYSTEM_DEFAULT_CONSTRAINTS: readonly RawConstraint[] = Object.freeze([
  { maxSkew: 3, topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway' },
  { maxSkew: 5, topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway' },
]) as readonly RawConstraint[];

const NOTHING: SpreadSelector = { empty: false, key: 'nil', matches: () => false };
/** spreadSelector({}) (matches every pod, counts none). */
const EMPTY: SpreadSelector = { empty: true, key: JSON.stringify({ matchLabels: {}, matchExpressions: [] }), matches: () => true };

/** A LabelSelector plus extra `key=value` requirements (matchLabelKeys). */
export function spreadSelector(sel: LabelSelector | null | undefined, extra: Record<string, string> = {}): SpreadSelector {
  if (sel === null || sel === undefined) return NOTHING;
  const merged: LabelSelector = { matchLabels: { ...(sel.matchLabels ?? {}) }, matchExpressions: [...(sel.matchExpressions ?? [])] };
  for (const [k, v] of Object.entries(extra)) merged.matchExpressions!.push({ key: k, operator: 'In', values: [v] });
  const key = JSON.stringify(merged);
  let compiled = compiledSelectors.get(key);
  if (!compiled) {
    // Pods of one workload share their selectors: compiled once. Many distinct ones start over.
    if (compiledSelectors.size >= 256) compiledSelectors.clear();
    const empty = Object.keys(merged.matchLabels!).length === 0 && merged.matchExpressions!.length === 0;
    compiledSelectors.set(key, (compiled = { empty, key, matches: compileLabelSelector(merged) }));
  }
  return compiled;
}

/** Compiled selectors by their content (SpreadSelector.key). */
const compiledSelectors = new Map<string, SpreadSelector>();

/** Upstream filterTopologySpreadConstraints: the constraints with `action`, compiled. */
export function compileConstraints(raw: readonly RawConstraint[], podLabels: Record<string, string>, action: WhenUnsatisfiable): Constraint[] {
  const out: Constraint[] = [];
  for (const c of raw) {
    if (c.whenUnsatisfiable !== action) continue;
    const extra: Record<string, string> = {};
    for (const k of c.matchLabelKeys ?? []) if (k in podLabels) extra[k] = podLabels[k]!;
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector: spreadSelector(c.labelSelector, extra),
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
    });
  }
  return out;
}

interface OwnerRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  controller?: boolean;
}

/**
 * Upstream helper.DefaultSelector: the merged selectors of the Services selecting the pod, and of
 * its controlling ReplicationController, ReplicaSet or StatefulSet. Empty when the handle watches
 * none of them (or none selects the pod).
 */
export function defaultSelector(pod: Pod, handle: Handle): SpreadSelector {
  const ns = pod.metadata.namespace ?? 'default';
  const labels = (pod.metadata.labels ?? {}) as Record<string, string>;
  const matchLabels: Record<string, string> = {};
  const matchExpressions: NonNullable<LabelSelector['matchExpressions']> = [];
  for (const svc of listObjects(handle, 'services', ns) ?? []) {
    const sel = (svc.spec as { selector?: Record<string, string> | null } | undefined)?.selector;
    if (!sel) continue;
    if (Object.entries(sel).every(([k, v]) => labels[k] === v)) Object.assign(matchLabels, sel);
  }
  const owner = ((pod.metadata.ownerReferences ?? []) as OwnerRef[]).find((o) => o.controller);
  if (owner?.name) {
    const find = (resource: 'replicationcontrollers' | 'replicasets' | 'statefulsets') =>
      listObjects(handle, resource, ns)?.find((o) => o.metadata.name === owner.name);
    if (owner.kind === 'ReplicationController' && owner.apiVersion === 'v1') {
      const rc = find('replicationcontrollers');
      Object.assign(matchLabels, (rc?.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {});
    } else if ((owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet') && owner.apiVersion === 'apps/v1') {
      const o = find(owner.kind === 'ReplicaSet' ? 'replicasets' : 'statefulsets');
      const sel = (o?.spec as { selector?: LabelSelector } | undefined)?.selector;
      if (sel) {
        for (const [k, v] of Object.entries(sel.matchLabels ?? {})) matchExpressions.push({ key: k, operator: 'In', values: [v] });
        matchExpressions.push(...(sel.matchExpressions ?? []));
      }
    }
  }
  // Nothing selects the pod (the common case): the empty selector, without compiling it again.
  if (Object.keys(matchLabels).length === 0 && matchExpressions.length === 0) return EMPTY;
  return spreadSelector({ matchLabels, matchExpressions });
}

/** A pod's own constraints compiled, per constraints array, for the labels object they were compiled with. */
const compiledOwn = new WeakMap<readonly RawConstraint[], { labels: Record<string, string> | undefined; byAction: Partial<Record<WhenUnsatisfiable, Constraint[]>> }>();

/**
 * The constraints of `action` for a pod: its own, else the defaults with the derived selector.
 * The pod's own are compiled once per spec (objects from the store are replaced, not mutated):
 * do not modify the result.
 */
export function podConstraints(pod: Pod, action: WhenUnsatisfiable, defaults: readonly RawConstraint[], handle: Handle): Constraint[] {
  const own = (pod.spec?.topologySpreadConstraints ?? []) as RawConstraint[];
  const rawLabels = pod.metadata.labels as Record<string, string> | undefined;
  const labels = rawLabels ?? {};
  if (own.length > 0) {
    let c = compiledOwn.get(own);
    if (!c || c.labels !== rawLabels) compiledOwn.set(own, (c = { labels: rawLabels, byAction: {} }));
    return (c.byAction[action] ??= compileConstraints(own, labels, action));
  }
  const constraints = compileConstraints(defaults, labels, action);
  if (constraints.length === 0) return constraints;
  const selector = defaultSelector(pod, handle);
  if (selector.empty) return [];
  for (const c of constraints) c.selector = selector;
  return constraints;
}

/** Upstream nodeLabelsMatchSpreadConstraints: the node has every constraint's topology key. */
export function nodeHasAllTopologyKeys(node: Node, constraints: readonly Constraint[]): boolean {
  const labels = node.metadata.labels ?? {};
  // Label values are strings; inherited members (a key like "constructor") are not.
  for (const c of constraints) if (typeof labels[c.topologyKey] !== 'string') return false;
  return true;
}

/**
 * Upstream matchNodeInclusionPolicies (nodeAffinityPolicy Honor / nodeTaintsPolicy Honor), with
 * the pod's matcher and tolerations resolved once per cycle instead of once per node.
 */
export function inclusionPolicy(pod: Pod): (c: Constraint, node: Node) => boolean {
  const affinity = requiredNodeAffinity(pod);
  const tolerations = podTolerations(pod);
  return (c, node) => {
    if (c.nodeAffinityPolicy === 'Honor' && !affinity(node)) return false;
    if (c.nodeTaintsPolicy === 'Honor' && findMatchingUntoleratedTaint(nodeTaints(node), tolerations, isDoNotScheduleTaint)) return false;
    return true;
  };
}

export function nodeIncluded(c: Constraint, pod: Pod, node: Node): boolean {
  return inclusionPolicy(pod)(c, node);
}

/** Matching pods on a node for one selector and namespace (see matchCounter). */
export type MatchCounter = MemoTable<number>;

const NO_MATCHES: MatchCounter = { on: () => 0, at: () => 0 };
const remembered = new GenerationMemo();

/**
 * countMatchingPods for one selector and namespace, remembered per node while its generation
 * stays the same: a pod's PreFilter then recounts only the nodes that changed since the last pod
 * with the same selector, not every pod of the cluster. Resolve it once per cycle and constraint.
 */
export function matchCounter(selector: SpreadSelector, ns: string): MatchCounter {
  if (selector.empty) return NO_MATCHES;
  const t = remembered.table(`${ns}\u0000${selector.key}`, (ni) => countMatchingPods(ni.pods, selector, ns));
  return {
    on: (ni) => (ni.pods.length === 0 ? 0 : t.on(ni)),
    at: (columns, i) => (columns.podCount[i] === 0 ? 0 : t.at(columns, i)),
  };
}

/** Upstream countPodsMatchSelector: same-namespace, not terminating pods the selector matches. */
export function countMatchingPods(pods: readonly PodInfo[], selector: SpreadSelector, ns: string): number {
  if (selector.empty) return 0;
  let n = 0;
  for (const p of pods) {
    const m = p.pod.metadata;
    if (m.deletionTimestamp || (m.namespace ?? 'default') !== ns) continue;
    if (selector.matches(m.labels as Record<string, string> | undefined)) n++;
  }
  return n;
}
