// The scheduler cache: one MutableNodeInfo per node with the pods assigned (or assumed) to it,
// image states, namespace labels, and the scorer's node columns kept in step (NodeInfo.index =
// scorer slot). Snapshots are updated incrementally: only nodes changed since the last update are
// cloned, as upstream's generation-based UpdateSnapshot.
import type { NodeResources, NodeScorer } from '../../wasm/score/types.js';
import type { Node, NodeColumns, NodeInfo, Pod, PodInfo, Snapshot } from './framework/interfaces.js';
import { ColumnStore } from './columns.js';
import { MutableNodeInfo } from './framework/nodeinfo.js';
import { newPodInfo } from './framework/podinfo.js';

/** Upstream's normalizedImageName: a name without a tag or digest means `:latest`. */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

export function podKey(pod: Pod): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

interface PodState {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
  /** Binding finished: the assumption expires at `deadline` unless the watch confirms it. */
  deadline?: number;
}

function nodeResources(ni: MutableNodeInfo): NodeResources {
  return {
    allocatableMilliCpu: ni.allocatable.milliCpu,
    allocatableMemory: ni.allocatable.memory,
    allocatablePods: ni.allocatable.pods,
    requestedMilliCpu: ni.requested.milliCpu,
    requestedMemory: ni.requested.memory,
    nonZeroRequestedMilliCpu: ni.nonZeroRequested.milliCpu,
    nonZeroRequestedMemory: ni.nonZeroRequested.memory,
    podCount: ni.pods.length,
  };
}

function shallowEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a![k] === b?.[k]);
}

export class CacheSnapshot implements Snapshot {
  nodeList: MutableNodeInfo[] = [];
  readonly byName = new Map<string, MutableNodeInfo>();
  affinity: MutableNodeInfo[] = [];
  antiAffinity: MutableNodeInfo[] = [];
  /** Node name → position in `affinity` / `antiAffinity`, so a changed node is swapped in place. */
  private readonly affinityAt = new Map<string, number>();
  private readonly antiAffinityAt = new Map<string, number>();
  private view?: NodeColumns;
  constructor(
    private readonly namespaces: ReadonlyMap<string, Record<string, string>>,
    private readonly store?: ColumnStore,
  ) {}
  /** Builds the lists of nodes with (anti-)affinity pods from scratch. */
  rebuildAffinityLists(): void {
    this.affinity = [];
    this.antiAffinity = [];
    this.affinityAt.clear();
    this.antiAffinityAt.clear();
    for (const n of this.nodeList) this.track(n.name, n);
  }

  /** Keeps the (anti-)affinity lists in step with one node's new state (`now` undefined: removed). */
  track(name: string, now: MutableNodeInfo | undefined): void {
    place(this.affinity, this.affinityAt, name, now, now !== undefined && now.podsWithAffinity.length > 0);
    place(this.antiAffinity, this.antiAffinityAt, name, now, now !== undefined && now.podsWithRequiredAntiAffinity.length > 0);
  }

  /** The cache's columns over this snapshot's nodes: in step with it until the cache changes again. */
  columns(): NodeColumns | undefined {
    if (!this.store) return undefined;
    if (this.view?.nodes !== this.nodeList || this.view.count !== this.nodeList.length) this.view = this.store.view(this.nodeList);
    return this.view;
  }
  list(): readonly NodeInfo[] {
    return this.nodeList;
  }
  get(nodeName: string): NodeInfo | undefined {
    return this.byName.get(nodeName);
  }
  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.affinity;
  }
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.antiAffinity;
  }
  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.namespaces.get(namespace);
  }
}

/** Puts `node` at its position in `list` (or appends it) when `member`, else swap-removes it. */
function place(list: MutableNodeInfo[], at: Map<string, number>, name: string, node: MutableNodeInfo | undefined, member: boolean): void {
  const i = at.get(name);
  if (member) {
    if (i === undefined) {
      at.set(name, list.length);
      list.push(node!);
    } else list[i] = node!;
    return;
  }
  if (i === undefined) return;
  const last = list.pop()!;
  at.delete(name);
  if (i < list.length) {
    list[i] = last;
    at.set(last.name, i);
  }
}

export class SchedulerCache {
  private readonly nodes = new Map<string, MutableNodeInfo>();
  /** Node per scorer slot. */
  private readonly slots: MutableNodeInfo[] = [];
  private readonly pods = new Map<string, PodState>();
  /** Pods assigned to nodes the cache does not know (yet, or any more). */
  private readonly orphans = new Map<string, Map<string, PodInfo>>();
  private readonly imageNodes = new Map<string, Set<string>>();
  readonly namespaces = new Map<string, Record<string, string>>();
  private readonly dirty = new Set<string>();
  private readonly columns: ColumnStore;

  constructor(readonly scorer: NodeScorer, private readonly assumedTtlMs = 30_000) {
    this.columns = new ColumnStore(scorer.capacity);
  }

  get nodeCount(): number {
    return this.slots.length;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  addNode(node: Node): void {
    const name = node.metadata.name ?? '';
    if (this.nodes.has(name)) return this.updateNode(node);
    if (this.slots.length >= this.scorer.capacity) throw new RangeError(`scheduler cache: more than maxNodes (${this.scorer.capacity}) nodes`);
    const ni = new MutableNodeInfo(node, this.slots.length);
    this.slots.push(ni);
    this.nodes.set(name, ni);
    const waiting = this.orphans.get(name);
    if (waiting) {
      for (const info of waiting.values()) ni.addPod(info);
      this.orphans.delete(name);
    }
    this.setImages(ni, node);
    this.sync(ni);
  }

  updateNode(node: Node): void {
    const ni = this.nodes.get(node.metadata.name ?? '');
    if (!ni) return this.addNode(node);
    ni.setNode(node);
    this.setImages(ni, node);
    this.sync(ni);
  }

  removeNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const ni = this.nodes.get(name);
    if (!ni) return;
    this.nodes.delete(name);
    this.setImages(ni, undefined);
    // Its pods stay accounted (as upstream) until their own delete events arrive.
    if (ni.pods.length) this.orphans.set(name, new Map(ni.pods.map((p) => [podKey(p.pod), p])));
    const index = ni.index;
    const moved = this.scorer.removeNode(index);
    const last = this.slots.pop()!;
    this.columns.clear(index);
    if (moved >= 0 && last !== ni) {
      this.columns.clear(this.slots.length);
      this.slots[index] = last;
      last.index = index;
      this.columns.set(last);
      this.dirty.add(last.name);
    }
    ni.index = -1;
    this.dirty.add(name);
  }

  private setImages(ni: MutableNodeInfo, node: Node | undefined): void {
    const sizes = new Map<string, number>();
    for (const img of ((node?.status?.images ?? []) as { names?: string[]; sizeBytes?: number }[])) {
      for (const n of img.names ?? []) sizes.set(normalizedImageName(n), img.sizeBytes ?? 0);
    }
    const changed = new Set<string>();
    for (const name of ni.imageStates.keys()) {
      if (!sizes.has(name)) {
        ni.imageStates.delete(name);
        this.imageNodes.get(name)?.delete(ni.name);
        changed.add(name);
      }
    }
    for (const [name, size] of sizes) {
      const st = ni.imageStates.get(name);
      if (st) st.size = size;
      else {
        ni.imageStates.set(name, { size, numNodes: 0 });
        let set = this.imageNodes.get(name);
        if (!set) this.imageNodes.set(name, (set = new Set()));
        set.add(ni.name);
        changed.add(name);
      }
    }
    for (const name of changed) {
      const holders = this.imageNodes.get(name);
      if (!holders?.size) {
        this.imageNodes.delete(name);
        continue;
      }
      for (const n of holders) {
        const st = this.nodes.get(n)?.imageStates.get(name);
        if (st) st.numNodes = holders.size;
      }
    }
  }

  private sync(ni: MutableNodeInfo): void {
    this.scorer.setNode(ni.index, nodeResources(ni));
    this.columns.set(ni);
    this.dirty.add(ni.name);
  }

  private place(info: PodInfo, nodeName: string): void {
    const ni = this.nodes.get(nodeName);
    if (ni) {
      ni.addPod(info);
      this.sync(ni);
    } else {
      let m = this.orphans.get(nodeName);
      if (!m) this.orphans.set(nodeName, (m = new Map()));
      m.set(podKey(info.pod), info);
    }
  }

  private unplace(pod: Pod, nodeName: string): void {
    const ni = this.nodes.get(nodeName);
    if (ni) {
      if (ni.removePod(pod)) this.sync(ni);
    } else {
      const m = this.orphans.get(nodeName);
      m?.delete(podKey(pod));
      if (m?.size === 0) this.orphans.delete(nodeName);
    }
  }

  /** An assigned pod from the watch: confirms an assumed pod, or adds it. */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    const nodeName = pod.spec.nodeName as string;
    if (st?.assumed) {
      st.assumed = false;
      st.deadline = undefined;
      if (st.nodeName === nodeName) return; // the assumed PodInfo already accounts for it
      this.unplace(st.info.pod, st.nodeName);
      st.info = newPodInfo(pod);
      st.nodeName = nodeName;
      this.place(st.info, nodeName);
      return;
    }
    if (st) return this.updatePod(st.info.pod, pod);
    const info = newPodInfo(pod);
    this.pods.set(key, { info, nodeName, assumed: false });
    this.place(info, nodeName);
  }

  updatePod(_old: Pod, pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (!st) return this.addPod(pod);
    if (st.assumed) return this.addPod(pod);
    const prev = st.info.pod;
    const nodeName = pod.spec.nodeName as string;
    // Status-only updates (most of them) change nothing the scheduler accounts.
    if (prev.metadata.generation === pod.metadata.generation && nodeName === st.nodeName && shallowEqual(prev.metadata.labels, pod.metadata.labels)) return;
    this.unplace(prev, st.nodeName);
    st.info = newPodInfo(pod);
    st.nodeName = nodeName;
    this.place(st.info, nodeName);
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (!st) return;
    this.unplace(st.info.pod, st.nodeName);
    this.pods.delete(key);
  }

  /** Reserve's bookkeeping: the pod counts on the node before its binding is written. */
  assumePod(info: PodInfo, nodeName: string): void {
    const key = podKey(info.pod);
    if (this.pods.has(key)) throw new Error(`pod ${info.pod.metadata.namespace}/${info.pod.metadata.name} is already in the scheduler cache`);
    this.pods.set(key, { info, nodeName, assumed: true });
    this.place(info, nodeName);
  }

  /** The binding was written: the assumption expires after the TTL unless the watch confirms it first. */
  finishBinding(pod: Pod, now = Date.now()): void {
    const st = this.pods.get(podKey(pod));
    if (st?.assumed) st.deadline = now + this.assumedTtlMs;
  }

  /** Undoes an assumption (binding failed or the pod was deleted meanwhile). */
  forgetPod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (!st?.assumed) return;
    this.unplace(st.info.pod, st.nodeName);
    this.pods.delete(key);
  }

  isAssumed(pod: Pod): boolean {
    return this.pods.get(podKey(pod))?.assumed === true;
  }

  /** Drops assumed pods whose binding finished more than the TTL ago without a confirming watch event. */
  cleanupExpired(now = Date.now()): number {
    let n = 0;
    for (const [key, st] of this.pods) {
      if (st.assumed && st.deadline !== undefined && st.deadline < now) {
        this.unplace(st.info.pod, st.nodeName);
        this.pods.delete(key);
        n++;
      }
    }
    return n;
  }

  setNamespace(name: string, labels: Record<string, string> | undefined): void {
    this.namespaces.set(name, labels ?? {});
  }

  deleteNamespace(name: string): void {
    this.namespaces.delete(name);
  }

  /** A full copy, independent of the incremental one the scheduling loop keeps (for explain). */
  newSnapshot(): CacheSnapshot {
    const s = new CacheSnapshot(this.namespaces, this.columns);
    s.nodeList = this.slots.map((n) => n.clone());
    for (const n of s.nodeList) s.byName.set(n.name, n);
    s.rebuildAffinityLists();
    return s;
  }

  /** Brings `s` up to date by cloning only the nodes changed since its last update. */
  updateSnapshot(s: CacheSnapshot): void {
    if (this.dirty.size === 0) return;
    for (const name of this.dirty) {
      const live = this.nodes.get(name);
      if (!live) {
        s.byName.delete(name);
        s.track(name, undefined);
        continue;
      }
      const c = live.clone();
      s.byName.set(name, c);
      s.nodeList[c.index] = c;
      s.track(name, c);
    }
    s.nodeList.length = this.slots.length;
    this.dirty.clear();
  }
}
