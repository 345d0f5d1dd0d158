// NodeResourcesFit (PreFilter, Filter, Score in the kernel): the pod's requests must fit in the
// node's allocatable minus what its pods request. Scoring (LeastAllocated, MostAllocated,
// RequestedToCapacityRatio) runs inside the WASM kernel: the plugin only hands over its config.
import type {
  BatchFilterPlugin, ClusterEventWithHint, CycleState, EnqueueExtensions, KernelScorePlugin, Node, NodeColumns, NodeInfo, Pod, PodInfo, PreFilterPlugin, PreFilterResult,
  Resource, Status,
} from '../../framework/interfaces.js';
import { SUCCESS, errorStatus } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { MutableNodeInfo } from '../../framework/nodeinfo.js';
import { podRequests, resourceFromList } from '../../framework/podinfo.js';
import { asNodes, asPods, eventsFor, QUEUE, SKIP } from '../shared/events.js';
import { fitKernelScore, type KernelScoreConfig } from '../shared/kernel-score.js';
import type { NodeResourcesFitArgs } from './args.js';

const STATE_KEY = 'PreFilterNodeResourcesFit';
export const REASON_TOO_MANY_PODS = 'Too many pods';

/** One resource the node lacks (upstream InsufficientResource). */
export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
}

/**
 * Upstream IsExtendedResourceName: a qualified name with a prefix outside `kubernetes.io/`, not a
 * quota `requests.` name (hugepages-*, cpu, memory are native).
 */
export function isExtendedResourceName(name: string): boolean {
  return name.includes('/') && !name.includes('kubernetes.io/') && !name.startsWith('requests.');
}

interface Ignored {
  resources: ReadonlySet<string>;
  groups: ReadonlySet<string>;
}
const NOTHING_IGNORED: Ignored = { resources: new Set(), groups: new Set() };
const FITS: readonly InsufficientResource[] = Object.freeze([]);

/**
 * Upstream fitsRequest: every resource the pod requests (> 0) must fit; each shortfall is its own
 * reason, in the order pods, cpu, memory, ephemeral-storage, scalar resources. Ignored resources
 * and resource groups apply to extended resources only.
 */
export function fitsRequest(request: Resource, node: NodeInfo, ignored: Ignored = NOTHING_IGNORED): readonly InsufficientResource[] {
  return fitsTotals(request, node.allocatable, node.requested, node.pods.length, ignored);
}

/** fitsRequest on a node's totals: what the node has (`alloc`), what its `podCount` pods request (`used`). */
export function fitsTotals(request: Resource, alloc: Resource, used: Resource, podCount: number, ignored: Ignored = NOTHING_IGNORED): readonly InsufficientResource[] {
  // Allocates only on a shortfall: Filter runs this for every node.
  let out: InsufficientResource[] | undefined;
  if (podCount + 1 > alloc.pods) (out ??= []).push({ resourceName: 'pods', reason: REASON_TOO_MANY_PODS, requested: 1, used: podCount, capacity: alloc.pods });
  if (request.milliCpu === 0 && request.memory === 0 && request.ephemeralStorage === 0 && request.scalar.size === 0) return out ?? FITS;
  if (request.milliCpu > 0 && request.milliCpu > alloc.milliCpu - used.milliCpu) {
    (out ??= []).push({ resourceName: 'cpu', reason: 'Insufficient cpu', requested: request.milliCpu, used: used.milliCpu, capacity: alloc.milliCpu });
  }
  if (request.memory > 0 && request.memory > alloc.memory - used.memory) {
    (out ??= []).push({ resourceName: 'memory', reason: 'Insufficient memory', requested: request.memory, used: used.memory, capacity: alloc.memory });
  }
  if (request.ephemeralStorage > 0 && request.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    (out ??= []).push({ resourceName: 'ephemeral-storage', reason: 'Insufficient ephemeral-storage', requested: request.ephemeralStorage, used: used.ephemeralStorage, capacity: alloc.ephemeralStorage });
  }
  if (request.scalar.size > 0) {
    for (const [name, quantity] of request.scalar) {
      if (quantity === 0) continue;
      if (isExtendedResourceName(name) && (ignored.resources.has(name) || (ignored.groups.size > 0 && ignored.groups.has(name.split('/')[0]!)))) continue;
      const a = alloc.scalar.get(name) ?? 0;
      const u = used.scalar.get(name) ?? 0;
      if (quantity > a - u) (out ??= []).push({ resourceName: name, reason: `Insufficient ${name}`, requested: quantity, used: u, capacity: a });
    }
  }
  return out ?? FITS;
}

const SHORT_PODS = 1;
const SHORT_CPU = 2;
const SHORT_MEMORY = 4;
const SHORT_STORAGE = 8;

/** fitsTotals' checks for requests without extended resources, as bits (SHORT_*). */
function shortfalls(request: Resource, alloc: Resource, used: Resource, podCount: number): number {
  let mask = podCount + 1 > alloc.pods ? SHORT_PODS : 0;
  if (request.milliCpu > 0 && request.milliCpu > alloc.milliCpu - used.milliCpu) mask |= SHORT_CPU;
  if (request.memory > 0 && request.memory > alloc.memory - used.memory) mask |= SHORT_MEMORY;
  if (request.ephemeralStorage > 0 && request.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) mask |= SHORT_STORAGE;
  return mask;
}

/** By shortfall bits: filter()'s Status, reasons in fitsTotals' order (frozen: shared by every node). */
const SHORTFALL_STATUSES: readonly Status[] = Array.from({ length: 16 }, (_, mask) => {
  const reasons: string[] = [];
  if (mask & SHORT_PODS) reasons.push(REASON_TOO_MANY_PODS);
  if (mask & SHORT_CPU) reasons.push('Insufficient cpu');
  if (mask & SHORT_MEMORY) reasons.push('Insufficient memory');
  if (mask & SHORT_STORAGE) reasons.push('Insufficient ephemeral-storage');
  return Object.freeze({ code: 'Unschedulable' as const, reasons: Object.freeze(reasons), plugin: Names.NodeResourcesFit });
});

export class NodeResourcesFit implements PreFilterPlugin, BatchFilterPlugin, KernelScorePlugin, EnqueueExtensions {
  readonly name = Names.NodeResourcesFit;
  readonly kernelScore: KernelScoreConfig;
  private readonly ignored: Ignored;

  constructor(readonly args: NodeResourcesFitArgs) {
    const s = args.scoringStrategy;
    this.kernelScore = fitKernelScore(s.type, s.resources, s.requestedToCapacityRatio?.shape);
    this.ignored = { resources: new Set(args.ignoredResources), groups: new Set(args.ignoredResourceGroups) };
  }

  preFilter(state: CycleState, pod: PodInfo): { result?: PreFilterResult; status: Status } {
    // PodInfo already holds upstream's computePodResourceRequest (init containers, sidecars, overhead).
    state.write(STATE_KEY, pod.requests);
    return { status: SUCCESS };
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const request = state.read<Resource>(STATE_KEY);
    if (!request) return errorStatus(new Error(`reading "${STATE_KEY}" from cycleState: not found`));
    if (request.scalar.size === 0) {
      // Without extended resources the Status depends only on which of four resources fall
      // short: one shared Status per combination (preemption's failing attempts ask every node).
      const mask = shortfalls(request, node.allocatable, node.requested, node.pods.length);
      return mask === 0 ? SUCCESS : SHORTFALL_STATUSES[mask]!;
    }
    const insufficient = fitsRequest(request, node, this.ignored);
    if (insufficient.length === 0) return SUCCESS;
    return { code: 'Unschedulable', reasons: insufficient.map((r) => r.reason), plugin: this.name };
  }

  /**
   * Would filter() reject a node with these totals? Preemption asks it before a dry run: a node
   * this rejects even with every lower-priority pod removed can never be a candidate.
   */
  rejectsTotals(request: Resource, alloc: Resource, used: Resource, podCount: number): boolean {
    return fitsTotals(request, alloc, used, podCount, this.ignored).length > 0;
  }

  /** filter() for all nodes: the pods/cpu/memory checks of fitsRequest inlined over the nodes. */
  filterBatch(state: CycleState, _pod: PodInfo, nodes: readonly NodeInfo[], pass: Uint8Array, columns?: NodeColumns): boolean {
    const request = state.read<Resource>(STATE_KEY);
    // Ephemeral storage and scalar resources are rare: those pods take the per-node path.
    if (!request || request.ephemeralStorage > 0 || request.scalar.size > 0) return false;
    const cpu = request.milliCpu;
    const memory = request.memory;
    if (columns) {
      const least = columns.leastFree;
      // Within the least free of every resource: no node can fail (the loop below would drop none).
      if (least && least.pods >= 1 && (cpu <= 0 || cpu <= least.milliCpu) && (memory <= 0 || memory <= least.memory)) return true;
      const { allocatablePods: pods, podCount, allocatableMilliCpu: allocCpu, requestedMilliCpu: usedCpu, allocatableMemory: allocMem, requestedMemory: usedMem } = columns;
      for (let i = 0; i < columns.count; i++) {
        if (podCount[i]! + 1 > pods[i]! || (cpu > 0 && cpu > allocCpu[i]! - usedCpu[i]!) || (memory > 0 && memory > allocMem[i]! - usedMem[i]!)) pass[i] = 0;
      }
      return true;
    }
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i]!;
      const alloc = ni.allocatable;
      const used = ni.requested;
      if (ni.pods.length + 1 > alloc.pods || (cpu > 0 && cpu > alloc.milliCpu - used.milliCpu) || (memory > 0 && memory > alloc.memory - used.memory)) pass[ni.index] = 0;
    }
    return true;
  }

  /** Does the pod fit a node that has no pods (its allocatable alone)? For queueing hints. */
  private fitsEmpty(pod: Pod, node: Node): boolean {
    return fitsRequest(podRequests(pod), new MutableNodeInfo(node), this.ignored).length === 0;
  }

  /**
   * Pod Delete: an assigned pod's deletion frees resources (queue); Node Add: queue when the pod
   * fits the node's allocatable; Node UpdateNodeAllocatable: also needs an increase of something
   * the pod requests.
   */
  eventsToRegister(): ClusterEventWithHint[] {
    return [
      ...eventsFor('Pod', ['Delete'], (_pod, oldObj, newObj) => {
        const { oldPod } = asPods(oldObj, newObj);
        return oldPod?.spec?.nodeName ? QUEUE : SKIP;
      }),
      ...eventsFor('Node', ['Add', 'UpdateNodeAllocatable'], (pod, oldObj, newObj) => {
        const { oldNode, newNode } = asNodes(oldObj, newObj);
        if (!newNode || !this.fitsEmpty(pod, newNode)) return SKIP;
        if (!oldNode) return QUEUE;
        return anyRequestedResourceIncreased(podRequests(pod), oldNode, newNode) ? QUEUE : SKIP;
      }),
    ];
  }
}

function allocatableOf(node: Node): Resource {
  return resourceFromList((node.status?.allocatable ?? node.status?.capacity) as Record<string, unknown> | undefined);
}

/** Upstream haveAnyRequestedResourcesIncreased: pods count, or a resource the pod requests, grew. */
export function anyRequestedResourceIncreased(request: Resource, oldNode: Node, newNode: Node): boolean {
  const a = allocatableOf(oldNode);
  const b = allocatableOf(newNode);
  if (b.pods > a.pods) return true;
  if (request.milliCpu > 0 && b.milliCpu > a.milliCpu) return true;
  if (request.memory > 0 && b.memory > a.memory) return true;
  if (request.ephemeralStorage > 0 && b.ephemeralStorage > a.ephemeralStorage) return true;
  for (const [name, q] of request.scalar) if (q > 0 && (b.scalar.get(name) ?? 0) > (a.scalar.get(name) ?? 0)) return true;
  return false;
}
