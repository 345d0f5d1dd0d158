// The general score loop (any fit strategy, RequestedToCapacityRatio's shape table, per-plugin
// detail columns) and the pass that masks totals after caller-supplied columns were added.
import {
  COL_ALLOC_CPU,
  COL_ALLOC_MEM,
  COL_DETAIL0,
  COL_FEASIBLE,
  COL_NZ_CPU,
  COL_NZ_MEM,
  COL_REQ_CPU,
  COL_REQ_MEM,
  COL_TOTAL,
  RATIO,
  R_SHAPE,
  R_SHAPE_COUNT,
  column,
  req,
  shapeBase,
} from './layout';
import { K_BAL_WEIGHT, K_BASE, K_CPU_WEIGHT, K_FIT_WEIGHT, K_HALF_STEP, K_INV_WEIGHTS, K_MEM_WEIGHT, K_POD_CPU, K_POD_MEM, K_POD_NZ_CPU, K_POD_NZ_MEM, get, prepareHot, resourceScore } from './hot';

/** Tabulates RequestedToCapacityRatio's broken-linear shape for utilization 0..100 (as columns.ts shapeTable). */
export function buildShapeTable(): void {
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

/**
 * NodeResourcesFit, BalancedAllocation and `constant` (the sum of the constant extra columns) into
 * the totals of every node pair, -1 for infeasible lanes; returns the per-lane highest feasible total.
 * The general path (any strategy, details, feasibility from computeFeasible); hotPairs is the fast one.
 */
export function scorePairs(strategy: i32, balancedOn: bool, details: bool, nodeCount: i32, constant: f64): v128 {
  prepareHot(constant);
  const zero = f64x2.splat(0.0);
  const one = f64x2.splat(1.0);
  const half = f64x2.splat(0.5);
  const hundred = f64x2.splat(100.0);
  const minusOne = f64x2.splat(-1.0);
  const lowest = f64x2.splat(-Infinity);

  // One pointer per column, advanced together (invariant base + index arithmetic is what V8 would redo per step).
  let feasible = column(COL_FEASIBLE);
  let allocCpu = column(COL_ALLOC_CPU);
  let allocMem = column(COL_ALLOC_MEM);
  let reqCpu = column(COL_REQ_CPU);
  let reqMem = column(COL_REQ_MEM);
  let nzCpu = column(COL_NZ_CPU);
  let nzMem = column(COL_NZ_MEM);
  let totals = column(COL_TOTAL);
  let fitDetail = column(COL_DETAIL0);
  let balancedDetail = column(COL_DETAIL0 + 1);
  const end = feasible + <usize>nodeCount * 8;
  let highest = lowest;

  while (feasible < end) {
    const lanes = v128.load(feasible); // infeasible lanes are computed, then masked
    const aCpu = v128.load(allocCpu);
    const aMem = v128.load(allocMem);
    const hasCpu = f64x2.ne(aCpu, zero);
    const hasMem = f64x2.ne(aMem, zero);
    const hasBoth = v128.and(hasCpu, hasMem);

    let fit = zero;
    if (strategy != 0) {
      const cpu = resourceScore(strategy, f64x2.add(v128.load(nzCpu), get(K_POD_NZ_CPU)), aCpu);
      const mem = resourceScore(strategy, f64x2.add(v128.load(nzMem), get(K_POD_NZ_MEM)), aMem);
      if (strategy == RATIO) {
        // Only resources scoring above zero enter the mean, which is rounded (upstream).
        const useCpu = v128.and(hasCpu, f64x2.gt(cpu, zero));
        const useMem = v128.and(hasMem, f64x2.gt(mem, zero));
        const cpuWeight = get(K_CPU_WEIGHT);
        const memWeight = get(K_MEM_WEIGHT);
        const sum = f64x2.add(v128.and(f64x2.mul(cpu, cpuWeight), useCpu), v128.and(f64x2.mul(mem, memWeight), useMem));
        const weights = f64x2.add(v128.and(cpuWeight, useCpu), v128.and(memWeight, useMem));
        fit = v128.and(f64x2.floor(f64x2.add(f64x2.div(sum, weights), half)), f64x2.ne(weights, zero));
      } else {
        const sum = f64x2.add(f64x2.mul(cpu, get(K_CPU_WEIGHT)), f64x2.mul(mem, get(K_MEM_WEIGHT)));
        fit = f64x2.floor(f64x2.add(f64x2.mul(sum, get(K_INV_WEIGHTS)), get(K_HALF_STEP)));
        // A node with one resource scores that resource (score·w / w); with none, 0.
        fit = v128.bitselect(fit, v128.or(v128.and(cpu, hasCpu), v128.and(mem, hasMem)), hasBoth);
      }
    }

    let balanced = zero;
    if (balancedOn) {
      const cpuFraction = f64x2.pmin(f64x2.div(f64x2.add(v128.load(reqCpu), get(K_POD_CPU)), aCpu), one);
      const memFraction = f64x2.pmin(f64x2.div(f64x2.add(v128.load(reqMem), get(K_POD_MEM)), aMem), one);
      const std = v128.and(f64x2.abs(f64x2.mul(f64x2.sub(cpuFraction, memFraction), half)), hasBoth);
      balanced = f64x2.trunc(f64x2.mul(f64x2.sub(one, std), hundred));
    }

    const total = f64x2.add(f64x2.add(f64x2.mul(get(K_FIT_WEIGHT), fit), f64x2.mul(get(K_BAL_WEIGHT), balanced)), get(K_BASE));
    if (details) {
      v128.store(fitDetail, v128.bitselect(fit, minusOne, lanes));
      v128.store(balancedDetail, v128.bitselect(balanced, minusOne, lanes));
      fitDetail += 16;
      balancedDetail += 16;
    }
    v128.store(totals, v128.bitselect(total, minusOne, lanes));
    highest = f64x2.pmax(highest, v128.bitselect(total, lowest, lanes));
    feasible += 16;
    allocCpu += 16;
    allocMem += 16;
    reqCpu += 16;
    reqMem += 16;
    nzCpu += 16;
    nzMem += 16;
    totals += 16;
  }
  return highest;
}

/** Masks the totals (and detail columns) of infeasible nodes to -1 after the extra columns were added; returns the per-lane highest. */
export function maskTotals(nodeCount: i32, details: bool, extras: i32): v128 {
  const minusOne = f64x2.splat(-1.0);
  const lowest = f64x2.splat(-Infinity);
  const feasible = column(COL_FEASIBLE);
  const totals = column(COL_TOTAL);
  let highest = lowest;
  for (let i: i32 = 0; i < nodeCount; i += 2) {
    const o = <usize>i * 8;
    const lanes = v128.load(feasible + o);
    const total = v128.load(totals + o);
    v128.store(totals + o, v128.bitselect(total, minusOne, lanes));
    highest = f64x2.pmax(highest, v128.bitselect(total, lowest, lanes));
    if (details) {
      for (let d: i32 = 0; d < extras; d++) {
        const p = column(COL_DETAIL0 + 2 + d) + o;
        v128.store(p, v128.bitselect(v128.load(p), minusOne, lanes));
      }
    }
  }
  return highest;
}
