// The TypeScript reference scorer: the kernel's algorithm written plainly over the same columnar
// typed arrays, one node at a time. It is the specification the WASM kernel must match exactly, and
// the fair baseline the benchmark compares against. Integer formulas follow kube-scheduler's int64
// math: float64 holds every value exactly (see MAX_RESOURCE_VALUE), so Math.floor(a / b) equals Go's a / b.
import {
  Flag,
  Mode,
  NODE_STATE_COLUMNS,
  NodeTable,
  NodeTableScorer,
  Strategy,
  detailNames,
  nextRandom,
  resolveRequest,
  shapeTable,
  type ResolvedExtra,
  type ResolvedRequest,
} from './columns.js';
import { MAX_NODE_SCORE, type NodeResources, type NodeScorer, type PodRequests, type ScoreRequest, type ScoreResult } from './types.js';

type Columns = [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];

/** Per-call statistics an extra column's normalization needs (over feasible nodes). */
interface ExtraStats {
  min: number;
  max: number;
}

export class ReferenceScorer extends NodeTableScorer implements NodeScorer {
  private readonly cols: Float64Array[];
  private readonly feasible: Uint8Array;
  private readonly totals: Float64Array;
  private readonly detailCols: Float64Array[] = [];

  constructor(readonly capacity = 65_536) {
    super();
    this.cols = Array.from({ length: NODE_STATE_COLUMNS }, () => new Float64Array(capacity));
    this.table = new NodeTable(capacity, this.cols);
    this.feasible = new Uint8Array(capacity);
    this.totals = new Float64Array(capacity);
  }

  score(request: ScoreRequest): ScoreResult {
    const n = this.table.nodeCount;
    const r = resolveRequest(request, n);
    const feasibleCount = this.markFeasible(r, n);
    const details = r.flags & Flag.details ? this.detailColumns(2 + r.extras.length) : undefined;
    let highest = this.scoreResources(r, n, details);
    if (r.extras.length > 0) highest = this.addExtras(r, n, details);
    const { best, ties, rng } = this.chooseBest(n, highest, r.seed);
    const names = details ? detailNames(r) : [];
    return {
      best,
      bestScore: best < 0 ? -1 : highest,
      feasibleCount,
      tieCount: ties,
      nextSeed: rng,
      totals: this.totals.subarray(0, n),
      details: details?.map((d, i) => ({ plugin: names[i]!, scores: d.subarray(0, n) })),
    };
  }

  /** Caller's mask AND (optionally) NodeResourcesFit's filter: pod count, then each requested resource against what is left. */
  private markFeasible(r: ResolvedRequest, n: number): number {
    const [allocCpu, allocMem, allocPods, reqCpu, reqMem, , , podCount] = this.cols as Columns;
    const feasible = this.feasible;
    const mask = r.feasible;
    const filter = (r.flags & Flag.fitFilter) !== 0;
    const podCpu = r.pod.milliCpu;
    const podMem = r.pod.memory;
    let count = 0;
    for (let i = 0; i < n; i++) {
      let ok = mask === undefined || mask[i] !== 0;
      if (ok && filter) {
        ok =
          podCount[i]! + 1 <= allocPods[i]! &&
          (podCpu === 0 || podCpu <= allocCpu[i]! - reqCpu[i]!) &&
          (podMem === 0 || podMem <= allocMem[i]! - reqMem[i]!);
      }
      feasible[i] = ok ? 1 : 0;
      count += feasible[i]!;
    }
    return count;
  }

  /** NodeResourcesFit and BalancedAllocation, weighted, into totals; returns the highest feasible total. */
  private scoreResources(r: ResolvedRequest, n: number, details: Float64Array[] | undefined): number {
    const [allocCpu, allocMem, , reqCpu, reqMem, nzCpu, nzMem] = this.cols as Columns;
    const { feasible, totals } = this;
    const { strategy, fitWeight, cpuWeight, memWeight, balancedWeight } = r;
    const table = strategy === Strategy.RequestedToCapacityRatio ? shapeTable(r.shape) : undefined;
    const podCpu = r.pod.milliCpu;
    const podMem = r.pod.memory;
    const podNonZeroCpu = r.pod.nonZeroMilliCpu;
    const podNonZeroMem = r.pod.nonZeroMemory;
    const balancedOn = balancedWeight > 0 && !(r.flags & Flag.balancedSkipBestEffort && podCpu === 0 && podMem === 0);
    const fitDetail = details?.[0];
    const balancedDetail = details?.[1];
    let highest = -Infinity;
    for (let i = 0; i < n; i++) {
      if (feasible[i] === 0) {
        totals[i] = -1;
        if (fitDetail) fitDetail[i] = balancedDetail![i] = -1;
        continue;
      }
      const cpuAlloc = allocCpu[i]!;
      const memAlloc = allocMem[i]!;
      const fit = strategy === Strategy.disabled ? 0 : fitScore(strategy, table, cpuWeight, memWeight, nzCpu[i]! + podNonZeroCpu, cpuAlloc, nzMem[i]! + podNonZeroMem, memAlloc);
      const balanced = balancedOn ? balancedScore(reqCpu[i]! + podCpu, cpuAlloc, reqMem[i]! + podMem, memAlloc) : 0;
      const total = fitWeight * fit + balancedWeight * balanced;
      totals[i] = total;
      if (total > highest) highest = total;
      if (fitDetail) {
        fitDetail[i] = fit;
        balancedDetail![i] = balanced;
      }
    }
    return highest;
  }

  /** Normalizes, weights and adds each extra column; returns the new highest feasible total. */
  private addExtras(r: ResolvedRequest, n: number, details: Float64Array[] | undefined): number {
    const { feasible, totals } = this;
    r.extras.forEach((e, k) => {
      const stats = extraStats(e, feasible, n);
      const detail = details?.[2 + k];
      for (let i = 0; i < n; i++) {
        if (feasible[i] === 0) {
          if (detail) detail[i] = -1;
          continue;
        }
        const v = normalizeExtra(e, e.raw[i]!, stats);
        totals[i]! += e.weight * v;
        if (detail) detail[i] = v;
      }
    });
    let highest = -Infinity;
    for (let i = 0; i < n; i++) if (feasible[i] !== 0 && totals[i]! > highest) highest = totals[i]!;
    return highest;
  }

  /** Uniform seeded choice among the feasible nodes with the best total, in index order (reservoir, as upstream selectHost). */
  private chooseBest(n: number, highest: number, seed: number): { best: number; ties: number; rng: number } {
    const { feasible, totals } = this;
    let best = -1;
    let ties = 0;
    let rng = seed;
    for (let i = 0; i < n; i++) {
      if (totals[i] !== highest || feasible[i] === 0) continue;
      if (++ties === 1) best = i;
      else {
        rng = nextRandom(rng);
        if (rng % ties === 0) best = i;
      }
    }
    return { best, ties, rng };
  }

  private detailColumns(count: number): Float64Array[] {
    while (this.detailCols.length < count) this.detailCols.push(new Float64Array(this.capacity));
    return this.detailCols.slice(0, count);
  }
}

/** NodeResourcesFit's score: the weighted mean of the per-resource scores of resources the node has. */
function fitScore(
  strategy: number,
  table: Float64Array | undefined,
  cpuWeight: number,
  memWeight: number,
  cpuRequested: number,
  cpuAllocatable: number,
  memRequested: number,
  memAllocatable: number,
): number {
  const ratio = strategy === Strategy.RequestedToCapacityRatio;
  const cpu = resourceScore(strategy, table, cpuRequested, cpuAllocatable);
  const mem = resourceScore(strategy, table, memRequested, memAllocatable);
  let sum = 0;
  let weights = 0;
  // RequestedToCapacityRatio counts only resources scoring above zero, as upstream.
  if (ratio ? cpu > 0 : cpu >= 0) {
    sum += cpu * cpuWeight;
    weights += cpuWeight;
  }
  if (ratio ? mem > 0 : mem >= 0) {
    sum += mem * memWeight;
    weights += memWeight;
  }
  if (weights === 0) return 0;
  return ratio ? Math.floor(sum / weights + 0.5) : Math.floor(sum / weights);
}

/**
 * One resource's NodeResourcesFit score; -1 when the node has none of it (allocatable 0), which
 * upstream leaves out of the weighted average.
 */
function resourceScore(strategy: number, table: Float64Array | undefined, requested: number, allocatable: number): number {
  if (allocatable === 0) return -1;
  if (strategy === Strategy.LeastAllocated) {
    return requested > allocatable ? 0 : Math.floor(((allocatable - requested) * MAX_NODE_SCORE) / allocatable);
  }
  if (strategy === Strategy.MostAllocated) {
    return Math.floor((Math.min(requested, allocatable) * MAX_NODE_SCORE) / allocatable);
  }
  const utilization = requested > allocatable ? 100 : Math.floor((requested * 100) / allocatable);
  return table![utilization]!;
}

/** NodeResourcesBalancedAllocation over cpu and memory: (1 - std of the requested fractions) × 100, truncated. */
function balancedScore(cpuRequested: number, cpuAllocatable: number, memRequested: number, memAllocatable: number): number {
  let std = 0;
  // With one (or no) resource present upstream's std is 0.
  if (cpuAllocatable !== 0 && memAllocatable !== 0) {
    const cpu = Math.min(cpuRequested / cpuAllocatable, 1);
    const mem = Math.min(memRequested / memAllocatable, 1);
    std = Math.abs((cpu - mem) / 2);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

function extraStats(e: ResolvedExtra, feasible: Uint8Array, n: number): ExtraStats {
  let min = Infinity;
  let max = e.mode === Mode.minMax ? -Infinity : 0;
  if (e.mode === Mode.none || e.mode === Mode.imageLocality) return { min, max };
  for (let i = 0; i < n; i++) {
    if (!feasible[i]) continue;
    const v = e.raw[i]!;
    if (e.mode === Mode.topologySpread && v < 0) continue;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  return { min, max };
}

const MIB = 1024 * 1024;
const IMAGE_MIN_THRESHOLD = 23 * MIB;
const IMAGE_MAX_CONTAINER_THRESHOLD = 1000 * MIB;

function normalizeExtra(e: ResolvedExtra, raw: number, s: ExtraStats): number {
  switch (e.mode) {
    case Mode.default:
      return s.max === 0 ? raw : Math.trunc((MAX_NODE_SCORE * raw) / s.max);
    case Mode.defaultReverse:
      return s.max === 0 ? MAX_NODE_SCORE : MAX_NODE_SCORE - Math.trunc((MAX_NODE_SCORE * raw) / s.max);
    case Mode.minMax: {
      const diff = s.max - s.min;
      return diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((raw - s.min) / diff)) : 0;
    }
    case Mode.imageLocality: {
      const maxThreshold = IMAGE_MAX_CONTAINER_THRESHOLD * e.param;
      const sum = Math.min(Math.max(raw, IMAGE_MIN_THRESHOLD), maxThreshold);
      return Math.trunc((MAX_NODE_SCORE * (sum - IMAGE_MIN_THRESHOLD)) / (maxThreshold - IMAGE_MIN_THRESHOLD));
    }
    case Mode.topologySpread:
      if (raw < 0) return 0;
      return s.max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (s.max + s.min - raw)) / s.max);
    default:
      return raw;
  }
}
