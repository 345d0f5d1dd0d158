// Caller-supplied score columns (8–15): per-call statistics over feasible nodes, each column's
// normalization, and the detection of columns whose normalized score is the same on every feasible
// node (e.g. TaintToleration with no taints, ImageLocality with no images): those add one constant
// to every total and cost no pass of their own.
import { COL_DETAIL0, COL_EXTRA0, COL_FEASIBLE, COL_TOTAL, R_EXTRAS, STATS_BYTES, column, intDiv, intDivSigned, req, statsBase } from './layout';

const MODE_DEFAULT: i32 = 1;
const MODE_REVERSE: i32 = 2;
const MODE_MIN_MAX: i32 = 3;
const MODE_IMAGE: i32 = 4;
const MODE_SPREAD: i32 = 5;

const MIB: f64 = 1024 * 1024;
const IMAGE_MIN: f64 = 23 * MIB;
const IMAGE_MAX_PER_CONTAINER: f64 = 1000 * MIB;

@inline function mode(k: i32): i32 {
  return <i32>req(R_EXTRAS + 3 * k);
}
@inline export function extraWeight(k: i32): f64 {
  return req(R_EXTRAS + 3 * k + 1);
}
@inline function imageUpper(k: i32): f64 {
  return IMAGE_MAX_PER_CONTAINER * req(R_EXTRAS + 3 * k + 2);
}

/** The normalized score of one raw value, the scalar twin of addExtra's lane arithmetic. */
function normalize(m: i32, raw: f64, lo: f64, hi: f64, divisor: f64, upper: f64): f64 {
  if (m == MODE_DEFAULT || m == MODE_REVERSE) {
    if (hi == 0) return m == MODE_DEFAULT ? raw : 100;
    const q = trunc<f64>((raw * 100) / divisor);
    return m == MODE_DEFAULT ? q : 100 - q;
  }
  if (m == MODE_MIN_MAX) return hi - lo > 0 ? trunc<f64>(100 * ((raw - lo) / divisor)) : 0;
  if (m == MODE_IMAGE) return floor<f64>((100 * (Math.min(Math.max(raw, IMAGE_MIN), upper) - IMAGE_MIN)) / divisor);
  if (m == MODE_SPREAD) {
    if (raw < 0) return 0;
    return hi == 0 ? 100 : floor<f64>((100 * (hi + lo - raw)) / divisor);
  }
  return raw;
}

/**
 * First look at extra column k, over every node (one stream, no feasibility needed): a column
 * holding one raw value everywhere (often all zeros) scores the same on every feasible node.
 * Returns that normalized score (statistics recorded as maskedExtra would), else NaN.
 */
export function uniformExtra(k: i32, nodeCount: i32): f64 {
  const raws = column(COL_EXTRA0 + k);
  let lows = f64x2.splat(Infinity);
  let highs = f64x2.splat(-Infinity);
  let p = raws;
  const pairsEnd = raws + <usize>(nodeCount & ~1) * 8;
  while (p < pairsEnd) {
    const raw = v128.load(p);
    lows = f64x2.pmin(lows, raw);
    highs = f64x2.pmax(highs, raw);
    p += 16;
  }
  let low = Math.min(f64x2.extract_lane(lows, 0), f64x2.extract_lane(lows, 1));
  let high = Math.max(f64x2.extract_lane(highs, 0), f64x2.extract_lane(highs, 1));
  if ((nodeCount & 1) != 0) {
    // The other lane of an odd last pair is not a node.
    low = Math.min(low, load<f64>(pairsEnd));
    high = Math.max(high, load<f64>(pairsEnd));
  }
  if (nodeCount == 0 || low != high) return NaN;
  // One value r on every node; topologySpread ignores every node when r < 0 and counts all otherwise.
  if (mode(k) == MODE_SPREAD && low < 0) return finishStats(k, Infinity, -Infinity, low);
  return finishStats(k, low, high, low);
}

/**
 * Statistics of extra column k over feasible nodes (the feasible column is written): min and max as
 * its normalization counts them (topologySpread leaves out negative = ignored nodes). Returns the
 * normalized score every feasible node shares when there is one, else NaN.
 */
export function maskedExtra(k: i32, nodeCount: i32): f64 {
  return mode(k) == MODE_SPREAD ? maskedStats(true, k, nodeCount) : maskedStats(false, k, nodeCount);
}
@inline function maskedStats(spread: bool, k: i32, nodeCount: i32): f64 {
  const up = f64x2.splat(Infinity);
  const down = f64x2.splat(-Infinity);
  const zero = f64x2.splat(0.0);
  let lows = up;
  let highs = down;
  let lowsAll = up; // topologySpread: over every feasible node, ignored ones included
  let raws = column(COL_EXTRA0 + k);
  let feasible = column(COL_FEASIBLE);
  const end = raws + <usize>nodeCount * 8;
  while (raws < end) {
    const raw = v128.load(raws);
    let counted = v128.load(feasible);
    if (spread) {
      lowsAll = f64x2.pmin(lowsAll, v128.bitselect(raw, up, counted));
      counted = v128.and(counted, f64x2.ge(raw, zero));
    }
    lows = f64x2.pmin(lows, v128.bitselect(raw, up, counted));
    highs = f64x2.pmax(highs, v128.bitselect(raw, down, counted));
    raws += 16;
    feasible += 16;
  }
  return finishStats(
    k,
    Math.min(f64x2.extract_lane(lows, 0), f64x2.extract_lane(lows, 1)),
    Math.max(f64x2.extract_lane(highs, 0), f64x2.extract_lane(highs, 1)),
    Math.min(f64x2.extract_lane(lowsAll, 0), f64x2.extract_lane(lowsAll, 1)),
  );
}

/**
 * Records column k's statistics from the lowest and highest counted raw value (`lowAll`: the lowest
 * over all feasible nodes, for topologySpread's ignored ones): min, max (starting at 0 except for
 * minMax), the divisor and the largest |normalized score|. Returns the score every feasible node
 * shares, else NaN: the normalizations are monotonic in the raw value, so equal scores at the lowest
 * and highest raw values mean one score for all.
 */
function finishStats(k: i32, low: f64, high: f64, lowAll: f64): f64 {
  const m = mode(k);
  const min = low;
  const max = m == MODE_MIN_MAX ? high : Math.max(high, 0);
  const upper = imageUpper(k);
  let divisor = max;
  if (m == MODE_MIN_MAX) divisor = max - min;
  if (m == MODE_IMAGE) divisor = upper - IMAGE_MIN;
  const s = statsBase + <usize>k * STATS_BYTES;
  store<f64>(s, min);
  store<f64>(s, max, 8);
  store<f64>(s, divisor, 16);
  store<f64>(s, 0, 24);
  if (m == MODE_SPREAD) {
    if (high == -Infinity) return 0; // every feasible node ignored (or none is feasible)
    if (lowAll < 0) return NaN; // some ignored (0), some counted
  }
  if (low > high) return 0; // no feasible node: nothing to add
  const atLow = normalize(m, low, min, max, divisor, upper);
  const atHigh = normalize(m, high, min, max, divisor, upper);
  store<f64>(s, Math.max(Math.abs(atLow), Math.abs(atHigh)), 24);
  return atLow == atHigh ? atLow : NaN;
}

/** The largest |normalized score| of column k seen by extraStats (topologySpread: at most 100). */
@inline export function extraBound(k: i32): f64 {
  return mode(k) == MODE_SPREAD ? 100 : load<f64>(statsBase + <usize>k * STATS_BYTES, 24);
}

// Per-call vectors of the column addExtra is adding, at a static address (see hot.ts's HOT).
const ADD: usize = memory.data(6 * 16, 16);
const A_WEIGHT: usize = ADD;
const A_DIVISOR: usize = ADD + 16;
const A_MIN: usize = ADD + 32;
const A_SPREAD_BASE: usize = ADD + 48;
const A_IMAGE_UPPER: usize = ADD + 64;

// How addExtra normalizes, from the mode and the statistics.
const KIND_RAW: i32 = 0;
const KIND_ZERO: i32 = 1;
const KIND_HUNDRED: i32 = 2;
const KIND_DEFAULT: i32 = 3;
const KIND_REVERSE: i32 = 4;
const KIND_MIN_MAX: i32 = 5;
const KIND_IMAGE: i32 = 6;
const KIND_SPREAD: i32 = 7;
const KIND_SPREAD_HUNDRED: i32 = 8;

/**
 * Adds extra column k, normalized and weighted, to the totals of every node (and writes its detail
 * column). One pass per column, instantiated per normalization so that the loop has no branches.
 */
export function addExtra(k: i32, nodeCount: i32, details: bool): void {
  const m = mode(k);
  const s = statsBase + <usize>k * STATS_BYTES;
  const min = load<f64>(s);
  const max = load<f64>(s, 8);
  v128.store(A_WEIGHT, f64x2.splat(extraWeight(k)));
  v128.store(A_DIVISOR, f64x2.splat(load<f64>(s, 16)));
  v128.store(A_MIN, f64x2.splat(min));
  v128.store(A_SPREAD_BASE, f64x2.splat(max + min));
  v128.store(A_IMAGE_UPPER, f64x2.splat(imageUpper(k)));
  let kind = KIND_RAW;
  if (m == MODE_DEFAULT) kind = max == 0 ? KIND_RAW : KIND_DEFAULT;
  else if (m == MODE_REVERSE) kind = max == 0 ? KIND_HUNDRED : KIND_REVERSE;
  else if (m == MODE_MIN_MAX) kind = max - min > 0 ? KIND_MIN_MAX : KIND_ZERO;
  else if (m == MODE_IMAGE) kind = KIND_IMAGE;
  else if (m == MODE_SPREAD) kind = max == 0 ? KIND_SPREAD_HUNDRED : KIND_SPREAD;
  const raws = column(COL_EXTRA0 + k);
  if (details) {
    extraPairs(kind, true, raws, nodeCount, column(COL_DETAIL0 + 2 + k));
    return;
  }
  if (kind == KIND_RAW) extraPairs(KIND_RAW, false, raws, nodeCount, 0);
  else if (kind == KIND_HUNDRED) extraPairs(KIND_HUNDRED, false, raws, nodeCount, 0);
  else if (kind == KIND_DEFAULT) extraPairs(KIND_DEFAULT, false, raws, nodeCount, 0);
  else if (kind == KIND_REVERSE) extraPairs(KIND_REVERSE, false, raws, nodeCount, 0);
  else if (kind == KIND_MIN_MAX) extraPairs(KIND_MIN_MAX, false, raws, nodeCount, 0);
  else if (kind == KIND_IMAGE) extraPairs(KIND_IMAGE, false, raws, nodeCount, 0);
  else if (kind == KIND_SPREAD) extraPairs(KIND_SPREAD, false, raws, nodeCount, 0);
  else if (kind == KIND_SPREAD_HUNDRED) extraPairs(KIND_SPREAD_HUNDRED, false, raws, nodeCount, 0);
  // KIND_ZERO adds nothing.
}

@inline function extraPairs(kind: i32, details: bool, raws: usize, nodeCount: i32, detail: usize): void {
  let raw = raws;
  let total = column(COL_TOTAL);
  const end = raws + <usize>nodeCount * 8;
  while (raw < end) {
    const v = normalizePair(kind, v128.load(raw));
    v128.store(total, f64x2.add(v128.load(total), f64x2.mul(v128.load(A_WEIGHT), v)));
    if (details) {
      v128.store(detail, v);
      detail += 16;
    }
    raw += 16;
    total += 16;
  }
}

/** A node pair's normalized scores: the lane twin of normalize() (same operations, same order). */
@inline function normalizePair(kind: i32, raw: v128): v128 {
  const hundred = f64x2.splat(100.0);
  const zero = f64x2.splat(0.0);
  const imageLower = f64x2.splat(IMAGE_MIN);
  const d = v128.load(A_DIVISOR);
  if (kind == KIND_RAW) return raw;
  if (kind == KIND_ZERO) return zero;
  if (kind == KIND_HUNDRED) return hundred;
  if (kind == KIND_DEFAULT) return intDivSigned(f64x2.mul(raw, hundred), d);
  if (kind == KIND_REVERSE) return f64x2.sub(hundred, intDivSigned(f64x2.mul(raw, hundred), d));
  if (kind == KIND_MIN_MAX) return f64x2.trunc(f64x2.mul(hundred, f64x2.div(f64x2.sub(raw, v128.load(A_MIN)), d)));
  if (kind == KIND_IMAGE) {
    const sum = f64x2.pmin(f64x2.pmax(raw, imageLower), v128.load(A_IMAGE_UPPER));
    return intDiv(f64x2.mul(hundred, f64x2.sub(sum, imageLower)), d);
  }
  // topologySpread: a negative raw marks an ignored node, which scores 0.
  const v = kind == KIND_SPREAD_HUNDRED ? hundred : intDiv(f64x2.mul(hundred, f64x2.sub(v128.load(A_SPREAD_BASE), raw)), d);
  return v128.bitselect(zero, v, f64x2.lt(raw, zero));
}

