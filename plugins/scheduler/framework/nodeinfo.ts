// NodeInfo: a node plus the pods assigned (or assumed) to it, with running totals the filters
// and scorers read. The scheduler cache owns these; tests build them directly.
import type { HostPort, Node, NodeInfo, Pod, PodInfo, Resource } from './interfaces.js';
import { emptyResource, newPodInfo, resourceFromList } from './podinfo.js';

let nextGeneration = 1;

const NO_PORTS: readonly HostPort[] = Object.freeze([]);

/** The host ports a pod's containers claim; most pods claim none (no allocation then). */
function hostPortsOf(pod: Pod): readonly HostPort[] {
  let ports: HostPort[] | undefined;
  const collect = (containers: unknown): void => {
    for (const c of (containers ?? []) as { ports?: { hostPort?: number; hostIP?: string; protocol?: string }[] }[]) {
      for (const p of c.ports ?? []) {
        if (p.hostPort && p.hostPort > 0) (ports ??= []).push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
      }
    }
  };
  collect(pod.spec?.initContainers);
  collect(pod.spec?.containers);
  return ports ?? NO_PORTS;
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
    const same = (p: PodInfo) =>
      pod.metadata.uid ? p.pod.metadata.uid === pod.metadata.uid : p.pod.metadata.name === pod.metadata.name && p.pod.metadata.namespace === pod.metadata.namespace;
    const i = this.pods.findIndex(same);
    if (i < 0) return undefined;
    const [info] = this.pods.splice(i, 1) as [PodInfo];
    if (this.podsWithAffinity.length) this.podsWithAffinity = this.podsWithAffinity.filter((p) => p !== info);
    if (this.podsWithRequiredAntiAffinity.length) this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => p !== info);
    this.account(info, -1);
    return info;
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
    const ports = hostPortsOf(info.pod);
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
    return this;
  }
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
