// Victim selection on one node (upstream 1.32 DefaultPreemption.SelectVictimsOnNode): remove every
// lower-priority pod, check the preemptor fits, then reprieve as many as possible — PDB-violating
// victims first, each group from the highest priority down — re-adding a pod whenever the
// preemptor still fits with it. Works on copies of the node and the cycle state.
import { compileLabelSelector, type LabelSelector } from '../../../../kernel/objects/selectors.js';
import type { KubeObject } from '../../../../kernel/objects/types.js';
import { SUCCESS, isSuccess, status, type CycleState, type Handle, type HandleExtensions, type NodeInfo, type Pod, type PodInfo, type Status } from '../../framework/interfaces.js';
import { MutableNodeInfo } from '../../framework/nodeinfo.js';

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

/**
 * Upstream RunFilterPluginsWithNominatedPods: when pods of equal or higher priority are nominated
 * to the node, the preemptor must fit both with them and without them.
 */
export function filterWithNominated(handle: Handle & HandleExtensions, state: CycleState, pod: PodInfo, node: MutableNodeInfo): Status {
  const prio = podPriority(pod.pod);
  const nominated = (handle.nominatedPodsForNode?.(node.name) ?? []).filter((p) => p.pod.metadata.uid !== pod.pod.metadata.uid && podPriority(p.pod) >= prio);
  if (nominated.length) {
    const s2 = state.clone();
    const n2 = node.clone();
    for (const o of nominated) {
      n2.addPod(o);
      const s = handle.runPreFilterExtensionAddPod(s2, pod, o, n2);
      if (!isSuccess(s)) return s;
    }
    const s = handle.runFilterPlugins(s2, pod, n2);
    if (!isSuccess(s)) return s;
  }
  return handle.runFilterPlugins(state, pod, node);
}

export interface Victims {
  pods: Pod[];
  numPdbViolations: number;
}

/** Victims on `node` (a copy, mutated) with `state` (a copy, mutated); a failure status when none helps. */
export function selectVictimsOnNode(handle: Handle & HandleExtensions, state: CycleState, pod: PodInfo, node: MutableNodeInfo, pdbs: PdbSet): { victims?: Victims; status: Status } {
  const prio = podPriority(pod.pod);
  const remove = (p: PodInfo): Status => {
    node.removePod(p.pod);
    return handle.runPreFilterExtensionRemovePod(state, pod, p, node);
  };
  const add = (p: PodInfo): Status => {
    node.addPod(p);
    return handle.runPreFilterExtensionAddPod(state, pod, p, node);
  };
  const potential: PodInfo[] = [];
  for (const p of [...node.pods]) {
    if (podPriority(p.pod) >= prio) continue;
    potential.push(p);
    const s = remove(p);
    if (!isSuccess(s)) return { status: s };
  }
  if (potential.length === 0) return { status: status('UnschedulableAndUnresolvable', NO_VICTIMS) };
  const fits = filterWithNominated(handle, state, pod, node);
  if (!isSuccess(fits)) return { status: fits };

  potential.sort((a, b) => byImportance(a.pod, b.pod));
  const { violating, nonViolating } = splitByPdbViolation(potential, pdbs);
  const victims: Pod[] = [];
  let numPdbViolations = 0;
  const reprieve = (p: PodInfo): { fits: boolean; status: Status } => {
    const s = add(p);
    if (!isSuccess(s)) return { fits: false, status: s };
    const stillFits = isSuccess(filterWithNominated(handle, state, pod, node));
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
