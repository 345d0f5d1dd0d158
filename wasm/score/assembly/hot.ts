// The score loops' shared pieces and the hot loop: feasibility lanes (caller's mask, fit filter),
// NodeResourcesFit's per-resource scores, and hotPairs, the loop for the upstream default profile
// (LeastAllocated or MostAllocated, with or without BalancedAllocation, no details), instantiated
// per variant so that each runs without per-node branches on the request, four nodes per step.
import {
  COL_ALLOC_CPU,
  COL_ALLOC_MEM,
  COL_ALLOC_PODS,
  COL_FEASIBLE,
  COL_NZ_CPU,
  COL_NZ_MEM,
  COL_POD_COUNT,
  COL_REQ_CPU,
  COL_REQ_MEM,
  COL_TOTAL,
  LEAST,
  MOST,
  R_BALANCED_WEIGHT,
  R_CPU_WEIGHT,
  R_FIT_WEIGHT,
  R_MEM_WEIGHT,
  R_POD_CPU,
  R_POD_MEM,
  R_POD_NZ_CPU,
  R_POD_NZ_MEM,
  column,
  intDiv,
  maskBase,
  req,
  shapeBase,
} from './layout';

// Loop-invariant vectors of the hot loop, kept at a static address: V8 reloads them as memory
// operands instead of re-deriving them (it sinks invariant arithmetic into loops, divisions too).
const HOT: usize = memory.data(16 * 16, 16);
export const K_FIT_WEIGHT: usize = HOT;
export const K_BAL_WEIGHT: usize = HOT + 16;
export const K_POD_CPU: usize = HOT + 32;
export const K_POD_MEM: usize = HOT + 48;
export const K_POD_NZ_CPU: usize = HOT + 64;
export const K_POD_NZ_MEM: usize = HOT + 80;
export const K_CPU_WEIGHT: usize = HOT + 96;
export const K_MEM_WEIGHT: usize = HOT + 112;
export const K_INV_WEIGHTS: usize = HOT + 128;
export const K_HALF_STEP: usize = HOT + 144;
export const K_BASE: usize = HOT + 160;
export const K_FILTER_CPU: usize = HOT + 176;
export const K_FILTER_MEM: usize = HOT + 192;

@inline export function put(at: usize, value: f64): void {
  v128.store(at, f64x2.splat(value));
}
@inline export function get(at: usize): v128 {
  return v128.load(at);
}

/** Sets the constants the fit filter compares with: a resource the pod does not request is not checked (upstream), and -Inf passes. */
export function prepareFilter(): void {
  const podCpu = req(R_POD_CPU);
  const podMem = req(R_POD_MEM);
  put(K_FILTER_CPU, podCpu == 0 ? -Infinity : podCpu);
  put(K_FILTER_MEM, podMem == 0 ? -Infinity : podMem);
}

/** Two mask bytes → two 64-bit lanes: all ones where the byte is non-zero. */
@inline function maskLanes(mask: usize): v128 {
  const bytes = v128.load16_splat(mask);
  return v128.not(i8x16.eq(i8x16.shuffle(bytes, bytes, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1), i8x16.splat(0)));
}

/** NodeResourcesFit's filter for the node pair at these column pointers: pod count, then each requested resource against what is left (upstream fitsRequest). */
@inline function filterLanes(podCount: usize, allocPods: usize, allocCpu: usize, reqCpu: usize, allocMem: usize, reqMem: usize): v128 {
  let ok = f64x2.le(f64x2.add(v128.load(podCount), f64x2.splat(1.0)), v128.load(allocPods));
  ok = v128.and(ok, f64x2.le(get(K_FILTER_CPU), f64x2.sub(v128.load(allocCpu), v128.load(reqCpu))));
  return v128.and(ok, f64x2.le(get(K_FILTER_MEM), f64x2.sub(v128.load(allocMem), v128.load(reqMem))));
}

/** Writes the feasible lane-mask column (mask AND, with `filter`, NodeResourcesFit's filter); returns how many nodes pass. */
export function computeFeasible(nodeCount: i32, filter: bool): i32 {
  return filter ? feasiblePairs(true, nodeCount) : feasiblePairs(false, nodeCount);
}
@inline function feasiblePairs(filter: bool, nodeCount: i32): i32 {
  let count = i64x2.splat(0);
  let mask = maskBase;
  let feasible = column(COL_FEASIBLE);
  let podCount = column(COL_POD_COUNT);
  let allocPods = column(COL_ALLOC_PODS);
  let allocCpu = column(COL_ALLOC_CPU);
  let reqCpu = column(COL_REQ_CPU);
  let allocMem = column(COL_ALLOC_MEM);
  let reqMem = column(COL_REQ_MEM);
  const end = feasible + <usize>((nodeCount + 3) & ~3) * 8; // the hot loop reads up to a multiple of 4
  while (feasible < end) {
    let ok = maskLanes(mask);
    if (filter) {
      ok = v128.and(ok, filterLanes(podCount, allocPods, allocCpu, reqCpu, allocMem, reqMem));
      podCount += 16;
      allocPods += 16;
      allocCpu += 16;
      reqCpu += 16;
      allocMem += 16;
      reqMem += 16;
    }
    v128.store(feasible, ok);
    count = i64x2.sub(count, ok);
    feasible += 16;
    mask += 2;
  }
  return <i32>(i64x2.extract_lane(count, 0) + i64x2.extract_lane(count, 1));
}

/** One resource's NodeResourcesFit score for a node pair (lanes with allocatable 0 are masked by the caller). */
@inline export function resourceScore(strategy: i32, requested: v128, alloc: v128): v128 {
  const hundred = f64x2.splat(100.0);
  // LeastAllocated: requested > alloc makes the quotient negative, and such a node scores 0.
  if (strategy == LEAST) return f64x2.pmax(intDiv(f64x2.mul(f64x2.sub(alloc, requested), hundred), alloc), f64x2.splat(0.0));
  if (strategy == MOST) return intDiv(f64x2.mul(f64x2.pmin(requested, alloc), hundred), alloc);
  // RequestedToCapacityRatio: utilization 0..100, then the tabulated shape function.
  let p = v128.bitselect(hundred, intDiv(f64x2.mul(requested, hundred), alloc), f64x2.gt(requested, alloc));
  p = f64x2.min(f64x2.max(p, f64x2.splat(0.0)), hundred);
  const p0 = <usize>(<i32>f64x2.extract_lane(p, 0));
  const p1 = <usize>(<i32>f64x2.extract_lane(p, 1));
  return f64x2(load<f64>(shapeBase + p0 * 8), load<f64>(shapeBase + p1 * 8));
}

/** The loop-invariant vectors both score loops read. */
export function prepareHot(constant: f64): void {
  const cpuW = req(R_CPU_WEIGHT);
  const memW = req(R_MEM_WEIGHT);
  put(K_FIT_WEIGHT, req(R_FIT_WEIGHT));
  put(K_BAL_WEIGHT, req(R_BALANCED_WEIGHT));
  put(K_POD_CPU, req(R_POD_CPU));
  put(K_POD_MEM, req(R_POD_MEM));
  put(K_POD_NZ_CPU, req(R_POD_NZ_CPU));
  put(K_POD_NZ_MEM, req(R_POD_NZ_MEM));
  put(K_CPU_WEIGHT, cpuW);
  put(K_MEM_WEIGHT, memW);
  // floor(sum / w) for both resources as floor(sum · (1/w) + 1/(2w)): exact for integer sums up to
  // 100·w with w ≤ 200, whose quotients sit k/w from an integer, far beyond the rounding error (README).
  const inverse = 1 / (cpuW + memW);
  put(K_INV_WEIGHTS, inverse);
  put(K_HALF_STEP, inverse * 0.5);
  put(K_BASE, constant);
}

// Where hotPairs takes feasibility from: the feasible column (computeFeasible ran), or the mask
// alone, or the mask and the fit filter, computed in the same pass and not stored (later passes
// tell feasible nodes by their totals, -1 only for infeasible ones here).
export const LANES_STORED: i32 = 0;
export const LANES_MASK: i32 = 1;
export const LANES_FILTER: i32 = 2;
/** hotPairs' count of feasible nodes when it computed feasibility itself. */
export let hotFeasible: i32 = 0;

/**
 * The hot path: LeastAllocated / MostAllocated (with or without BalancedAllocation), no details,
 * totals ≥ 0, four nodes per step. Infeasible totals are -1, so the highest total over all lanes is
 * the highest feasible one whenever there is a feasible node (and -1 otherwise, which score() reads
 * as none). Nodes up to nodeCount rounded up to 4 are computed; score() made the extra lanes infeasible.
 */
@inline function hotPairs(strategy: i32, balancedOn: bool, lanesFrom: i32, nodeCount: i32, constant: f64): v128 {
  prepareHot(constant);
  let feasible = column(COL_FEASIBLE);
  let mask = maskBase;
  let podCount = column(COL_POD_COUNT);
  let allocPods = column(COL_ALLOC_PODS);
  let allocCpu = column(COL_ALLOC_CPU);
  let allocMem = column(COL_ALLOC_MEM);
  let reqCpu = column(COL_REQ_CPU);
  let reqMem = column(COL_REQ_MEM);
  let nzCpu = column(COL_NZ_CPU);
  let nzMem = column(COL_NZ_MEM);
  let totals = column(COL_TOTAL);
  const end = feasible + <usize>((nodeCount + 3) & ~3) * 8;
  let highest = f64x2.splat(-Infinity);
  let highest2 = highest;
  const zero = f64x2.splat(0.0);
  let count = i64x2.splat(0);
  while (feasible < end) {
    const first = hotPair(strategy, balancedOn, lanesFrom, 0, feasible, mask, podCount, allocPods, allocCpu, allocMem, reqCpu, reqMem, nzCpu, nzMem, totals);
    const second = hotPair(strategy, balancedOn, lanesFrom, 16, feasible, mask + 2, podCount, allocPods, allocCpu, allocMem, reqCpu, reqMem, nzCpu, nzMem, totals);
    highest = f64x2.pmax(highest, first);
    highest2 = f64x2.pmax(highest2, second);
    if (lanesFrom != LANES_STORED) {
      // Feasible totals are ≥ 0, infeasible ones -1: count the feasible nodes from the totals.
      count = i64x2.sub(count, f64x2.ge(first, zero));
      count = i64x2.sub(count, f64x2.ge(second, zero));
    }
    feasible += 32;
    mask += 4;
    allocCpu += 32;
    allocMem += 32;
    reqCpu += 32;
    reqMem += 32;
    nzCpu += 32;
    nzMem += 32;
    totals += 32;
    if (lanesFrom == LANES_FILTER) {
      podCount += 32;
      allocPods += 32;
    }
  }
  if (lanesFrom != LANES_STORED) hotFeasible = <i32>(i64x2.extract_lane(count, 0) + i64x2.extract_lane(count, 1));
  return f64x2.pmax(highest, highest2);
}

/** One node pair of hotPairs at byte offset `o` from the column pointers; stores and returns its masked totals. */
@inline function hotPair(
  strategy: i32,
  balancedOn: bool,
  lanesFrom: i32,
  o: usize,
  feasible: usize,
  mask: usize,
  podCount: usize,
  allocPods: usize,
  allocCpu: usize,
  allocMem: usize,
  reqCpu: usize,
  reqMem: usize,
  nzCpu: usize,
  nzMem: usize,
  totals: usize,
): v128 {
  const zero = f64x2.splat(0.0);
  let lanes: v128;
  if (lanesFrom == LANES_STORED) lanes = v128.load(feasible + o);
  else {
    lanes = maskLanes(mask);
    if (lanesFrom == LANES_FILTER) lanes = v128.and(lanes, filterLanes(podCount + o, allocPods + o, allocCpu + o, reqCpu + o, allocMem + o, reqMem + o));
  }
  const aCpu = v128.load(allocCpu + o);
  const aMem = v128.load(allocMem + o);
  const hasBoth = v128.and(f64x2.ne(aCpu, zero), f64x2.ne(aMem, zero));
  const cpu = resourceScore(strategy, f64x2.add(v128.load(nzCpu + o), get(K_POD_NZ_CPU)), aCpu);
  const mem = resourceScore(strategy, f64x2.add(v128.load(nzMem + o), get(K_POD_NZ_MEM)), aMem);
  const sum = f64x2.add(f64x2.mul(cpu, get(K_CPU_WEIGHT)), f64x2.mul(mem, get(K_MEM_WEIGHT)));
  let fit = f64x2.floor(f64x2.add(f64x2.mul(sum, get(K_INV_WEIGHTS)), get(K_HALF_STEP)));
  // A node with one resource scores that resource (score·w / w); with none, 0.
  if (i64x2.bitmask(hasBoth) != 3) fit = v128.bitselect(fit, v128.or(v128.and(cpu, f64x2.ne(aCpu, zero)), v128.and(mem, f64x2.ne(aMem, zero))), hasBoth);
  let total = f64x2.mul(get(K_FIT_WEIGHT), fit);
  if (balancedOn) {
    const one = f64x2.splat(1.0);
    const cpuFraction = f64x2.pmin(f64x2.div(f64x2.add(v128.load(reqCpu + o), get(K_POD_CPU)), aCpu), one);
    const memFraction = f64x2.pmin(f64x2.div(f64x2.add(v128.load(reqMem + o), get(K_POD_MEM)), aMem), one);
    const std = v128.and(f64x2.abs(f64x2.mul(f64x2.sub(cpuFraction, memFraction), f64x2.splat(0.5))), hasBoth);
    const balanced = f64x2.trunc(f64x2.mul(f64x2.sub(one, std), f64x2.splat(100.0)));
    total = f64x2.add(total, f64x2.mul(get(K_BAL_WEIGHT), balanced));
  }
  const masked = v128.bitselect(f64x2.add(total, get(K_BASE)), f64x2.splat(-1.0), lanes);
  v128.store(totals + o, masked);
  return masked;
}

/** hotPairs instantiated per fit strategy, with and without BalancedAllocation. */
@inline export function hotVariant(strategy: i32, balancedOn: bool, lanesFrom: i32, nodeCount: i32, constant: f64): v128 {
  if (strategy == LEAST) return balancedOn ? hotPairs(LEAST, true, lanesFrom, nodeCount, constant) : hotPairs(LEAST, false, lanesFrom, nodeCount, constant);
  return balancedOn ? hotPairs(MOST, true, lanesFrom, nodeCount, constant) : hotPairs(MOST, false, lanesFrom, nodeCount, constant);
}
