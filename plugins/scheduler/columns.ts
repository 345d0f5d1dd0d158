// The cache's nodes as typed-array columns by node index (framework NodeColumns), written on every
// change the cache makes to a node, so batch Filters and score columns loop over numbers instead
// of chasing one NodeInfo object per node.
import { NodeFlag, type NodeColumns, type NodeInfo } from './framework/interfaces.js';
import type { MutableNodeInfo } from './framework/nodeinfo.js';

export class ColumnStore {
  readonly allocatableMilliCpu: Float64Array;
  readonly allocatableMemory: Float64Array;
  readonly allocatablePods: Float64Array;
  readonly requestedMilliCpu: Float64Array;
  readonly requestedMemory: Float64Array;
  readonly podCount: Float64Array;
  readonly flags: Uint8Array;
  readonly version: Float64Array;
  readonly generation: Float64Array;
  readonly flagged = { unschedulable: 0, taints: 0, images: 0 };

  constructor(capacity: number) {
    this.allocatableMilliCpu = new Float64Array(capacity);
    this.allocatableMemory = new Float64Array(capacity);
    this.allocatablePods = new Float64Array(capacity);
    this.requestedMilliCpu = new Float64Array(capacity);
    this.requestedMemory = new Float64Array(capacity);
    this.podCount = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.version = new Float64Array(capacity);
    this.generation = new Float64Array(capacity);
  }

  /** Writes node `ni` at its index. */
  set(ni: MutableNodeInfo): void {
    const i = ni.index;
    this.allocatableMilliCpu[i] = ni.allocatable.milliCpu;
    this.allocatableMemory[i] = ni.allocatable.memory;
    this.allocatablePods[i] = ni.allocatable.pods;
    this.requestedMilliCpu[i] = ni.requested.milliCpu;
    this.requestedMemory[i] = ni.requested.memory;
    this.podCount[i] = ni.pods.length;
    const spec = ni.node.spec;
    this.count(this.flags[i]!, -1);
    this.flags[i] = (spec?.unschedulable ? NodeFlag.unschedulable : 0) | ((spec?.taints as unknown[] | undefined)?.length ? NodeFlag.taints : 0) | (ni.imageStates.size ? NodeFlag.images : 0);
    this.count(this.flags[i]!, 1);
    this.version[i] = ni.nodeVersion;
    this.generation[i] = ni.generation;
  }

  /** Index `i` holds no node any more (removed, or its node moved to another index). */
  clear(i: number): void {
    this.count(this.flags[i]!, -1);
    this.flags[i] = 0;
  }

  private count(flags: number, delta: number): void {
    if (flags & NodeFlag.unschedulable) this.flagged.unschedulable += delta;
    if (flags & NodeFlag.taints) this.flagged.taints += delta;
    if (flags & NodeFlag.images) this.flagged.images += delta;
  }

  /** The view a snapshot hands out: these columns over its node list. */
  view(nodes: readonly NodeInfo[]): NodeColumns {
    return {
      count: nodes.length,
      nodes,
      allocatableMilliCpu: this.allocatableMilliCpu,
      allocatableMemory: this.allocatableMemory,
      allocatablePods: this.allocatablePods,
      requestedMilliCpu: this.requestedMilliCpu,
      requestedMemory: this.requestedMemory,
      podCount: this.podCount,
      flags: this.flags,
      version: this.version,
      generation: this.generation,
      flagged: this.flagged,
    };
  }
}
