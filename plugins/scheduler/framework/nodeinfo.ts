// NodeInfo: a node plus the pods assigned (or assumed) to it, with running totals the filters
// and scorers read. The scheduler cache owns these; tests build them directly.
import type { HostPort, Node, NodeInfo, Pod, PodInfo, Resource } from './interfaces.js';
import { emptyResource, newPodInfo, resourceFromList } from './podinfo.js';

let nextGeneration = 1;

function hostPortsOf(pod: Pod): HostPort[] {
  const ports: HostPort[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])] as { ports?: { hostPort?: number; hostIP?: string; protocol?: string }[] }[]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort && p.hostPort > 0) ports.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return ports;
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
    this.podsWithAffinity = this.podsWithAffinity.filter((p) => p !== info);
    this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => p !== info);
    this.account(info, -1);
    return info;
  }

  private account(info: PodInfo, sign: 1 | -1): void {
    const r = this.requested;
    r.milliCpu += sign * info.requests.milliCpu;
    r.memory += sign * info.requests.memory;
    r.ephemeralStorage += sign * info.requests.ephemeralStorage;
    r.pods += sign;
    for (const [k, v] of info.requests.scalar) r.scalar.set(k, (r.scalar.get(k) ?? 0) + sign * v);
    this.nonZeroRequested.milliCpu += sign * info.nonZeroRequests.milliCpu;
    this.nonZeroRequested.memory += sign * info.nonZeroRequests.memory;
    const ports = hostPortsOf(info.pod);
    if (sign > 0) this.usedPorts.push(...ports);
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
}

export function cloneResource(r: Resource): Resource {
  return { milliCpu: r.milliCpu, memory: r.memory, ephemeralStorage: r.ephemeralStorage, pods: r.pods, scalar: new Map(r.scalar) };
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
