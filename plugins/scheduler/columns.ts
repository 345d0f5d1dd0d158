// The cache's nodes as typed-array columns by node index (framework NodeColumns), written on every
// change the cache makes to a node, so batch Filters and score columns loop over numbers instead
// of chasing one NodeInfo object per node.
import { NodeFlag, type NodeColumns, type NodeInfo } from './framework/interfaces.js';
import type { MutableNodeInfo } from './framework/nodeinfo.js';
import { MinTree } from './min-tree.js';

/** The typed arrays of NodeColumns (the rest is per snapshot). */
type Arrays = Omit<NodeColumns, 'count' | 'nodes' | 'flagged' | 'leastFree' | 'changes'>;

/** NodeColumns.leastFree, read from the trees' roots. */
class LeastFree {
  constructor(private readonly cpu: MinTree, private readonly mem: MinTree, private readonly slots: MinTree) {}
  get milliCpu(): number { return this.cpu.min; }
  get memory(): number { return this.mem.min; }
  get pods(): number { return this.slots.min; }
}

export class ColumnStore {
  readonly arrays: Arrays;
  readonly flagged = { unschedulable: 0, taints: 0, images: 0 };
  private readonly freeCpu: MinTree;
  private readonly freeMemory: MinTree;
  private readonly freePods: MinTree;
  private readonly leastFree: LeastFree;
  /** NodeColumns.changes: bumped whenever a lane's node object changes (added, replaced, removed). */
  private readonly changes = { nodes: 0 };

  constructor(capacity: number) {
    this.freeCpu = new MinTree(capacity);
    this.freeMemory = new MinTree(capacity);
    this.freePods = new MinTree(capacity);
    this.leastFree = new LeastFree(this.freeCpu, this.freeMemory, this.freePods);
    const column = () => new Float64Array(capacity);
    this.arrays = {
      allocatableMilliCpu: column(), allocatableMemory: column(), allocatablePods: column(), requestedMilliCpu: column(), requestedMemory: column(),
      podCount: column(), flags: new Uint8Array(capacity), version: column(), generation: column(),
    };
  }

  /** Writes node `ni` at its index. */
  set(ni: MutableNodeInfo): void {
    const i = ni.index;
    const a = this.arrays;
    a.allocatableMilliCpu[i] = ni.allocatable.milliCpu;
    a.allocatableMemory[i] = ni.allocatable.memory;
    a.allocatablePods[i] = ni.allocatable.pods;
    a.requestedMilliCpu[i] = ni.requested.milliCpu;
    a.requestedMemory[i] = ni.requested.memory;
    a.podCount[i] = ni.pods.length;
    // The same subtractions NodeResourcesFit's loop makes, so "fits the least" means "fits all" exactly.
    this.freeCpu.set(i, a.allocatableMilliCpu[i]! - a.requestedMilliCpu[i]!);
    this.freeMemory.set(i, a.allocatableMemory[i]! - a.requestedMemory[i]!);
    this.freePods.set(i, a.allocatablePods[i]! - a.podCount[i]!);
    const spec = ni.node.spec;
    this.count(a.flags[i]!, -1);
    a.flags[i] = (spec?.unschedulable ? NodeFlag.unschedulable : 0) | ((spec?.taints as unknown[] | undefined)?.length ? NodeFlag.taints : 0) | (ni.imageStates.size ? NodeFlag.images : 0);
    this.count(a.flags[i]!, 1);
    if (a.version[i] !== ni.nodeVersion) this.changes.nodes++;
    a.version[i] = ni.nodeVersion;
    a.generation[i] = ni.generation;
  }

  /** Index `i` holds no node any more (removed, or its node moved to another index). */
  clear(i: number): void {
    this.count(this.arrays.flags[i]!, -1);
    this.arrays.flags[i] = 0;
    this.changes.nodes++;
    this.freeCpu.set(i, Infinity);
    this.freeMemory.set(i, Infinity);
    this.freePods.set(i, Infinity);
  }

  private count(flags: number, delta: number): void {
    if (flags & NodeFlag.unschedulable) this.flagged.unschedulable += delta;
    if (flags & NodeFlag.taints) this.flagged.taints += delta;
    if (flags & NodeFlag.images) this.flagged.images += delta;
  }

  /** The view a snapshot hands out: these columns over its node list. */
  view(nodes: readonly NodeInfo[]): NodeColumns {
    return { ...this.arrays, count: nodes.length, nodes, flagged: this.flagged, leastFree: this.leastFree, changes: this.changes };
  }
}
