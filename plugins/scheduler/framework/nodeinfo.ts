// NodeInfo: a node plus the pods assigned (or assumed) to it, with running totals the filters
// and scorers read. The scheduler cache owns these; tests build them directly.
import type { HostPort, Node, NodeInfo, Pod, PodInfo, Resource } from './interfaces.js';
import { emptyResource, newPodInfo, resourceFromList } from './podinfo.js';

let nextGeneration = 1;

const NO_PORTS: readonly HostPort[] = Object.freeze([]);

/** The host ports a pod's containers claim; most pods claim none (no allocation then). */
function hostPortsOf(pod: Pod): readonly HostPort[] {
  // Called on every add and remove of a pod (preemption's dry runs do hundreds per attempt):
  // plain loops, no closure.
  const spec = pod.spec;
  if (!spec) return NO_PORTS;
  // Init containers' ports first, then the containers'.
  return collectHostPorts(spec.initContainers, collectHostPorts(spec.containers, undefined)) ?? NO_PORTS;
}

type PortedContainer = { ports?: { hostPort?: number; hostIP?: string; protocol?: string }[] };

function collectHostPorts(containers: unknown, after: HostPort[] | undefined): HostPort[] | undefined {
  const list = containers as PortedContainer[] | undefined;
  if (!list || list.length === 0) return after;
  let out: HostPort[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const ps = list[i]!.ports;
    if (!ps) continue;
    for (let j = 0; j < ps.length; j++) {
      const p = ps[j]!;
      if (p.hostPort && p.hostPort > 0) (out ??= []).push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  if (!out) return after;
  if (after) out.push(...after);
  return out;
}

/** The pods below `priority` (in node order), what they request and how many, at node generation `generation`. */
export interface BelowPriority {
  generation: number;
  priority: number;
  pods: PodInfo[];
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  nonZeroMilliCpu: number;
  nonZeroMemory: number;
  count: number;
}

export class MutableNodeInfo implements NodeInfo {
  node: Node;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  allocatable: Resource = emptyResource();
  requested: Resource = emptyResource();
  nonZeroRequested = { milliCpu: 0, memory: 0 };
  usedPorts: HostPort[] = [];
  imageStates: Map<string, { size: number; numNodes: number }> = new Map();
  generation = nextGeneration++;
  /** Changes only when the Node object is replaced (setNode): answers about the node itself stay valid until then. */
  nodeVersion = this.generation;
  /** Preemption's sums of the pods below a priority (DefaultPreemption resourcesRuleOut), kept while `generation` holds. */
  belowPriority: BelowPriority | undefined = undefined;

  constructor(node: Node, public index = -1) {
    this.node = node;
    this.setNode(node);
  }

  get name(): string {
    return this.node.metadata.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = resourceFromList((node.status?.allocatable ?? node.status?.capacity) as Record<string, unknown> | undefined);
    this.generation = nextGeneration++;
    this.nodeVersion = this.generation;
  }

  /** Adds a pod (a Pod or a prepared PodInfo). */
  addPod(pod: Pod | PodInfo): PodInfo {
    const info = 'requests' in pod ? (pod as PodInfo) : newPodInfo(pod as Pod);
    this.pods.push(info);
    if (info.requiredAffinityTerms.length || info.requiredAntiAffinityTerms.length || info.preferredAffinityTerms.length || info.preferredAntiAffinityTerms.length) {
      this.podsWithAffinity.push(info);
    }
    if (info.requiredAntiAffinityTerms.length) this.podsWithRequiredAntiAffinity.push(info);
    this.account(info, 1);
    return info;
  }

  /** Removes a pod by uid (or namespace/name when it has no uid); returns it, or undefined. */
  removePod(pod: Pod): PodInfo | undefined {
    const i = indexOfPod(this.pods, pod);
    if (i < 0) return undefined;
    const [info] = this.pods.splice(i, 1) as [PodInfo];
    if (this.podsWithAffinity.length) this.podsWithAffinity = this.podsWithAffinity.filter((p) => p !== info);
    if (this.podsWithRequiredAntiAffinity.length) this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => p !== info);
    this.account(info, -1);
    return info;
  }

  /**
   * Removes every pod of `below` at once, leaving the node as removePod on each would (pods in
   * the same order, the same totals). Only for a node whose generation `below` was taken at, with
   * no host ports in use and no extended resources requested: false (nothing done) otherwise.
   */
  removeBelow(below: BelowPriority): boolean {
    if (below.generation !== this.generation || this.usedPorts.length > 0 || this.requested.scalar.size > 0) return false;
    const gone = below.pods;
    if (gone.length === 0) return true;
    const pods = this.pods;
    let kept = 0;
    let next = 0;
    for (let i = 0; i < pods.length; i++) {
      const p = pods[i]!;
      if (next < gone.length && p === gone[next]) next++;
      else pods[kept++] = p;
    }
    if (next !== gone.length) throw new Error('removeBelow: the pods are not this node\'s, in its order');
    pods.length = kept;
    if (this.podsWithAffinity.length) this.podsWithAffinity = this.podsWithAffinity.filter((p) => !gone.includes(p));
    if (this.podsWithRequiredAntiAffinity.length) this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => !gone.includes(p));
    const r = this.requested;
    r.milliCpu -= below.milliCpu;
    r.memory -= below.memory;
    r.ephemeralStorage -= below.ephemeralStorage;
    r.pods -= below.count;
    this.nonZeroRequested.milliCpu -= below.nonZeroMilliCpu;
    this.nonZeroRequested.memory -= below.nonZeroMemory;
    this.generation = nextGeneration++;
    return true;
  }

  private account(info: PodInfo, sign: 1 | -1): void {
    const r = this.requested;
    r.milliCpu += sign * info.requests.milliCpu;
    r.memory += sign * info.requests.memory;
    r.ephemeralStorage += sign * info.requests.ephemeralStorage;
    r.pods += sign;
    if (info.requests.scalar.size) for (const [k, v] of info.requests.scalar) r.scalar.set(k, (r.scalar.get(k) ?? 0) + sign * v);
    this.nonZeroRequested.milliCpu += sign * info.nonZeroRequests.milliCpu;
    this.nonZeroRequested.memory += sign * info.nonZeroRequests.memory;
    // Removing from a node without host ports in use frees none: the pod's spec is not read
    // (preemption's dry runs remove thousands of pods per attempt).
    const ports = sign < 0 && this.usedPorts.length === 0 ? NO_PORTS : hostPortsOf(info.pod);
    if (ports.length === 0) {
      // Most pods claim no host port.
    } else if (sign > 0) this.usedPorts.push(...ports);
    else for (const p of ports) {
      const i = this.usedPorts.findIndex((u) => u.ip === p.ip && u.protocol === p.protocol && u.port === p.port);
      if (i >= 0) this.usedPorts.splice(i, 1);
    }
    this.generation = nextGeneration++;
  }

  /** A copy for a snapshot: plugins (and preemption's what-ifs) may mutate it freely. */
  clone(): MutableNodeInfo {
    // Fields in the order the class defines them, so copies share the hidden class of the
    // originals (filters reading a mix of both stay monomorphic).
    const c = Object.create(MutableNodeInfo.prototype) as MutableNodeInfo;
    c.index = this.index;
    c.node = this.node;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.allocatable = cloneResource(this.allocatable);
    c.requested = cloneResource(this.requested);
    c.nonZeroRequested = { ...this.nonZeroRequested };
    c.usedPorts = [...this.usedPorts];
    c.imageStates = this.imageStates;
    c.generation = this.generation;
    c.nodeVersion = this.nodeVersion;
    c.belowPriority = this.belowPriority;
    return c;
  }

  /**
   * Makes this node a copy of `src` in place, reusing its arrays and maps: preemption's dry runs
   * copy hundreds of nodes per attempt into one scratch node instead of allocating each copy.
   */
  copyFrom(src: MutableNodeInfo): this {
    this.index = src.index;
    this.node = src.node;
    copyArray(this.pods, src.pods);
    copyArray(this.podsWithAffinity, src.podsWithAffinity);
    copyArray(this.podsWithRequiredAntiAffinity, src.podsWithRequiredAntiAffinity);
    copyResourceInto(this.allocatable, src.allocatable);
    copyResourceInto(this.requested, src.requested);
    this.nonZeroRequested.milliCpu = src.nonZeroRequested.milliCpu;
    this.nonZeroRequested.memory = src.nonZeroRequested.memory;
    copyArray(this.usedPorts, src.usedPorts);
    this.imageStates = src.imageStates;
    this.generation = src.generation;
    this.nodeVersion = src.nodeVersion;
    this.belowPriority = src.belowPriority;
    return this;
  }
}

/** Index of `pod` in `pods` by uid (or namespace/name when it has no uid), -1 when absent. */
function indexOfPod(pods: readonly PodInfo[], pod: Pod): number {
  const uid = pod.metadata.uid;
  if (uid) {
    for (let i = 0; i < pods.length; i++) if (pods[i]!.pod.metadata.uid === uid) return i;
    return -1;
  }
  const { name, namespace } = pod.metadata;
  for (let i = 0; i < pods.length; i++) {
    const m = pods[i]!.pod.metadata;
    if (m.name === name && m.namespace === namespace) return i;
  }
  return -1;
}

function copyArray<T>(to: T[], from: readonly T[]): void {
  to.length = from.length;
  for (let i = 0; i < from.length; i++) to[i] = from[i]!;
}

function copyResourceInto(to: Resource, from: Resource): void {
  to.milliCpu = from.milliCpu;
  to.memory = from.memory;
  to.ephemeralStorage = from.ephemeralStorage;
  to.pods = from.pods;
  if (to.scalar.size) to.scalar.clear();
  if (from.scalar.size) for (const [k, v] of from.scalar) to.scalar.set(k, v);
}

export function cloneResource(r: Resource): Resource {
  // new Map(iterable) walks the iterator protocol even for an empty map, the usual case.
  return { milliCpu: r.milliCpu, memory: r.memory, ephemeralStorage: r.ephemeralStorage, pods: r.pods, scalar: r.scalar.size ? new Map(r.scalar) : new Map() };
}

/** Test helper: a Node object with allocatable resources and labels. */
export function makeNode(name: string, allocatable: Record<string, string | number> = { cpu: '4', memory: '8Gi', pods: 110 }, extra: { labels?: Record<string, string>; taints?: unknown[]; unschedulable?: boolean } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } },
    spec: { ...(extra.taints ? { taints: extra.taints } : {}), ...(extra.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable, capacity: allocatable },
  } as Node;
}
