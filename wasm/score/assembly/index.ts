// Kite's node-scoring kernel: kube-scheduler's NodeResourcesFit / BalancedAllocation scores plus
// caller-supplied score columns, normalized, weighted and reduced to one chosen node, for all
// nodes at once. Nodes are processed two per step with f64x2 SIMD. Every value is an integer held
// exactly in a float64 (inputs ≤ 2^46), where a floored float64 quotient equals Go's int64 division
// (see intDiv), so results equal upstream's int64 math and the TypeScript reference exactly.
// The layout numbers mirror ../columns.ts; README.md documents them.

const ABI_VERSION: i32 = 1;

// Node-indexed float64 columns (see columns.ts Column).
const COL_ALLOC_CPU: i32 = 0;
const COL_ALLOC_MEM: i32 = 1;
const COL_ALLOC_PODS: i32 = 2;
const COL_REQ_CPU: i32 = 3;
const COL_REQ_MEM: i32 = 4;
const COL_NZ_CPU: i32 = 5;
const COL_NZ_MEM: i32 = 6;
const COL_POD_COUNT: i32 = 7;
const COL_EXTRA0: i32 = 8;
const COL_TOTAL: i32 = 16;
const COL_DETAIL0: i32 = 17;
const MAX_EXTRAS: i32 = 8;
const PUBLIC_COLUMNS: i32 = COL_DETAIL0 + 2 + MAX_EXTRAS;
// Kernel-private, per call: all-ones (feasible) or zero per node, a SIMD lane mask.
const COL_FEASIBLE: i32 = PUBLIC_COLUMNS;
const ALL_COLUMNS: i32 = PUBLIC_COLUMNS + 1;

// Request record slots (float64), see columns.ts Req.
const MAX_SHAPE: i32 = 16;
const R_POD_CPU: i32 = 0;
const R_POD_MEM: i32 = 1;
const R_POD_NZ_CPU: i32 = 2;
const R_POD_NZ_MEM: i32 = 3;
const R_FLAGS: i32 = 4;
const R_STRATEGY: i32 = 5;
const R_FIT_WEIGHT: i32 = 6;
const R_CPU_WEIGHT: i32 = 7;
const R_MEM_WEIGHT: i32 = 8;
const R_BALANCED_WEIGHT: i32 = 9;
const R_SEED: i32 = 10;
const R_SHAPE_COUNT: i32 = 11;
const R_SHAPE: i32 = 12;
const R_EXTRA_COUNT: i32 = 12 + 2 * MAX_SHAPE;
const R_EXTRAS: i32 = 13 + 2 * MAX_SHAPE;
const REQUEST_BYTES: i32 = 640;

const FLAG_FIT_FILTER: i32 = 1;
const FLAG_DETAILS: i32 = 2;
const FLAG_SKIP_BEST_EFFORT: i32 = 4;

const LEAST: i32 = 1;
const MOST: i32 = 2;
const RATIO: i32 = 3;

const MODE_DEFAULT: i32 = 1;
const MODE_REVERSE: i32 = 2;
const MODE_MIN_MAX: i32 = 3;
const MODE_IMAGE: i32 = 4;
const MODE_SPREAD: i32 = 5;

// Output header slots (float64), see columns.ts Out.
const O_BEST: i32 = 0;
const O_BEST_SCORE: i32 = 1;
const O_FEASIBLE: i32 = 2;
const O_TIES: i32 = 3;
const O_NEXT_SEED: i32 = 4;
const OUTPUT_BYTES: i32 = 64;

const MIB: f64 = 1024 * 1024;
const IMAGE_MIN: f64 = 23 * MIB;
const IMAGE_MAX_PER_CONTAINER: f64 = 1000 * MIB;
const SEED_FOR_ZERO: u32 = 0x9e3779b9;

let capacityNodes: i32 = 0;
let requestBase: usize = 0;
let outputBase: usize = 0;
let shapeBase: usize = 0; // 101 float64: the RequestedToCapacityRatio function per utilization
let statsBase: usize = 0; // per extra: min, max, divisor (3 float64)
let columnsBase: usize = 0;
let maskBase: usize = 0;

export function abiVersion(): i32 {
  return ABI_VERSION;
}

/** Lays out memory for `capacity` nodes (rounded up to 16) and zeroes it; returns the capacity. */
export function init(capacity: i32): i32 {
  capacityNodes = (capacity + 15) & ~15;
  requestBase = (__heap_base + 63) & ~63;
  outputBase = requestBase + REQUEST_BYTES;
  shapeBase = outputBase + OUTPUT_BYTES;
  statsBase = shapeBase + 101 * 8 + 8;
  columnsBase = (statsBase + MAX_EXTRAS * 24 + 63) & ~63;
  maskBase = columnsBase + <usize>ALL_COLUMNS * <usize>capacityNodes * 8;
  const end = maskBase + <usize>capacityNodes;
  const pages = <i32>((end + 0xffff) >> 16);
  if (pages > memory.size()) memory.grow(pages - memory.size());
  memory.fill(requestBase, 0, end - requestBase);
  return capacityNodes;
}

export function columnPtr(column: i32): usize {
  return columnsBase + <usize>column * <usize>capacityNodes * 8;
}
export function maskPtr(): usize {
  return maskBase;
}
export function requestPtr(): usize {
  return requestBase;
}
export function outputPtr(): usize {
  return outputBase;
}

let activeRequest: usize = 0; // the record score() is reading

@inline function req(slot: i32): f64 {
  return load<f64>(activeRequest + <usize>slot * 8);
}

/**
 * Go's int64 n / d for integer-valued n ≥ 0, 1 ≤ d ≤ 2^46, n < 2^53: the float64 quotient is within
 * half an ulp (< 2^-47 for quotients < 128) of the true one while a non-integer quotient is at least
 * 1/d > 2^-47 from the next integer, so flooring it never crosses an integer.
 */
@inline function intDiv(n: v128, d: v128): v128 {
  return f64x2.floor(f64x2.div(n, d));
}

/** trunc(n / d) for integer n of either sign (Go's integer division). */
@inline function intDivSigned(n: v128, d: v128): v128 {
  return f64x2.trunc(f64x2.div(n, d));
}

function buildShapeTable(): void {
  const points = <i32>req(R_SHAPE_COUNT);
  for (let p: i32 = 0; p <= 100; p++) {
    let value: f64 = req(R_SHAPE + 2 * points - 1) * 10;
    for (let i: i32 = 0; i < points; i++) {
      const u = req(R_SHAPE + 2 * i);
      const s = req(R_SHAPE + 2 * i + 1) * 10;
      if (<f64>p <= u) {
        if (i == 0) value = s;
        else {
          const u0 = req(R_SHAPE + 2 * i - 2);
          const s0 = req(R_SHAPE + 2 * i - 1) * 10;
          value = s0 + trunc<f64>(((s - s0) * (<f64>p - u0)) / (u - u0));
        }
        break;
      }
    }
    store<f64>(shapeBase + <usize>p * 8, value);
  }
}

/** Writes the feasible lane-mask column (mask AND NodeResourcesFit's filter); returns how many nodes pass. */
function computeFeasible(nodeCount: i32, flags: i32): i32 {
  const filter = (flags & FLAG_FIT_FILTER) != 0;
  const podCpu = req(R_POD_CPU);
  const podMem = req(R_POD_MEM);
  const podCpuV = f64x2.splat(podCpu);
  const podMemV = f64x2.splat(podMem);
  const one = f64x2.splat(1.0);
  const all = i64x2.splat(-1);
  const feasible = columnPtr(COL_FEASIBLE);
  const allocPods = columnPtr(COL_ALLOC_PODS);
  const podCount = columnPtr(COL_POD_COUNT);
  const allocCpu = columnPtr(COL_ALLOC_CPU);
  const allocMem = columnPtr(COL_ALLOC_MEM);
  const reqCpu = columnPtr(COL_REQ_CPU);
  const reqMem = columnPtr(COL_REQ_MEM);
  // The padding lane of an odd last pair is never feasible (nodeCount < capacity whenever it is odd).
  if (nodeCount < capacityNodes) store<u8>(maskBase + <usize>nodeCount, 0);
  let count = i64x2.splat(0);
  for (let i: i32 = 0; i < nodeCount; i += 2) {
    const o = <usize>i * 8;
    const m = maskBase + <usize>i;
    let ok = i64x2.ne(i64x2(<i64>load<u8>(m), <i64>load<u8>(m, 1)), i64x2.splat(0));
    if (filter) {
      // Pod count, then each requested resource against what is left (upstream fitsRequest).
      ok = v128.and(ok, f64x2.le(f64x2.add(v128.load(podCount + o), one), v128.load(allocPods + o)));
      const cpuOk = f64x2.le(podCpuV, f64x2.sub(v128.load(allocCpu + o), v128.load(reqCpu + o)));
      const memOk = f64x2.le(podMemV, f64x2.sub(v128.load(allocMem + o), v128.load(reqMem + o)));
      ok = v128.and(ok, podCpu == 0 ? all : cpuOk);
      ok = v128.and(ok, podMem == 0 ? all : memOk);
    }
    v128.store(feasible + o, ok);
    count = i64x2.sub(count, ok);
  }
  return <i32>(i64x2.extract_lane(count, 0) + i64x2.extract_lane(count, 1));
}

/** Per extra column: min and max over feasible nodes and the divisors its normalization uses. */
function computeExtraStats(nodeCount: i32, extras: i32): void {
  const feasible = columnPtr(COL_FEASIBLE);
  for (let k: i32 = 0; k < extras; k++) {
    const mode = <i32>req(R_EXTRAS + 3 * k);
    const column = columnPtr(COL_EXTRA0 + k);
    let min: f64 = Infinity;
    let max: f64 = mode == MODE_MIN_MAX ? -Infinity : 0;
    if (mode == MODE_DEFAULT || mode == MODE_REVERSE || mode == MODE_MIN_MAX || mode == MODE_SPREAD) {
      const none = f64x2.splat(-Infinity);
      const all = f64x2.splat(Infinity);
      let lows = all;
      let highs = f64x2.splat(max);
      for (let i: i32 = 0; i < nodeCount; i += 2) {
        const o = <usize>i * 8;
        const raw = v128.load(column + o);
        let counted = v128.load(feasible + o);
        if (mode == MODE_SPREAD) counted = v128.and(counted, f64x2.ge(raw, f64x2.splat(0.0))); // negative = ignored node
        highs = f64x2.pmax(highs, v128.bitselect(raw, none, counted));
        lows = f64x2.pmin(lows, v128.bitselect(raw, all, counted));
      }
      max = Math.max(f64x2.extract_lane(highs, 0), f64x2.extract_lane(highs, 1));
      min = Math.min(f64x2.extract_lane(lows, 0), f64x2.extract_lane(lows, 1));
    }
    let divisor: f64 = max;
    if (mode == MODE_MIN_MAX) divisor = max - min;
    if (mode == MODE_IMAGE) divisor = IMAGE_MAX_PER_CONTAINER * req(R_EXTRAS + 3 * k + 2) - IMAGE_MIN;
    const s = statsBase + <usize>k * 24;
    store<f64>(s, min);
    store<f64>(s, max, 8);
    store<f64>(s, divisor, 16);
  }
}

/**
 * Adds extra column k, normalized and weighted, to the totals of every node (and writes its detail
 * column). One pass per column keeps the normalization's constants out of the node loop.
 */
function addExtra(k: i32, nodeCount: i32, details: bool): void {
  const mode = <i32>req(R_EXTRAS + 3 * k);
  const weight = f64x2.splat(req(R_EXTRAS + 3 * k + 1));
  const raws = columnPtr(COL_EXTRA0 + k);
  const detail = columnPtr(COL_DETAIL0 + 2 + k);
  const totals = columnPtr(COL_TOTAL);
  const s = statsBase + <usize>k * 24;
  const min = load<f64>(s);
  const max = load<f64>(s, 8);
  const d = f64x2.splat(load<f64>(s, 16));
  const hundred = f64x2.splat(100.0);
  const zero = f64x2.splat(0.0);
  const minV = f64x2.splat(min);
  const spreadBase = f64x2.splat(max + min);
  const imageLower = f64x2.splat(IMAGE_MIN);
  const imageUpper = f64x2.splat(IMAGE_MAX_PER_CONTAINER * req(R_EXTRAS + 3 * k + 2));
  for (let i: i32 = 0; i < nodeCount; i += 2) {
    const o = <usize>i * 8;
    const raw = v128.load(raws + o);
    let v = raw;
    if (mode == MODE_DEFAULT || mode == MODE_REVERSE) {
      if (max == 0) v = mode == MODE_DEFAULT ? raw : hundred;
      else {
        const q = intDivSigned(f64x2.mul(raw, hundred), d);
        v = mode == MODE_DEFAULT ? q : f64x2.sub(hundred, q);
      }
    } else if (mode == MODE_MIN_MAX) {
      v = max - min > 0 ? f64x2.trunc(f64x2.mul(hundred, f64x2.div(f64x2.sub(raw, minV), d))) : zero;
    } else if (mode == MODE_IMAGE) {
      const sum = f64x2.pmin(f64x2.pmax(raw, imageLower), imageUpper);
      v = intDiv(f64x2.mul(hundred, f64x2.sub(sum, imageLower)), d);
    } else if (mode == MODE_SPREAD) {
      const ignored = f64x2.lt(raw, zero);
      v = max == 0 ? hundred : intDiv(f64x2.mul(hundred, f64x2.sub(spreadBase, raw)), d);
      v = v128.bitselect(zero, v, ignored);
    }
    v128.store(totals + o, f64x2.add(v128.load(totals + o), f64x2.mul(weight, v)));
    if (details) v128.store(detail + o, v);
  }
}

/** One resource's NodeResourcesFit score for a node pair (lanes with allocatable 0 are masked by the caller). */
@inline function resourceScore(strategy: i32, requested: v128, alloc: v128): v128 {
  const hundred = f64x2.splat(100.0);
  const over = f64x2.gt(requested, alloc);
  if (strategy == LEAST) {
    const q = intDiv(f64x2.mul(f64x2.sub(alloc, requested), hundred), alloc);
    return v128.bitselect(f64x2.splat(0.0), q, over);
  }
  if (strategy == MOST) return intDiv(f64x2.mul(f64x2.pmin(requested, alloc), hundred), alloc);
  // RequestedToCapacityRatio: utilization 0..100, then the tabulated shape function.
  let p = v128.bitselect(hundred, intDiv(f64x2.mul(requested, hundred), alloc), over);
  p = f64x2.min(f64x2.max(p, f64x2.splat(0.0)), hundred);
  const p0 = <usize>(<i32>f64x2.extract_lane(p, 0));
  const p1 = <usize>(<i32>f64x2.extract_lane(p, 1));
  return f64x2(load<f64>(shapeBase + p0 * 8), load<f64>(shapeBase + p1 * 8));
}

@inline function nextRandom(state: u32): u32 {
  let x = state == 0 ? SEED_FOR_ZERO : state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

export function score(nodeCount: i32, reqPtr: usize, outPtr: usize): void {
  activeRequest = reqPtr;
  const flags = <i32>req(R_FLAGS);
  const strategy = <i32>req(R_STRATEGY);
  const extras = <i32>req(R_EXTRA_COUNT);
  const details = (flags & FLAG_DETAILS) != 0;
  if (strategy == RATIO) buildShapeTable();
  const feasibleCount = computeFeasible(nodeCount, flags);
  computeExtraStats(nodeCount, extras);

  const podCpu = req(R_POD_CPU);
  const podMem = req(R_POD_MEM);
  const balancedWeight = req(R_BALANCED_WEIGHT);
  const balancedOn = balancedWeight > 0 && !((flags & FLAG_SKIP_BEST_EFFORT) != 0 && podCpu == 0 && podMem == 0);
  const fitWeight = f64x2.splat(req(R_FIT_WEIGHT));
  const balWeight = f64x2.splat(balancedWeight);
  const podCpuV = f64x2.splat(podCpu);
  const podMemV = f64x2.splat(podMem);
  const podNzCpu = f64x2.splat(req(R_POD_NZ_CPU));
  const podNzMem = f64x2.splat(req(R_POD_NZ_MEM));
  const cpuW = req(R_CPU_WEIGHT);
  const memW = req(R_MEM_WEIGHT);
  const cpuWeight = f64x2.splat(cpuW);
  const memWeight = f64x2.splat(memW);
  const zero = f64x2.splat(0.0);
  const one = f64x2.splat(1.0);
  const half = f64x2.splat(0.5);
  const hundred = f64x2.splat(100.0);
  const minusOne = f64x2.splat(-1.0);
  const lowest = f64x2.splat(-Infinity);

  const allocCpu = columnPtr(COL_ALLOC_CPU);
  const allocMem = columnPtr(COL_ALLOC_MEM);
  const reqCpu = columnPtr(COL_REQ_CPU);
  const reqMem = columnPtr(COL_REQ_MEM);
  const nzCpu = columnPtr(COL_NZ_CPU);
  const nzMem = columnPtr(COL_NZ_MEM);
  const totals = columnPtr(COL_TOTAL);
  const feasible = columnPtr(COL_FEASIBLE);
  const fitDetail = columnPtr(COL_DETAIL0);
  const balancedDetail = columnPtr(COL_DETAIL0 + 1);
  let highest = lowest;

  for (let i: i32 = 0; i < nodeCount; i += 2) {
    const o = <usize>i * 8;
    const lanes = v128.load(feasible + o); // infeasible lanes are computed, then masked
    const aCpu = v128.load(allocCpu + o);
    const aMem = v128.load(allocMem + o);
    const hasCpu = f64x2.ne(aCpu, zero);
    const hasMem = f64x2.ne(aMem, zero);

    let fit = zero;
    if (strategy != 0) {
      const cpu = resourceScore(strategy, f64x2.add(v128.load(nzCpu + o), podNzCpu), aCpu);
      const mem = resourceScore(strategy, f64x2.add(v128.load(nzMem + o), podNzMem), aMem);
      // RequestedToCapacityRatio averages only resources scoring above zero, as upstream.
      const useCpu = strategy == RATIO ? v128.and(hasCpu, f64x2.gt(cpu, zero)) : hasCpu;
      const useMem = strategy == RATIO ? v128.and(hasMem, f64x2.gt(mem, zero)) : hasMem;
      const sum = f64x2.add(v128.and(f64x2.mul(cpu, cpuWeight), useCpu), v128.and(f64x2.mul(mem, memWeight), useMem));
      const weights = f64x2.add(v128.and(cpuWeight, useCpu), v128.and(memWeight, useMem));
      let avg: v128;
      if (strategy == RATIO) {
        avg = f64x2.floor(f64x2.add(f64x2.div(sum, weights), half));
      } else {
        avg = intDiv(sum, weights);
      }
      fit = v128.and(avg, f64x2.ne(weights, zero));
    }

    let balanced = zero;
    if (balancedOn) {
      const cpuFraction = f64x2.pmin(f64x2.div(f64x2.add(v128.load(reqCpu + o), podCpuV), aCpu), one);
      const memFraction = f64x2.pmin(f64x2.div(f64x2.add(v128.load(reqMem + o), podMemV), aMem), one);
      const std = v128.and(f64x2.abs(f64x2.mul(f64x2.sub(cpuFraction, memFraction), half)), v128.and(hasCpu, hasMem));
      balanced = f64x2.trunc(f64x2.mul(f64x2.sub(one, std), hundred));
    }

    const total = f64x2.add(f64x2.mul(fitWeight, fit), f64x2.mul(balWeight, balanced));
    if (details) {
      v128.store(fitDetail + o, v128.bitselect(fit, minusOne, lanes));
      v128.store(balancedDetail + o, v128.bitselect(balanced, minusOne, lanes));
    }
    if (extras == 0) {
      v128.store(totals + o, v128.bitselect(total, minusOne, lanes));
      highest = f64x2.pmax(highest, v128.bitselect(total, lowest, lanes));
    } else v128.store(totals + o, total);
  }
  for (let k: i32 = 0; k < extras; k++) addExtra(k, nodeCount, details);

  // With extra columns: infeasible nodes total -1 (and -1 in every detail column); the best total.
  for (let i: i32 = 0; i < (extras > 0 ? nodeCount : 0); i += 2) {
    const o = <usize>i * 8;
    const lanes = v128.load(feasible + o);
    const total = v128.load(totals + o);
    v128.store(totals + o, v128.bitselect(total, minusOne, lanes));
    highest = f64x2.pmax(highest, v128.bitselect(total, lowest, lanes));
    if (details) {
      for (let d: i32 = 0; d < extras; d++) {
        const p = columnPtr(COL_DETAIL0 + 2 + d) + o;
        v128.store(p, v128.bitselect(v128.load(p), minusOne, lanes));
      }
    }
  }

  // Uniform seeded choice among the feasible nodes with the best total, in index order (reservoir).
  const bestScore = f64x2.pmax(highest, f64x2.shuffle(highest, highest, 1, 0));
  const top = f64x2.extract_lane(bestScore, 0);
  let best: i32 = -1;
  let ties: i32 = 0;
  let rng: u32 = <u32>req(R_SEED);
  for (let i: i32 = 0; i < nodeCount; i++) {
    const o = <usize>i * 8;
    if (load<f64>(totals + o) != top || load<i64>(feasible + o) == 0) continue;
    ties++;
    if (ties == 1) best = i;
    else {
      rng = nextRandom(rng);
      if (rng % <u32>ties == 0) best = i;
    }
  }
  store<f64>(outPtr, <f64>best, O_BEST * 8);
  store<f64>(outPtr, best < 0 ? -1 : top, O_BEST_SCORE * 8);
  store<f64>(outPtr, <f64>feasibleCount, O_FEASIBLE * 8);
  store<f64>(outPtr, <f64>ties, O_TIES * 8);
  store<f64>(outPtr, <f64>rng, O_NEXT_SEED * 8);
}
