// NodeUnschedulable (Filter): keeps pods off cordoned nodes (spec.unschedulable) unless they
// tolerate the node.kubernetes.io/unschedulable:NoSchedule taint.
import type { BatchFilterPlugin, ClusterEventWithHint, CycleState, EnqueueExtensions, NodeColumns, NodeInfo, PluginFactory, PodInfo, Status } from '../../framework/interfaces.js';
import { NodeFlag, SUCCESS } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { asNodes, eventsFor, QUEUE, SKIP } from '../shared/events.js';
import { noArgs } from '../shared/fielderrors.js';
import { fixedRejection } from '../shared/status.js';
import { podTolerations, tolerationsTolerateTaint, type Taint } from '../shared/taints.js';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
const REJECT = fixedRejection(Names.NodeUnschedulable, 'UnschedulableAndUnresolvable', ERR_REASON_UNSCHEDULABLE);
export const UNSCHEDULABLE_TAINT: Taint = Object.freeze({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });

export class NodeUnschedulable implements BatchFilterPlugin, EnqueueExtensions {
  readonly name = Names.NodeUnschedulable;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (!node.node.spec?.unschedulable) return SUCCESS;
    // A pod that tolerates the unschedulable taint also tolerates spec.unschedulable.
    if (tolerationsTolerateTaint(podTolerations(pod.pod), UNSCHEDULABLE_TAINT)) return SUCCESS;
    return REJECT;
  }

  filterBatch(_state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], pass: Uint8Array, columns?: NodeColumns): boolean {
    let tolerated: boolean | undefined;
    if (columns) {
      if (columns.flagged.unschedulable === 0) return true;
      const flags = columns.flags;
      for (let i = 0; i < columns.count; i++) {
        if ((flags[i]! & NodeFlag.unschedulable) === 0) continue;
        tolerated ??= tolerationsTolerateTaint(podTolerations(pod.pod), UNSCHEDULABLE_TAINT);
        if (!tolerated) pass[i] = 0;
      }
      return true;
    }
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i]!;
      if (!ni.node.spec?.unschedulable) continue;
      tolerated ??= tolerationsTolerateTaint(podTolerations(pod.pod), UNSCHEDULABLE_TAINT);
      if (!tolerated) pass[ni.index] = 0;
    }
    return true;
  }

  /** Node Add|UpdateNodeTaint: queue when a node becomes schedulable (or is added schedulable). */
  eventsToRegister(): ClusterEventWithHint[] {
    return eventsFor('Node', ['Add', 'UpdateNodeTaint'], (_pod, oldObj, newObj) => {
      const { oldNode, newNode } = asNodes(oldObj, newObj);
      if (!newNode) return SKIP;
      const wasSchedulable = oldNode ? !oldNode.spec?.unschedulable : false;
      return !wasSchedulable && !newNode.spec?.unschedulable ? QUEUE : SKIP;
    });
  }
}

export const nodeUnschedulableFactory: PluginFactory<void> = {
  name: Names.NodeUnschedulable,
  validate: (args) => noArgs(Names.NodeUnschedulable, args),
  create: () => new NodeUnschedulable(),
};
