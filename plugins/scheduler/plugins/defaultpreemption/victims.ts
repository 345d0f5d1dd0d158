// Victim selection on one node (upstream 1.32 DefaultPreemption.SelectVictimsOnNode): remove every
// lower-priority pod, check the preemptor fits, then reprieve as many as possible — PDB-violating
// victims first, each group from the highest priority down — re-adding a pod whenever the
// preemptor still fits with it. Works on copies of the node and the cycle state.
import { compileLabelSelector, type LabelSelector } from '../../../../kernel/objects/selectors.js';
import type { KubeObject } from '../../../../kernel/objects/types.js';
import { SUCCESS, isSuccess, status, type CycleState, type Handle, type HandleExtensions, type NodeInfo, type Pod, type PodInfo, type Resource, type Status } from '../../framework/interfaces.js';
import { MutableNodeInfo, type BelowPriority } from '../../framework/nodeinfo.js';

export const NO_VICTIMS = 'No preemption victims found for incoming pod';

/** Upstream corev1helpers.PodPriority: spec.priority, 0 when unset. */
export function podPriority(pod: Pod): number {
  return (pod.spec?.priority as number | undefined) ?? 0;
}

/** Upstream util.GetPodStartTime: status.startTime, or now when the pod has not started. */
export function podStartTime(pod: Pod, now = Date.now()): number {
  const t = (pod.status as { startTime?: string } | undefined)?.startTime;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? now : ms;
}

/** Upstream util.MoreImportantPod: higher priority, then the earlier start. */
export function moreImportant(a: Pod, b: Pod): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return podStartTime(a) < podStartTime(b);
}

export function byImportance(a: Pod, b: Pod): number {
  return moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0;
}

/**
 * Sorts as `byImportance` does, with each pod's priority and start time read once (a dry run sorts
 * every lower-priority pod of the node; parsing start times per comparison was most of it). One
 * "now" for the pods that have not started: they compare equal and keep their order.
 */
export function sortByImportance(pods: PodInfo[]): void {
  if (pods.length < 2) return;
  const now = Date.now();
  const keyed = pods.map((p) => ({ p, priority: podPriority(p.pod), start: podStartTime(p.pod, now) }));
  keyed.sort((a, b) => (a.priority !== b.priority ? b.priority - a.priority : a.start < b.start ? -1 : b.start < a.start ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) pods[i] = keyed[i]!.p;
}

/**
 * A writable copy of a snapshot node (preemption's what-ifs must not touch the snapshot); into
 * `scratch` when given and the node is the scheduler's own kind (no allocation per dry run).
 */
export function copyNode(ni: NodeInfo, scratch?: MutableNodeInfo): MutableNodeInfo {
  if (scratch && ni instanceof MutableNodeInfo) return scratch.copyFrom(ni);
  const c = (ni as Partial<MutableNodeInfo>).clone;
  if (typeof c === 'function') return c.call(ni);
  const m = new MutableNodeInfo(ni.node, ni.index);
  for (const p of ni.pods) m.addPod(p);
  return m;
}

interface Pdb {
  namespace: string;
  selector: ((labels: Record<string, string> | undefined) => boolean) | undefined;
  allowed: number;
  disrupted: Set<string>;
}

export type PdbSet = readonly Pdb[];

/** policy/v1 PodDisruptionBudgets in the form filterPodsWithPDBViolation reads. */
export function compilePdbs(objs: readonly KubeObject[]): PdbSet {
  return objs.map((o) => {
    const spec = (o.spec ?? {}) as { selector?: LabelSelector | null };
    const st = (o.status ?? {}) as { disruptionsAllowed?: number; disruptedPods?: Record<string, unknown> };
    const sel = spec.selector;
    const empty = !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
    let selector: Pdb['selector'];
    try {
      // A nil or empty selector matches nothing here (upstream), as does one that does not parse.
      selector = empty ? undefined : compileLabelSelector(sel);
    } catch {
      selector = undefined;
    }
    return { namespace: o.metadata.namespace ?? 'default', selector, allowed: st.disruptionsAllowed ?? 0, disrupted: new Set(Object.keys(st.disruptedPods ?? {})) };
  });
}

/** Upstream filterPodsWithPDBViolation: splits victims into PDB-violating and not, keeping order. */
export function splitByPdbViolation(victims: readonly PodInfo[], pdbs: PdbSet): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((p) => p.allowed);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const v of victims) {
    const labels = v.pod.metadata.labels as Record<string, string> | undefined;
    let violated = false;
    if (labels && Object.keys(labels).length > 0) {
      pdbs.forEach((pdb, i) => {
        if (pdb.namespace !== (v.pod.metadata.namespace ?? 'default') || !pdb.selector || !pdb.selector(labels)) return;
        if (pdb.disrupted.has(v.pod.metadata.name ?? '')) return;
        allowed[i]!--;
        if (allowed[i]! < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(v);
  }
  return { violating, nonViolating };
}

/** The pods nominated to `nodeName` that the preemptor must fit with: equal or higher priority, not itself. */
export function nominatedOthers(handle: Handle & HandleExtensions, pod: PodInfo, nodeName: string): readonly PodInfo[] {
  const all = handle.nominatedPodsForNode?.(nodeName);
  if (!all || all.length === 0) return NONE;
  const prio = podPriority(pod.pod);
  const uid = pod.pod.metadata.uid;
  return all.filter((p) => p.pod.metadata.uid !== uid && podPriority(p.pod) >= prio);
}

const NONE: readonly PodInfo[] = Object.freeze([]);

/**
 * Upstream RunFilterPluginsWithNominatedPods: when pods of equal or higher priority are nominated
 * to the node (`others`, from nominatedOthers), the preemptor must fit both with them and without
 * them. `scratch` receives the copy with them added (reused across calls of one dry run).
 */
export function filterWithNominated(handle: Handle & HandleExtensions, state: CycleState, pod: PodInfo, node: MutableNodeInfo, others = nominatedOthers(handle, pod, node.name), scratch?: MutableNodeInfo): Status {
  if (others.length) {
    const s2 = state.clone();
    const n2 = scratch ? scratch.copyFrom(node) : node.clone();
    for (const o of others) {
      n2.addPod(o);
      const s = handle.runPreFilterExtensionAddPod(s2, pod, o, n2);
      if (!isSuccess(s)) return s;
    }
    const s = handle.runFilterPlugins(s2, pod, n2);
    if (!isSuccess(s)) return s;
  }
  return handle.runFilterPlugins(state, pod, node);
}

/** What NodeResourcesFit decides from a node's totals (its `rejectsTotals`). */
export interface TotalsFilter {
  rejectsTotals(request: Resource, alloc: Resource, used: Resource, podCount: number): boolean;
}

const totals: Resource = { milliCpu: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: new Map() };

/**
 * What the pods of `ni` below `priority` request; kept on the node while its generation holds
 * (most nodes do not change between preemptions, and reading every pod of thousands of nodes is
 * what this spares).
 */
export function belowPriority(ni: NodeInfo, priority: number): BelowPriority {
  const memo = ni instanceof MutableNodeInfo ? ni.belowPriority : undefined;
  if (memo && memo.generation === ni.generation && memo.priority === priority) return memo;
  const sums: BelowPriority = { generation: ni.generation, priority, pods: [], milliCpu: 0, memory: 0, ephemeralStorage: 0, nonZeroMilliCpu: 0, nonZeroMemory: 0, count: 0 };
  for (const p of ni.pods) {
    if (podPriority(p.pod) >= priority) continue;
    sums.pods.push(p);
    sums.milliCpu += p.requests.milliCpu;
    sums.memory += p.requests.memory;
    sums.ephemeralStorage += p.requests.ephemeralStorage;
    sums.nonZeroMilliCpu += p.nonZeroRequests.milliCpu;
    sums.nonZeroMemory += p.nonZeroRequests.memory;
    sums.count++;
  }
  // A frozen node (tests freeze inputs) is simply not memoized.
  if (ni instanceof MutableNodeInfo && Object.isExtensible(ni)) ni.belowPriority = sums;
  return sums;
}

/**
 * True when the resource Filter rejects the preemptor on `ni` even with every lower-priority pod
 * removed and `others` (nominatedOthers) added: selectVictimsOnNode would then end in a failure
 * status whatever the other plugins say (the removal only lowers the totals; with nominated pods
 * the node must pass with them too). Pods requesting scalar resources are not decided here.
 */
export function resourcesRuleOut(fit: TotalsFilter, pod: PodInfo, ni: NodeInfo, others: readonly PodInfo[]): boolean {
  const request = pod.requests;
  if (request.scalar.size > 0) return false;
  const below = belowPriority(ni, podPriority(pod.pod));
  const used = ni.requested;
  let cpu = used.milliCpu - below.milliCpu;
  let memory = used.memory - below.memory;
  let storage = used.ephemeralStorage - below.ephemeralStorage;
  let count = ni.pods.length - below.count;
  for (const o of others) {
    cpu += o.requests.milliCpu;
    memory += o.requests.memory;
    storage += o.requests.ephemeralStorage;
    count++;
  }
  totals.milliCpu = cpu;
  totals.memory = memory;
  totals.ephemeralStorage = storage;
  totals.pods = count;
  return fit.rejectsTotals(request, ni.allocatable, totals, count);
}

export interface Victims {
  pods: Pod[];
  numPdbViolations: number;
}

/** Victims on `node` (a copy, mutated) with `state` (a copy, mutated); a failure status when none helps. */
export function selectVictimsOnNode(
  handle: Handle & HandleExtensions, state: CycleState, pod: PodInfo, node: MutableNodeInfo, pdbs: PdbSet,
  others = nominatedOthers(handle, pod, node.name), withNominated?: MutableNodeInfo, fit?: TotalsFilter, bulk = false,
): { victims?: Victims; status: Status } {
  const prio = podPriority(pod.pod);
  const remove = (p: PodInfo): Status => {
    node.removePod(p.pod);
    return handle.runPreFilterExtensionRemovePod(state, pod, p, node);
  };
  const add = (p: PodInfo): Status => {
    node.addPod(p);
    return handle.runPreFilterExtensionAddPod(state, pod, p, node);
  };
  let potential: PodInfo[];
  // Without PreFilter extensions to tell, the lower-priority pods go at once (kept on the node
  // across preemptions while it does not change).
  const below = bulk ? belowPriority(node, prio) : undefined;
  if (below && node.removeBelow(below)) potential = [...below.pods];
  else {
    potential = [];
    for (const p of [...node.pods]) {
      if (podPriority(p.pod) >= prio) continue;
      potential.push(p);
      const s = remove(p);
      if (!isSuccess(s)) return { status: s };
    }
  }
  if (potential.length === 0) return { status: status('UnschedulableAndUnresolvable', NO_VICTIMS) };
  const fits = filterWithNominated(handle, state, pod, node, others, withNominated);
  if (!isSuccess(fits)) return { status: fits };

  sortByImportance(potential);
  const { violating, nonViolating } = splitByPdbViolation(potential, pdbs);
  const victims: Pod[] = [];
  let numPdbViolations = 0;
  // Sums the resource Filter would see with `p` back and the nominated pods added (see reprieve).
  const canDecide = fit !== undefined && pod.requests.scalar.size === 0;
  let othersCpu = 0;
  let othersMemory = 0;
  let othersStorage = 0;
  for (const o of others) {
    othersCpu += o.requests.milliCpu;
    othersMemory += o.requests.memory;
    othersStorage += o.requests.ephemeralStorage;
  }
  const resourcesRejectWith = (p: PodInfo): boolean => {
    const used = node.requested;
    totals.milliCpu = used.milliCpu + p.requests.milliCpu + othersCpu;
    totals.memory = used.memory + p.requests.memory + othersMemory;
    totals.ephemeralStorage = used.ephemeralStorage + p.requests.ephemeralStorage + othersStorage;
    const count = node.pods.length + 1 + others.length;
    totals.pods = count;
    return fit!.rejectsTotals(pod.requests, node.allocatable, totals, count);
  };
  const reprieve = (p: PodInfo): { fits: boolean; status: Status } => {
    if (canDecide && resourcesRejectWith(p)) {
      // The resource Filter rejects the node with `p` back: the long way (add, filter, remove)
      // ends with `p` a victim and the node and state as they are.
      victims.push(p.pod);
      return { fits: false, status: SUCCESS };
    }
    const s = add(p);
    if (!isSuccess(s)) return { fits: false, status: s };
    const stillFits = isSuccess(filterWithNominated(handle, state, pod, node, others, withNominated));
    if (!stillFits) {
      const r = remove(p);
      if (!isSuccess(r)) return { fits: false, status: r };
      victims.push(p.pod);
    }
    return { fits: stillFits, status: SUCCESS };
  };
  for (const p of violating) {
    const r = reprieve(p);
    if (!isSuccess(r.status)) return { status: r.status };
    if (!r.fits) numPdbViolations++;
  }
  for (const p of nonViolating) {
    const r = reprieve(p);
    if (!isSuccess(r.status)) return { status: r.status };
  }
  if (violating.length && nonViolating.length) victims.sort(byImportance);
  return { victims: { pods: victims, numPdbViolations }, status: SUCCESS };
}
