// NodePorts (PreFilter + Filter): a pod's host ports must be free on the node. 0.0.0.0 (or an
// empty hostIP) conflicts with the same protocol/port on any IP; a specific IP conflicts with
// itself and with 0.0.0.0 (upstream HostPortInfo.CheckConflict).
import type { ClusterEventWithHint, CycleState, EnqueueExtensions, FilterPlugin, HostPort, NodeInfo, PluginFactory, Pod, PodInfo, PreFilterPlugin, PreFilterResult, Status } from '../../framework/interfaces.js';
import { SUCCESS, errorStatus, status } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { asPods, eventsFor, QUEUE, SKIP } from '../shared/events.js';
import { noArgs } from '../shared/fielderrors.js';
import { fixedRejection } from '../shared/status.js';

export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
const STATE_KEY = 'PreFilterNodePorts';
const REJECT = fixedRejection(Names.NodePorts, 'Unschedulable', ERR_REASON_NODE_PORTS);
export const ALL_IPS = '0.0.0.0';

interface ContainerWithPorts {
  ports?: { hostPort?: number; hostIP?: string; protocol?: string }[];
  restartPolicy?: string;
}

/** The pod's host ports: app containers and sidecar (restartable init) containers, hostPort > 0. */
export function podHostPorts(pod: Pod): HostPort[] {
  const spec = pod.spec ?? {};
  const containers = [
    ...((spec.initContainers ?? []) as ContainerWithPorts[]).filter((c) => c.restartPolicy === 'Always'),
    ...((spec.containers ?? []) as ContainerWithPorts[]),
  ];
  const out: HostPort[] = [];
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.hostPort && p.hostPort > 0) out.push({ ip: p.hostIP || ALL_IPS, protocol: p.protocol || 'TCP', port: p.hostPort });
  }
  return out;
}

/** Upstream HostPortInfo.CheckConflict for one wanted port against a node's used ports. */
export function portConflicts(used: readonly HostPort[], want: HostPort): boolean {
  const ip = want.ip || ALL_IPS;
  const protocol = want.protocol || 'TCP';
  for (const u of used) {
    if (u.port !== want.port || (u.protocol || 'TCP') !== protocol) continue;
    const uip = u.ip || ALL_IPS;
    if (ip === ALL_IPS || uip === ALL_IPS || uip === ip) return true;
  }
  return false;
}

export function fitsPorts(wanted: readonly HostPort[], node: NodeInfo): boolean {
  for (const w of wanted) if (portConflicts(node.usedPorts, w)) return false;
  return true;
}

export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = Names.NodePorts;

  preFilter(state: CycleState, pod: PodInfo): { result?: PreFilterResult; status: Status } {
    const ports = podHostPorts(pod.pod);
    // No host ports: nothing to check, Filter is skipped (upstream 1.28+).
    if (ports.length === 0) return { status: status('Skip') };
    state.write(STATE_KEY, ports);
    return { status: SUCCESS };
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const wanted = state.read<HostPort[]>(STATE_KEY);
    if (!wanted) return errorStatus(new Error(`reading "${STATE_KEY}" from cycleState: not found`));
    return fitsPorts(wanted, node) ? SUCCESS : REJECT;
  }

  /**
   * Pod Delete: queue when a deleted assigned pod held a port the pod wants; Node Add|Update: always
   * (upstream registers these without a hint).
   */
  eventsToRegister(): ClusterEventWithHint[] {
    return [
      ...eventsFor('Pod', ['Delete'], (pod, oldObj, newObj) => {
        const { oldPod } = asPods(oldObj, newObj);
        if (!oldPod?.spec?.nodeName) return SKIP;
        const freed = podHostPorts(oldPod);
        return podHostPorts(pod).some((w) => portConflicts(freed, w)) ? QUEUE : SKIP;
      }),
      ...eventsFor('Node', ['Add', 'Update']),
    ];
  }
}

export const nodePortsFactory: PluginFactory<void> = {
  name: Names.NodePorts,
  validate: (args) => noArgs(Names.NodePorts, args),
  create: () => new NodePorts(),
};
