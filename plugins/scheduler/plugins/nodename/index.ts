// NodeName (PreFilter + Filter): a pod with spec.nodeName only fits that node. PreFilter narrows
// the candidate list to it so the other filters run on one node only.
import type { ClusterEventWithHint, CycleState, EnqueueExtensions, FilterPlugin, NodeInfo, PluginFactory, Pod, PodInfo, PreFilterPlugin, PreFilterResult, Status } from '../../framework/interfaces.js';
import { SUCCESS, status } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { asNodes, eventsFor, QUEUE, SKIP } from '../shared/events.js';
import { noArgs } from '../shared/fielderrors.js';
import { fixedRejection } from '../shared/status.js';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";
const REJECT = fixedRejection(Names.NodeName, 'UnschedulableAndUnresolvable', ERR_REASON_NODE_NAME);

/** Upstream nodename.Fits: no spec.nodeName, or the node's name equals it. */
export function fitsNodeName(pod: Pod, nodeName: string): boolean {
  const wanted = pod.spec?.nodeName as string | undefined;
  return !wanted || wanted === nodeName;
}

export class NodeName implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = Names.NodeName;

  preFilter(_state: CycleState, pod: PodInfo): { result?: PreFilterResult; status: Status } {
    const wanted = pod.pod.spec?.nodeName as string | undefined;
    // Skip: nothing for Filter to check either.
    if (!wanted) return { status: status('Skip') };
    return { result: { nodeNames: new Set([wanted]) }, status: SUCCESS };
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return fitsNodeName(pod.pod, node.name) ? SUCCESS : REJECT;
  }

  /** Node Add|Update: queue when the added/updated node is the one the pod names. */
  eventsToRegister(): ClusterEventWithHint[] {
    return eventsFor('Node', ['Add', 'Update'], (pod, oldObj, newObj) => {
      const { newNode } = asNodes(oldObj, newObj);
      return newNode && fitsNodeName(pod, newNode.metadata.name ?? '') ? QUEUE : SKIP;
    });
  }
}

export const nodeNameFactory: PluginFactory<void> = {
  name: Names.NodeName,
  validate: (args) => noArgs(Names.NodeName, args),
  create: () => new NodeName(),
};
