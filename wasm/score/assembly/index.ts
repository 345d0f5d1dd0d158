// Kite's node-scoring kernel: kube-scheduler's NodeResourcesFit / BalancedAllocation scores plus
// caller-supplied score columns, normalized, weighted and reduced to one chosen node, for all
// nodes at once, with f64x2 SIMD. Every value is an integer held exactly in a float64 (inputs
// ≤ 2^46), where a floored float64 quotient equals Go's int64 division (see intDiv), so results equal
// upstream's int64 math and the TypeScript reference exactly. README.md explains the passes.
import {
  ABI_VERSION,
  FLAG_DETAILS,
  FLAG_FIT_FILTER,
  FLAG_SKIP_BEST_EFFORT,
  LEAST,
  MOST,
  O_BEST,
  O_BEST_SCORE,
  O_FEASIBLE,
  O_NEXT_SEED,
  O_TIES,
  RATIO,
  R_BALANCED_WEIGHT,
  R_EXTRA_COUNT,
  R_FIT_WEIGHT,
  R_FLAGS,
  R_POD_CPU,
  R_POD_MEM,
  R_SEED,
  R_STRATEGY,
  column,
  layOut,
  maskBase,
  outputBase,
  req,
  requestBase,
  useRequest,
} from './layout';
import { addExtra, extraBound, extraWeight, maskedExtra, uniformExtra } from './extras';
import { LANES_FILTER, LANES_MASK, LANES_STORED, computeFeasible, hotFeasible, hotVariant, prepareFilter } from './hot';
import { buildShapeTable, maskTotals, scorePairs } from './general';
import { chosenRng, countTies, pickTie, tiedNode } from './choice';

/** Totals below this bound are exact float64 integers in any summation order (2^52). */
const EXACT_SUM_BOUND: f64 = 4503599627370496;

export function abiVersion(): i32 {
  return ABI_VERSION;
}
export function init(capacity: i32): i32 {
  return layOut(capacity);
}
export function columnPtr(c: i32): usize {
  return column(c);
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

const SHARED: usize = memory.data(8 * 8, 8);
@inline function sharedScore(k: i32): f64 {
  return load<f64>(SHARED + (<usize>k << 3));
}
@inline function setShared(k: i32, v: f64): void {
  store<f64>(SHARED + (<usize>k << 3), v);
}

export function score(nodeCount: i32, reqPtr: usize, outPtr: usize): void {
  useRequest(reqPtr);
  const flags = <i32>req(R_FLAGS);
  const strategy = <i32>req(R_STRATEGY);
  const extras = <i32>req(R_EXTRA_COUNT);
  const details = (flags & FLAG_DETAILS) != 0;
  const filter = (flags & FLAG_FIT_FILTER) != 0;
  if (strategy == RATIO) buildShapeTable();
  if (filter) prepareFilter();
  // Lanes past the last node, up to the next multiple of 4 (the hot loop's step), are never feasible.
  for (let i = nodeCount; i < ((nodeCount + 3) & ~3); i++) store<u8>(maskBase + <usize>i, 0);

  // Extra columns. One holding the same raw value on every node is settled without feasibility;
  // the others need their min/max over feasible nodes, so feasibility comes first for them.
  let masked = false;
  for (let k: i32 = 0; k < extras; k++) {
    setShared(k, extraWeight(k) == 0 && !details ? 0 : uniformExtra(k, nodeCount));
    masked = masked || isNaN(sharedScore(k));
  }
  let feasibleCount: i32 = 0;
  if (masked) {
    feasibleCount = computeFeasible(nodeCount, filter);
    for (let k: i32 = 0; k < extras; k++) if (isNaN(sharedScore(k))) setShared(k, maskedExtra(k, nodeCount));
  }
  // Columns scoring the same on every feasible node fold into one constant added in the main pass,
  // unless details are asked for (their detail columns need a pass anyway) or totals could be large
  // enough for the summation order to matter.
  let constant: f64 = 0;
  let variable: i32 = 0; // bit k: column k needs its own pass
  let active: i32 = 0; // bit k: column k adds something (weight > 0), or details are asked for
  let bound: f64 = 100 * (req(R_FIT_WEIGHT) + req(R_BALANCED_WEIGHT));
  for (let k: i32 = 0; k < extras; k++) {
    const weight = extraWeight(k);
    if (weight == 0 && !details) continue; // adds nothing (its statistics were not even computed)
    active |= 1 << k;
    bound += weight * extraBound(k);
    if (details || isNaN(sharedScore(k))) variable |= 1 << k;
    else constant += weight * sharedScore(k);
  }
  if (bound >= EXACT_SUM_BOUND && constant != 0) {
    variable = active;
    constant = 0;
  }

  const podCpu = req(R_POD_CPU);
  const podMem = req(R_POD_MEM);
  const balancedOn = req(R_BALANCED_WEIGHT) > 0 && !((flags & FLAG_SKIP_BEST_EFFORT) != 0 && podCpu == 0 && podMem == 0);
  let highest: v128;
  if (details || (strategy != LEAST && strategy != MOST) || constant < 0) {
    if (!masked) feasibleCount = computeFeasible(nodeCount, filter);
    highest = scorePairs(strategy, balancedOn, details, nodeCount, constant);
  } else if (masked || variable != 0) {
    // Feasibility is needed by later passes: stored first.
    if (!masked) feasibleCount = computeFeasible(nodeCount, filter);
    highest = hotVariant(strategy, balancedOn, LANES_STORED, nodeCount, constant);
  } else {
    highest = filter ? hotVariant(strategy, balancedOn, LANES_FILTER, nodeCount, constant) : hotVariant(strategy, balancedOn, LANES_MASK, nodeCount, constant);
    feasibleCount = hotFeasible;
  }

  if (variable != 0) {
    for (let k: i32 = 0; k < extras; k++) if ((variable & (1 << k)) != 0) addExtra(k, nodeCount, details);
    highest = maskTotals(nodeCount, details, extras);
  }

  // Uniform seeded choice among the feasible nodes with the best total, in index order (reservoir).
  const top = Math.max(f64x2.extract_lane(highest, 0), f64x2.extract_lane(highest, 1));
  const ties = feasibleCount == 0 ? 0 : countTies(nodeCount, top);
  const pick = pickTie(ties, <u32>req(R_SEED));
  const best = ties == 0 ? -1 : tiedNode(nodeCount, top, pick);
  store<f64>(outPtr, <f64>best, O_BEST * 8);
  store<f64>(outPtr, best < 0 ? -1 : top, O_BEST_SCORE * 8);
  store<f64>(outPtr, <f64>feasibleCount, O_FEASIBLE * 8);
  store<f64>(outPtr, <f64>ties, O_TIES * 8);
  store<f64>(outPtr, <f64>chosenRng, O_NEXT_SEED * 8);
}
