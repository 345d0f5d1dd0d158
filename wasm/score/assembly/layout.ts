// The kernel's memory layout and ABI numbers, mirrored from ../columns.ts (AssemblyScript cannot
// import it); README.md documents them for vendors.

export const ABI_VERSION: i32 = 1;

// Node-indexed float64 columns (see columns.ts Column).
export const COL_ALLOC_CPU: i32 = 0;
export const COL_ALLOC_MEM: i32 = 1;
export const COL_ALLOC_PODS: i32 = 2;
export const COL_REQ_CPU: i32 = 3;
export const COL_REQ_MEM: i32 = 4;
export const COL_NZ_CPU: i32 = 5;
export const COL_NZ_MEM: i32 = 6;
export const COL_POD_COUNT: i32 = 7;
export const COL_EXTRA0: i32 = 8;
export const COL_TOTAL: i32 = 16;
export const COL_DETAIL0: i32 = 17;
export const MAX_EXTRAS: i32 = 8;
const PUBLIC_COLUMNS: i32 = COL_DETAIL0 + 2 + MAX_EXTRAS;
// Kernel-private, per call: all-ones (feasible) or zero per node, a SIMD lane mask.
export const COL_FEASIBLE: i32 = PUBLIC_COLUMNS;
const ALL_COLUMNS: i32 = PUBLIC_COLUMNS + 1;

// Request record slots (float64), see columns.ts Req.
const MAX_SHAPE: i32 = 16;
export const R_POD_CPU: i32 = 0;
export const R_POD_MEM: i32 = 1;
export const R_POD_NZ_CPU: i32 = 2;
export const R_POD_NZ_MEM: i32 = 3;
export const R_FLAGS: i32 = 4;
export const R_STRATEGY: i32 = 5;
export const R_FIT_WEIGHT: i32 = 6;
export const R_CPU_WEIGHT: i32 = 7;
export const R_MEM_WEIGHT: i32 = 8;
export const R_BALANCED_WEIGHT: i32 = 9;
export const R_SEED: i32 = 10;
export const R_SHAPE_COUNT: i32 = 11;
export const R_SHAPE: i32 = 12;
export const R_EXTRA_COUNT: i32 = 12 + 2 * MAX_SHAPE;
export const R_EXTRAS: i32 = 13 + 2 * MAX_SHAPE;
const REQUEST_BYTES: i32 = 640;

export const FLAG_FIT_FILTER: i32 = 1;
export const FLAG_DETAILS: i32 = 2;
export const FLAG_SKIP_BEST_EFFORT: i32 = 4;

export const LEAST: i32 = 1;
export const MOST: i32 = 2;
export const RATIO: i32 = 3;

// Output header slots (float64), see columns.ts Out.
export const O_BEST: i32 = 0;
export const O_BEST_SCORE: i32 = 1;
export const O_FEASIBLE: i32 = 2;
export const O_TIES: i32 = 3;
export const O_NEXT_SEED: i32 = 4;
const OUTPUT_BYTES: i32 = 64;

/** Per extra column, after its statistics pass: min, max, divisor, constant normalized value (or NaN). */
export const STATS_BYTES: i32 = 32;

export let capacityNodes: i32 = 0;
export let requestBase: usize = 0;
export let outputBase: usize = 0;
export let shapeBase: usize = 0; // 101 float64: the RequestedToCapacityRatio function per utilization
export let statsBase: usize = 0;
let columnsBase: usize = 0;
export let maskBase: usize = 0;

/** Lays out memory for `capacity` nodes (rounded up to 16) and zeroes it; returns the capacity. */
export function layOut(capacity: i32): i32 {
  capacityNodes = (capacity + 15) & ~15;
  requestBase = (__heap_base + 63) & ~63;
  outputBase = requestBase + REQUEST_BYTES;
  shapeBase = outputBase + OUTPUT_BYTES;
  statsBase = shapeBase + 101 * 8 + 8;
  columnsBase = (statsBase + MAX_EXTRAS * STATS_BYTES + 63) & ~63;
  maskBase = columnsBase + <usize>ALL_COLUMNS * <usize>capacityNodes * 8;
  const end = maskBase + <usize>capacityNodes;
  const pages = <i32>((end + 0xffff) >> 16);
  if (pages > memory.size()) memory.grow(pages - memory.size());
  memory.fill(requestBase, 0, end - requestBase);
  return capacityNodes;
}

@inline export function column(c: i32): usize {
  return columnsBase + <usize>c * <usize>capacityNodes * 8;
}

let activeRequest: usize = 0; // the record score() is reading

export function useRequest(ptr: usize): void {
  activeRequest = ptr;
}

@inline export function req(slot: i32): f64 {
  return load<f64>(activeRequest + <usize>slot * 8);
}

/**
 * Go's int64 n / d for integer-valued n ≥ 0, 1 ≤ d ≤ 2^46, n < 2^53: the float64 quotient is within
 * half an ulp (< 2^-47 for quotients < 128) of the true one while a non-integer quotient is at least
 * 1/d > 2^-47 from the next integer, so flooring it never crosses an integer.
 */
@inline export function intDiv(n: v128, d: v128): v128 {
  return f64x2.floor(f64x2.div(n, d));
}

/** trunc(n / d) for integer n of either sign (Go's integer division). */
@inline export function intDivSigned(n: v128, d: v128): v128 {
  return f64x2.trunc(f64x2.div(n, d));
}
