// Nodes as RunFilterPluginsWithNominatedPods sees them: with the pods nominated to them (after a
// preemption, waiting for their victims to go) of equal or higher priority than the pod in the
// cycle added. While pods wait, every cycle passes the same nodes with the same nominations, so
// the copy is kept per node and made again only when the node (its NodeInfo object or
// generation), its nomination list (a new frozen array on every change), the priority or the
// excluded pod (the pod in the cycle, when it is itself nominated there) changes. Filters only
// read NodeInfos, so sharing the copy is safe, and its generation stays stable, so per-node memos
// of the plugins keep their answers for it. The PreFilter AddPod extensions still run per cycle:
// they write that cycle's state.
import type { NodeInfo, PodInfo } from './framework/interfaces.js';
import type { MutableNodeInfo } from './framework/nodeinfo.js';

export interface NominatedView {
  readonly source: NodeInfo;
  readonly generation: number;
  readonly nominated: readonly PodInfo[];
  readonly priority: number;
  readonly excluded: string | undefined;
  /** The nominated pods that count for this pod. */
  readonly others: readonly PodInfo[];
  /** The node with `others` added; unset when `others` is empty. */
  readonly node: MutableNodeInfo;
}

const priorityOf = (p: PodInfo) => (p.pod.spec.priority as number | undefined) ?? 0;

export class NominatedViews {
  private readonly byNode = new Map<string, NominatedView>();

  /** The view of `ni` for `pod`; `nodeCount` bounds how many views are kept. */
  get(ni: NodeInfo, nominated: readonly PodInfo[], pod: PodInfo, nodeCount: number): NominatedView {
    const priority = priorityOf(pod);
    const uid = pod.pod.metadata.uid;
    let excluded: string | undefined;
    if (uid !== undefined) for (let i = 0; i < nominated.length; i++) if (nominated[i]!.pod.metadata.uid === uid) excluded = uid;
    const known = this.byNode.get(ni.name);
    if (known && known.source === ni && known.generation === ni.generation && known.nominated === nominated && known.priority === priority && known.excluded === excluded) return known;
    const others = nominated.filter((p) => p.pod.metadata.uid !== uid && priorityOf(p) >= priority);
    let node: MutableNodeInfo | undefined;
    if (others.length) {
      node = (ni as MutableNodeInfo).clone();
      for (const o of others) node.addPod(o);
    }
    // Views of removed nodes would pile up otherwise.
    if (this.byNode.size > 2 * nodeCount + 64) this.byNode.clear();
    const view: NominatedView = { source: ni, generation: ni.generation, nominated, priority, excluded, others, node: node! };
    this.byNode.set(ni.name, view);
    return view;
  }

  /** Forgets every view (tests compare against a scheduler that keeps none). */
  clear(): void {
    this.byNode.clear();
  }
}
