// TaintToleration (Filter, PreScore, Score): NoSchedule/NoExecute taints must be tolerated; nodes
// with fewer intolerable PreferNoSchedule taints score higher (column normalized `defaultReverse`
// by the kernel, upstream's DefaultNormalizeScore(reverse=true)).
import type {
  BatchFilterPlugin, ClusterEventWithHint, ColumnScorePlugin, CycleState, EnqueueExtensions, NodeColumns, NodeInfo, PluginFactory, PodInfo, PreScorePlugin, Status,
} from '../../framework/interfaces.js';
import { NodeFlag, SUCCESS } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { asNodes, eventsFor, QUEUE, SKIP } from '../shared/events.js';
import { noArgs } from '../shared/fielderrors.js';
import { fixedRejection } from '../shared/status.js';
import { findMatchingUntoleratedTaint, isDoNotScheduleTaint, nodeTaints, podTolerations, tolerationsTolerateTaint, type Taint, type Toleration } from '../shared/taints.js';

const PRESCORE_KEY = 'PreScoreTaintToleration';
/** One rejection per taint object (node specs are replaced, not mutated, on update). */
const rejections = new WeakMap<Taint, Status>();

/** Upstream message: `node(s) had untolerated taint {key: value}`. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/** Tolerations that can tolerate PreferNoSchedule taints: empty effect or PreferNoSchedule. */
export function preferNoScheduleTolerations(tolerations: readonly Toleration[]): Toleration[] {
  return tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
}

/** The raw score: how many PreferNoSchedule taints of the node are not tolerated. */
export function countIntolerablePreferNoSchedule(taints: readonly Taint[], tolerations: readonly Toleration[]): number {
  let n = 0;
  for (const t of taints) if (t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, t)) n++;
  return n;
}

export class TaintToleration implements BatchFilterPlugin, PreScorePlugin, ColumnScorePlugin, EnqueueExtensions {
  readonly name = Names.TaintToleration;
  readonly normalization = 'defaultReverse' as const;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const taint = findMatchingUntoleratedTaint(nodeTaints(node.node), podTolerations(pod.pod), isDoNotScheduleTaint);
    if (!taint) return SUCCESS;
    let s = rejections.get(taint);
    if (!s) rejections.set(taint, (s = fixedRejection(this.name, 'UnschedulableAndUnresolvable', untoleratedTaintReason(taint))));
    return s;
  }

  filterBatch(_state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], pass: Uint8Array, columns?: NodeColumns): boolean {
    const tolerations = podTolerations(pod.pod);
    if (columns) {
      if (columns.flagged.taints === 0) return true;
      const flags = columns.flags;
      for (let i = 0; i < columns.count; i++) {
        if ((flags[i]! & NodeFlag.taints) !== 0 && findMatchingUntoleratedTaint(nodeTaints(columns.nodes[i]!.node), tolerations, isDoNotScheduleTaint)) pass[i] = 0;
      }
      return true;
    }
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i]!;
      const taints = nodeTaints(ni.node);
      if (taints.length && findMatchingUntoleratedTaint(taints, tolerations, isDoNotScheduleTaint)) pass[ni.index] = 0;
    }
    return true;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return SUCCESS;
    state.write(PRESCORE_KEY, preferNoScheduleTolerations(podTolerations(pod.pod)));
    return SUCCESS;
  }

  scoreColumn(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], raw: Float64Array, columns?: NodeColumns): Status {
    // Without PreScore (disabled), compute the tolerations here, as upstream's fallback does.
    const tolerations = state.read<Toleration[]>(PRESCORE_KEY) ?? preferNoScheduleTolerations(podTolerations(pod.pod));
    if (columns) {
      if (columns.flagged.taints === 0) {
        raw.fill(0, 0, columns.count);
        return SUCCESS;
      }
      const flags = columns.flags;
      for (let i = 0; i < columns.count; i++) raw[i] = (flags[i]! & NodeFlag.taints) !== 0 ? countIntolerablePreferNoSchedule(nodeTaints(columns.nodes[i]!.node), tolerations) : 0;
      return SUCCESS;
    }
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i]!;
      const taints = nodeTaints(ni.node);
      raw[ni.index] = taints.length ? countIntolerablePreferNoSchedule(taints, tolerations) : 0;
    }
    return SUCCESS;
  }

  /** Node Add|UpdateNodeTaint: queue when the node's NoSchedule/NoExecute taints become tolerated. */
  eventsToRegister(): ClusterEventWithHint[] {
    return eventsFor('Node', ['Add', 'UpdateNodeTaint'], (pod, oldObj, newObj) => {
      const { oldNode, newNode } = asNodes(oldObj, newObj);
      if (!newNode) return SKIP;
      const tolerations = podTolerations(pod);
      const wasUntolerated = oldNode ? findMatchingUntoleratedTaint(nodeTaints(oldNode), tolerations, isDoNotScheduleTaint) !== undefined : true;
      const isUntolerated = findMatchingUntoleratedTaint(nodeTaints(newNode), tolerations, isDoNotScheduleTaint) !== undefined;
      return wasUntolerated && !isUntolerated ? QUEUE : SKIP;
    });
  }
}

export const taintTolerationFactory: PluginFactory<void> = {
  name: Names.TaintToleration,
  validate: (args) => noArgs(Names.TaintToleration, args),
  create: () => new TaintToleration(),
};
