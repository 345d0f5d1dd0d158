// The choice among the feasible nodes with the best total: upstream picks uniformly at random
// among ties (reservoir sampling in node order); here the same reservoir runs on a seeded xorshift32,
// as the reference does, so both choose the same node.
import { COL_FEASIBLE, COL_TOTAL, column } from './layout';

const SEED_FOR_ZERO: u32 = 0x9e3779b9;

/**
 * The feasible nodes with total `top`, two per step as a 2-bit mask per pair: infeasible nodes
 * total -1, so unless `top` is -1 the totals alone tell.
 */
@inline function tieBits(totals: usize, feasible: usize, topV: v128, useLanes: bool): i32 {
  let hits = f64x2.eq(v128.load(totals), topV);
  if (useLanes) hits = v128.and(hits, v128.load(feasible));
  return i64x2.bitmask(hits);
}

/**
 * How many feasible nodes have the best total. Infeasible nodes total -1, so unless `top` is -1
 * the totals alone tell (and a feasible -1 exists only on the general path, which stores the lanes).
 */
export function countTies(nodeCount: i32, top: f64): i32 {
  return top == -1 ? countTiesWith(true, nodeCount, top) : countTiesWith(false, nodeCount, top);
}
@inline function countTiesWith(useLanes: bool, nodeCount: i32, top: f64): i32 {
  const topV = f64x2.splat(top);
  let totals = column(COL_TOTAL);
  let feasible = column(COL_FEASIBLE);
  const end = totals + <usize>nodeCount * 8;
  let count: i32 = 0;
  while (totals < end) {
    count += popcnt<i32>(tieBits(totals, feasible, topV, useLanes));
    totals += 16;
    feasible += 16;
  }
  return count;
}

/** The index of the `pick`-th (1-based) feasible node whose total is `top`. */
export function tiedNode(nodeCount: i32, top: f64, pick: i32): i32 {
  const useLanes = top == -1;
  const topV = f64x2.splat(top);
  const totals = column(COL_TOTAL);
  const feasible = column(COL_FEASIBLE);
  let seen: i32 = 0;
  for (let i: i32 = 0; i < nodeCount; i += 2) {
    const o = <usize>i * 8;
    const bits = tieBits(totals + o, feasible + o, topV, useLanes);
    seen += popcnt<i32>(bits);
    if (seen >= pick) return seen > pick || bits == 1 ? i : i + 1;
  }
  return -1;
}

@inline function nextRandom(state: u32): u32 {
  let x = state == 0 ? SEED_FOR_ZERO : state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

/**
 * Reservoir choice among `ties` tied nodes: the k-th (k ≥ 2) replaces the pick when the RNG, advanced
 * once per tie, is divisible by k. Returns the 1-based pick; the final RNG state is left in chosenRng.
 * Divisibility by float64 division: for integers below 2^32 the quotient is exact when it is an
 * integer and at least 1/k from one otherwise, far beyond its rounding error.
 */
export let chosenRng: u32 = 0;
export function pickTie(ties: i32, seed: u32): i32 {
  let rng = seed;
  let pick: i32 = 1;
  for (let k: i32 = 2; k <= ties; k++) {
    rng = nextRandom(rng);
    const q = <f64>rng / <f64>k;
    pick = q == Math.floor(q) ? k : pick;
  }
  chosenRng = rng;
  return pick;
}
