// The binary interface (ABI) of the score kernel and the code both implementations share: the
// node table over float64 columns, request validation/resolution, and the tie-breaking RNG.
// The numbers here are mirrored in assembly/layout.ts (AssemblyScript cannot import this file);
// README.md documents them for vendors.
import {
  MAX_EXTRA_SCORES,
  MAX_RESOURCE_VALUE,
  MAX_SHAPE_POINTS,
  type ExtraScore,
  type Normalization,
  type NodeResources,
  type PodRequests,
  type ScoreRequest,
} from './types.js';

export const ABI_VERSION = 1;

/** Node-indexed float64 columns; byte address = columnPtr(column) in the module. */
export const Column = {
  allocCpu: 0,
  allocMem: 1,
  allocPods: 2,
  reqCpu: 3,
  reqMem: 4,
  nonZeroCpu: 5,
  nonZeroMem: 6,
  podCount: 7,
  /** Input: raw extra score k at column extra0 + k. */
  extra0: 8,
  /** Output: weighted total. */
  total: 16,
  /** Output: normalized score of slot s (0 fit, 1 balanced, 2 + k extra k) at detail0 + s. */
  detail0: 17,
} as const;
export const NODE_STATE_COLUMNS = 8;
export const PUBLIC_COLUMNS = Column.detail0 + 2 + MAX_EXTRA_SCORES;

/** Float64 slots of the request record at requestPtr. */
export const Req = {
  podCpu: 0,
  podMem: 1,
  podNonZeroCpu: 2,
  podNonZeroMem: 3,
  flags: 4,
  fitStrategy: 5,
  fitWeight: 6,
  cpuWeight: 7,
  memWeight: 8,
  balancedWeight: 9,
  seed: 10,
  shapeCount: 11,
  /** Pairs (utilization, score 0..10). */
  shape: 12,
  extraCount: 12 + 2 * MAX_SHAPE_POINTS,
  /** Triples (mode, weight, param). */
  extras: 13 + 2 * MAX_SHAPE_POINTS,
} as const;
export const REQUEST_SLOTS = Req.extras + 3 * MAX_EXTRA_SCORES;

export const Flag = { fitFilter: 1, details: 2, balancedSkipBestEffort: 4 } as const;
export const Strategy = { disabled: 0, LeastAllocated: 1, MostAllocated: 2, RequestedToCapacityRatio: 3 } as const;
export const Mode: Record<Normalization, number> = {
  none: 0,
  default: 1,
  defaultReverse: 2,
  minMax: 3,
  imageLocality: 4,
  topologySpread: 5,
};

/** Float64 slots of the output header at outputPtr. */
export const Out = { best: 0, bestScore: 1, feasibleCount: 2, tieCount: 3, nextSeed: 4 } as const;
export const OUTPUT_SLOTS = 8;

const NODE_FIELDS: (keyof NodeResources)[] = [
  'allocatableMilliCpu',
  'allocatableMemory',
  'allocatablePods',
  'requestedMilliCpu',
  'requestedMemory',
  'nonZeroRequestedMilliCpu',
  'nonZeroRequestedMemory',
  'podCount',
];

function checkAmount(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > MAX_RESOURCE_VALUE) {
    throw new RangeError(`${what} must be an integer in 0..2^46, got ${v}`);
  }
}

function checkWeight(what: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${what} must be an integer in ${min}..${max}, got ${v}`);
}

/** Dense node table over the eight node-state columns (plain arrays or views of WASM memory). */
export class NodeTable {
  nodeCount = 0;

  constructor(
    readonly capacity: number,
    private readonly columns: Float64Array[],
  ) {}

  setNode(index: number, node: NodeResources): void {
    if (!Number.isInteger(index) || index < 0 || index > this.nodeCount || index >= this.capacity) {
      throw new RangeError(`node index ${index} outside 0..${Math.min(this.nodeCount, this.capacity - 1)}`);
    }
    NODE_FIELDS.forEach((field) => checkAmount(field, node[field]));
    NODE_FIELDS.forEach((field, c) => ((this.columns[c] as Float64Array)[index] = node[field]));
    if (index === this.nodeCount) this.nodeCount++;
  }

  getNode(index: number): NodeResources {
    this.checkIndex(index);
    const node = {} as NodeResources;
    NODE_FIELDS.forEach((field, c) => (node[field] = (this.columns[c] as Float64Array)[index] as number));
    return node;
  }

  removeNode(index: number): number {
    this.checkIndex(index);
    const last = this.nodeCount - 1;
    this.nodeCount--;
    if (index === last) return -1;
    for (const col of this.columns) col[index] = col[last] as number;
    return last;
  }

  addPod(index: number, pod: PodRequests, sign: 1 | -1 = 1): void {
    const node = this.getNode(index);
    node.requestedMilliCpu += sign * pod.milliCpu;
    node.requestedMemory += sign * pod.memory;
    node.nonZeroRequestedMilliCpu += sign * pod.nonZeroMilliCpu;
    node.nonZeroRequestedMemory += sign * pod.nonZeroMemory;
    node.podCount += sign;
    this.setNode(index, node);
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.nodeCount) {
      throw new RangeError(`node index ${index} outside 0..${this.nodeCount - 1}`);
    }
  }
}

export interface ResolvedExtra {
  name: string;
  mode: number;
  weight: number;
  param: number;
  raw: ArrayLike<number>;
}

/** A ScoreRequest with defaults applied and checked, in the kernel's numeric encoding. */
export interface ResolvedRequest {
  pod: PodRequests;
  flags: number;
  strategy: number;
  fitWeight: number;
  cpuWeight: number;
  memWeight: number;
  balancedWeight: number;
  seed: number;
  /** Flattened (utilization, score) pairs. */
  shape: number[];
  extras: ResolvedExtra[];
  feasible: Uint8Array | undefined;
}

const MAX_PLUGIN_WEIGHT = 10_000;

export function resolveRequest(request: ScoreRequest, nodeCount: number): ResolvedRequest {
  const { pod } = request;
  checkAmount('pod.milliCpu', pod.milliCpu);
  checkAmount('pod.memory', pod.memory);
  checkAmount('pod.nonZeroMilliCpu', pod.nonZeroMilliCpu);
  checkAmount('pod.nonZeroMemory', pod.nonZeroMemory);
  const fit = request.fit === undefined ? { strategy: 'LeastAllocated' as const, weight: 1 } : request.fit;
  const shape: number[] = [];
  if (fit) {
    checkWeight('fit.weight', fit.weight, 0, MAX_PLUGIN_WEIGHT);
    checkWeight('fit.cpuWeight', fit.cpuWeight ?? 1, 1, 100);
    checkWeight('fit.memoryWeight', fit.memoryWeight ?? 1, 1, 100);
    if (fit.strategy === 'RequestedToCapacityRatio') {
      const points = fit.shape ?? [];
      if (points.length < 1 || points.length > MAX_SHAPE_POINTS) throw new RangeError(`fit.shape needs 1..${MAX_SHAPE_POINTS} points`);
      points.forEach((p, i) => {
        checkWeight(`fit.shape[${i}].utilization`, p.utilization, i === 0 ? 0 : (points[i - 1] as typeof p).utilization + 1, 100);
        checkWeight(`fit.shape[${i}].score`, p.score, 0, 10);
        shape.push(p.utilization, p.score);
      });
    } else if (!(fit.strategy in Strategy)) throw new RangeError(`unknown fit.strategy ${String(fit.strategy)}`);
  }
  const balancedWeight = request.balancedWeight ?? 1;
  checkWeight('balancedWeight', balancedWeight, 0, MAX_PLUGIN_WEIGHT);
  const extras = (request.extras ?? []).map((e) => resolveExtra(e, nodeCount));
  if (extras.length > MAX_EXTRA_SCORES) throw new RangeError(`at most ${MAX_EXTRA_SCORES} extra scores`);
  if (request.feasible && request.feasible.length < nodeCount) throw new RangeError(`feasible has ${request.feasible.length} entries, need ${nodeCount}`);
  const flags =
    (request.fitFilter ? Flag.fitFilter : 0) |
    (request.details ? Flag.details : 0) |
    (request.balancedSkipBestEffort === false ? 0 : Flag.balancedSkipBestEffort);
  return {
    pod,
    flags,
    strategy: fit ? Strategy[fit.strategy] : Strategy.disabled,
    fitWeight: fit ? fit.weight : 0,
    cpuWeight: fit?.cpuWeight ?? 1,
    memWeight: fit?.memoryWeight ?? 1,
    balancedWeight,
    seed: (request.seed ?? 0) >>> 0,
    shape,
    extras,
    feasible: request.feasible,
  };
}

function resolveExtra(e: ExtraScore, nodeCount: number): ResolvedExtra {
  const mode = Mode[e.normalization];
  if (mode === undefined) throw new RangeError(`extra score ${e.name}: unknown normalization ${String(e.normalization)}`);
  checkWeight(`extra score ${e.name} weight`, e.weight, 0, MAX_PLUGIN_WEIGHT);
  if (e.raw.length < nodeCount) throw new RangeError(`extra score ${e.name} has ${e.raw.length} entries, need ${nodeCount}`);
  const param = e.normalization === 'imageLocality' ? (e.containers ?? 1) : 0;
  if (e.normalization === 'imageLocality') checkWeight(`extra score ${e.name} containers`, param, 1, 10_000);
  return { name: e.name, mode, weight: e.weight, param, raw: e.raw };
}

/** Plugin names of the detail slots, in slot order. */
export function detailNames(r: ResolvedRequest): string[] {
  return ['NodeResourcesFit', 'NodeResourcesBalancedAllocation', ...r.extras.map((e) => e.name)];
}

const SEED_FOR_ZERO = 0x9e3779b9;

/** xorshift32: a tiny RNG both implementations compute with the same 32-bit operations. */
export function nextRandom(state: number): number {
  let x = state >>> 0 || SEED_FOR_ZERO;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}
export { SEED_FOR_ZERO };

/**
 * RequestedToCapacityRatio's broken linear function (upstream helper.BuildBrokenLinearFunction,
 * scores scaled ×10 to 0..100) tabulated for utilization 0..100, the only inputs it ever sees.
 */
export function shapeTable(shape: number[]): Float64Array {
  const table = new Float64Array(101);
  const points = shape.length / 2;
  for (let p = 0; p <= 100; p++) {
    let value = (shape[2 * points - 1] as number) * 10;
    for (let i = 0; i < points; i++) {
      const u = shape[2 * i] as number;
      const s = (shape[2 * i + 1] as number) * 10;
      if (p <= u) {
        if (i === 0) value = s;
        else {
          const u0 = shape[2 * i - 2] as number;
          const s0 = (shape[2 * i - 1] as number) * 10;
          value = s0 + Math.trunc(((s - s0) * (p - u0)) / (u - u0));
        }
        break;
      }
    }
    table[p] = value;
  }
  return table;
}

/**
 * The node-table half of a NodeScorer (node add/change/remove and pod accounting), the same for
 * the reference and the WASM scorer; subclasses set `table` in their constructor.
 */
export abstract class NodeTableScorer {
  protected table!: NodeTable;

  get nodeCount(): number {
    return this.table.nodeCount;
  }
  setNode(index: number, node: NodeResources): void {
    this.table.setNode(index, node);
  }
  removeNode(index: number): number {
    return this.table.removeNode(index);
  }
  getNode(index: number): NodeResources {
    return this.table.getNode(index);
  }
  addPod(index: number, pod: PodRequests, sign: 1 | -1 = 1): void {
    this.table.addPod(index, pod, sign);
  }
}
