import { seededRandom as mulberry32 } from '../../kernel/testing/random.js';
import t from 'tap';
import { ReferenceScorer } from './reference.js';
import { WasmScorer } from './score-wasm.js';
import {
  DEFAULT_MEMORY_REQUEST,
  DEFAULT_MILLI_CPU_REQUEST,
  MAX_RESOURCE_VALUE,
  type ExtraScore,
  type FitConfig,
  type Normalization,
  type NodeResources,
  type NodeScorer,
  type PodRequests,
  type ScoreRequest,
  type ScoreResult,
} from './types.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function node(allocCpu: number, allocMem: number, reqCpu = 0, reqMem = 0, pods = 0): NodeResources {
  return {
    allocatableMilliCpu: allocCpu,
    allocatableMemory: allocMem,
    allocatablePods: 110,
    requestedMilliCpu: reqCpu,
    requestedMemory: reqMem,
    nonZeroRequestedMilliCpu: reqCpu,
    nonZeroRequestedMemory: reqMem,
    podCount: pods,
  };
}
function pod(cpu: number, mem: number): PodRequests {
  return { milliCpu: cpu, memory: mem, nonZeroMilliCpu: cpu || DEFAULT_MILLI_CPU_REQUEST, nonZeroMemory: mem || DEFAULT_MEMORY_REQUEST };
}
const both = (nodes: NodeResources[]): NodeScorer[] =>
  [new WasmScorer(64), new ReferenceScorer(64)].map((s) => {
    nodes.forEach((n, i) => s.setNode(i, n));
    return s;
  });

/** Runs a request on WASM and reference, asserts identical output, returns the WASM result. */
function same(t: Asserts, scorers: NodeScorer[], request: ScoreRequest): ScoreResult {
  const [wasm, ref] = scorers.map((s) => snapshot(s.score(request)));
  t.same(wasm, ref, 'wasm and reference agree');
  return wasm as ScoreResult;
}
/** The one assertion `same` needs, so it accepts any subtest. */
type Asserts = Pick<typeof t, 'same'>;
function snapshot(r: ScoreResult): ScoreResult {
  return { ...r, totals: r.totals.slice(), details: r.details?.map((d) => ({ plugin: d.plugin, scores: d.scores.slice() })) };
}
const scoresOf = (r: ScoreResult, plugin: string) => [...(r.details?.find((d) => d.plugin === plugin)?.scores ?? [])];

t.test('float64 division floors to int64 division for values up to 2^46 (the kernel relies on it)', async (t) => {
  const rand = mulberry32(46);
  let wrong = 0;
  for (let i = 0; i < 200_000; i++) {
    const d = i % 4 === 0 ? MAX_RESOURCE_VALUE - Math.floor(rand() * 1e6) : 1 + Math.floor(rand() * MAX_RESOURCE_VALUE);
    const q = Math.floor(rand() * 101);
    const edge = rand();
    const r = edge < 0.3 ? 0 : edge < 0.6 ? d - 1 : Math.floor(rand() * d);
    const n = Math.min(q * d + r, 100 * d);
    const sign = rand() < 0.5 ? -1 : 1;
    if (Math.floor(n / d) !== Number(BigInt(n) / BigInt(d))) wrong++;
    if (Math.trunc((sign * n) / d) !== Number(BigInt(sign * n) / BigInt(d))) wrong++;
  }
  t.equal(wrong, 0);
});

t.test('hand-computed upstream vectors', async (t) => {
  // 4000m/10GiB with 3000m/5GiB requested, pod 1000m/1GiB: cpu 4000/4000, memory 6/10 GiB.
  const s = both([node(4000, 10 * GiB, 3000, 5 * GiB), node(4000, 10 * GiB, 2000, 2 * GiB)]);
  const p = pod(1000, GiB);
  let r = same(t, s, { pod: p, details: true });
  // LeastAllocated: cpu (0·100)/4000 = 0, memory (4GiB·100)/10GiB = 40, mean 20.
  // Balanced: fractions 1 and 0.6, std 0.2, (1 - 0.2)·100 = 80. Node 1: 0.75 and 0.3 → 77 (77.5 truncated).
  // Node 1 least: cpu 1000·100/4000 = 25, memory 7·100/10 = 70, mean 47.
  t.same(scoresOf(r, 'NodeResourcesFit'), [20, 47]);
  t.same(scoresOf(r, 'NodeResourcesBalancedAllocation'), [80, 77]);
  t.same([...r.totals], [100, 124]);
  t.equal(r.best, 1);
  // MostAllocated: node 0 cpu 100, memory 60 → 80; node 1 cpu 75, memory 30 → 52 (52.5 truncated).
  r = same(t, s, { pod: p, fit: { strategy: 'MostAllocated', weight: 2 }, balancedWeight: 0, details: true });
  t.same(scoresOf(r, 'NodeResourcesFit'), [80, 52]);
  t.same([...r.totals], [160, 104]);
  t.equal(r.best, 0);
  // Resource weights: cpu 3, memory 1 → least (0·3 + 40)/4 = 10, (25·3 + 70)/4 = 36 (36.25).
  r = same(t, s, { pod: p, fit: { strategy: 'LeastAllocated', weight: 1, cpuWeight: 3, memoryWeight: 1 }, balancedWeight: 0 });
  t.same([...r.totals], [10, 36]);
});

t.test('RequestedToCapacityRatio interpolates and averages only positive resource scores', async (t) => {
  const s = both([node(4000, 10 * GiB, 3000, 5 * GiB)]);
  const p = pod(1000, GiB); // utilization cpu 100, memory 60
  const ratio = (shape: FitConfig['shape']): FitConfig => ({ strategy: 'RequestedToCapacityRatio', weight: 1, shape });
  let r = same(t, s, { pod: p, fit: ratio([{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }]), balancedWeight: 0 });
  t.same([...r.totals], [80], '(100 + 60) / 2');
  r = same(t, s, { pod: p, fit: ratio([{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }]), balancedWeight: 0 });
  t.same([...r.totals], [40], 'cpu scores 0 and is left out: memory 40 alone');
  const shape = [{ utilization: 0, score: 0 }, { utilization: 30, score: 7 }, { utilization: 100, score: 10 }];
  r = same(t, s, { pod: p, fit: ratio(shape), balancedWeight: 0 });
  // memory: 70 + (30·30)/70 = 82 (12.86 truncated); cpu 100; round(182/2) = 91.
  t.same([...r.totals], [91]);
});

t.test('best-effort pods: non-zero defaults for fit, balanced skipped unless asked', async (t) => {
  const s = both([node(4000, 8 * GiB)]);
  const p = pod(0, 0); // non-zero: 100m, 200MiB
  // least cpu 3900·100/4000 = 97 (97.5), memory (8192-200)·100/8192 = 97 (97.56) → 97.
  let r = same(t, s, { pod: p, details: true });
  t.same(scoresOf(r, 'NodeResourcesFit'), [97]);
  t.same(scoresOf(r, 'NodeResourcesBalancedAllocation'), [0]);
  r = same(t, s, { pod: p, details: true, balancedSkipBestEffort: false });
  t.same(scoresOf(r, 'NodeResourcesBalancedAllocation'), [100], 'fractions 0 and 0');
});

t.test('extra columns: upstream normalizations, weights, feasibility', async (t) => {
  const s = both([node(4000, 8 * GiB), node(4000, 8 * GiB), node(4000, 8 * GiB), node(4000, 8 * GiB)]);
  const extra = (name: string, normalization: Normalization, raw: number[], weight: number, containers?: number): ExtraScore => ({
    name,
    normalization,
    raw,
    weight,
    containers,
  });
  const r = same(t, s, {
    pod: pod(0, 0),
    fit: null,
    balancedWeight: 0,
    feasible: Uint8Array.of(1, 1, 1, 0),
    details: true,
    extras: [
      extra('TaintToleration', 'defaultReverse', [3, 0, 6, 100], 3),
      extra('NodeAffinity', 'default', [10, 5, 0, 1000], 1),
      extra('InterPodAffinity', 'minMax', [-5, 5, 15, 99], 1),
      extra('ImageLocality', 'imageLocality', [500 * MiB, 0, 5000 * MiB, 0], 1, 1),
      extra('PodTopologySpread', 'topologySpread', [1, 3, -1, 0], 2),
    ],
  });
  // Maxima are over feasible nodes only (node 3 is filtered out).
  t.same(scoresOf(r, 'TaintToleration'), [50, 100, 0, -1]);
  t.same(scoresOf(r, 'NodeAffinity'), [100, 50, 0, -1]);
  t.same(scoresOf(r, 'InterPodAffinity'), [0, 50, 100, -1]);
  t.same(scoresOf(r, 'ImageLocality'), [48, 0, 100, -1], '(500-23)·100/(1000-23) = 48');
  t.same(scoresOf(r, 'PodTopologySpread'), [100, 33, 0, -1], 'ignored node scores 0; 100·(3+1-3)/3 = 33');
  t.same([...r.totals], [150 + 100 + 0 + 48 + 200, 300 + 50 + 50 + 0 + 66, 0 + 0 + 100 + 100 + 0, -1]);
  t.equal(r.feasibleCount, 3);
  t.equal(r.best, 0);
});

t.test('fit filter and empty results', async (t) => {
  const full = { ...node(4000, 8 * GiB, 3500, GiB), podCount: 110 };
  const s = both([node(4000, 8 * GiB, 3500, GiB), full, node(4000, 8 * GiB, 0, 8 * GiB - 100 * MiB)]);
  let r = same(t, s, { pod: pod(600, GiB / 4), fitFilter: true });
  t.equal(r.feasibleCount, 0, 'cpu, pod count and memory each rule one node out');
  t.equal(r.best, -1);
  t.same([...r.totals], [-1, -1, -1]);
  r = same(t, s, { pod: pod(500, 50 * MiB), fitFilter: true });
  t.equal(r.feasibleCount, 2, 'exactly fitting cpu and memory pass');
  t.equal(r.totals[1], -1);
  t.ok(r.best === 0 || r.best === 2);
  r = same(t, s, { pod: pod(500, 50 * MiB), fitFilter: false, feasible: Uint8Array.of(0, 0, 0) });
  t.equal(r.feasibleCount, 0);
});

t.test('ties: seeded reservoir choice, same on both sides', async (t) => {
  const s = both(Array.from({ length: 5 }, () => node(2000, 4 * GiB)));
  const seen = new Set<number>();
  let seed = 42;
  for (let i = 0; i < 200; i++) {
    const r = same(t, s, { pod: pod(100, MiB), seed });
    t.equal(r.tieCount, 5);
    seen.add(r.best);
    seed = r.nextSeed;
  }
  t.equal(seen.size, 5, 'every tied node gets chosen sometimes');
  const a = s[0]!.score({ pod: pod(100, MiB), seed: 7 }).best;
  t.equal(s[0]!.score({ pod: pod(100, MiB), seed: 7 }).best, a, 'same seed, same choice');
});

t.test('a full table and an odd node count', async (t) => {
  const rand = mulberry32(16);
  const nodes = randomCluster(rand, 16);
  const scorers = [new WasmScorer(16), new ReferenceScorer(16)];
  t.equal(scorers[0]!.capacity, 16);
  for (const s of scorers) nodes.forEach((x, i) => s.setNode(i, x));
  for (let k = 0; k < 5; k++) same(t, scorers, randomRequest(rand, 16));
  t.throws(() => scorers[0]!.setNode(16, nodes[0]!), RangeError, 'capacity is fixed');
  for (const s of scorers) s.removeNode(15);
  for (let k = 0; k < 5; k++) same(t, scorers, randomRequest(rand, 15));
});

t.test('validation', async (t) => {
  const s = new WasmScorer(16);
  t.throws(() => s.setNode(1, node(1, 1)), RangeError, 'no gaps');
  t.throws(() => s.setNode(0, node(1.5, 1)), RangeError);
  t.throws(() => s.setNode(0, node(MAX_RESOURCE_VALUE + 1, 1)), RangeError);
  s.setNode(0, node(1000, GiB));
  t.throws(() => s.score({ pod: pod(-1, 0) }), RangeError);
  t.throws(() => s.score({ pod: pod(1, 1), fit: { strategy: 'RequestedToCapacityRatio', weight: 1, shape: [] } }), RangeError);
  t.throws(() => s.score({ pod: pod(1, 1), feasible: new Uint8Array(0) }), RangeError);
  t.throws(() => s.addPod(0, pod(2000, 0), -1), RangeError, 'requests cannot go negative');
});

// ---- randomized equivalence ----


function randomCluster(rand: () => number, count: number): NodeResources[] {
  const int = (max: number) => Math.floor(rand() * (max + 1));
  return Array.from({ length: count }, () => {
    const huge = rand() < 0.05;
    const allocCpu = rand() < 0.03 ? 0 : huge ? MAX_RESOURCE_VALUE - 100 * int(1000) : 100 * (10 + int(1270));
    const allocMem = rand() < 0.03 ? 0 : huge ? MAX_RESOURCE_VALUE - int(1 << 20) : GiB + int(511 * GiB);
    // Requests may exceed allocatable (non-zero defaults do upstream); headroom keeps addPod in range.
    const cap = (v: number) => Math.min(v, MAX_RESOURCE_VALUE - 2 ** 40);
    let reqCpu = cap(int(Math.max(allocCpu, 1000) * 1.1));
    let reqMem = cap(int(Math.max(allocMem, GiB) * 1.1));
    if (rand() < 0.1) {
      // Quotients that land exactly on integers: the rounding edge of every division.
      reqCpu = cap(Math.floor(allocCpu / 100) * int(100));
      reqMem = cap(Math.floor(allocMem / 100) * int(100));
    }
    return {
      allocatableMilliCpu: allocCpu,
      allocatableMemory: allocMem,
      allocatablePods: int(120),
      requestedMilliCpu: reqCpu,
      requestedMemory: reqMem,
      nonZeroRequestedMilliCpu: reqCpu + int(2000),
      nonZeroRequestedMemory: reqMem + int(4 * GiB),
      podCount: int(120),
    };
  });
}

function randomRequest(rand: () => number, n: number): ScoreRequest {
  const int = (max: number) => Math.floor(rand() * (max + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length - 1)] as T;
  const cpu = rand() < 0.2 ? 0 : int(8000);
  const mem = rand() < 0.2 ? 0 : int(16 * GiB);
  const strategy = pick(['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'] as const);
  const shape: { utilization: number; score: number }[] = [];
  for (let u = int(20); u <= 100 && shape.length < 16; u += 1 + int(40)) shape.push({ utilization: u, score: int(10) });
  const modes: Normalization[] = ['none', 'default', 'defaultReverse', 'minMax', 'imageLocality', 'topologySpread'];
  const extras = Array.from({ length: int(8) }, (_, k) => {
    const normalization = pick(modes);
    const scale = normalization === 'imageLocality' ? 3000 * MiB : pick([0, 1, 10, 1000, 2 ** 40]);
    const raw = Float64Array.from({ length: n }, () => (rand() < 0.2 ? 0 : int(scale) - (normalization === 'minMax' || normalization === 'topologySpread' ? int(scale / 4) : 0)));
    return { name: `extra${k}`, normalization, weight: int(5), raw, containers: 1 + int(4) };
  });
  const density = rand();
  return {
    pod: { milliCpu: cpu, memory: mem, nonZeroMilliCpu: cpu || 100, nonZeroMemory: mem || DEFAULT_MEMORY_REQUEST },
    feasible: rand() < 0.2 ? undefined : Uint8Array.from({ length: n }, () => (rand() < density ? 1 + int(254) : 0)),
    fitFilter: rand() < 0.3,
    fit: rand() < 0.1 ? null : { strategy, weight: int(3), cpuWeight: 1 + int(99), memoryWeight: 1 + int(99), shape },
    balancedWeight: int(3),
    balancedSkipBestEffort: rand() < 0.8,
    extras,
    seed: int(2 ** 32 - 1),
    details: rand() < 0.7,
  };
}

t.test('randomized clusters: WASM equals reference element by element', async (t) => {
  const rand = mulberry32(20261123);
  let mismatches = 0;
  let checks = 0;
  for (let round = 0; round < 12; round++) {
    const n = 1000 + Math.floor(rand() * 3000);
    const nodes = randomCluster(rand, n);
    const wasm = new WasmScorer(n);
    const ref = new ReferenceScorer(n);
    nodes.forEach((x, i) => (wasm.setNode(i, x), ref.setNode(i, x)));
    for (let k = 0; k < 10; k++) {
      const request = randomRequest(rand, n);
      const a = snapshot(wasm.score(request));
      const b = snapshot(ref.score(request));
      checks++;
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        mismatches++;
        t.same(a, b, `round ${round} request ${k}`);
      }
    }
  }
  t.equal(mismatches, 0, `${checks} random requests over thousands of nodes give identical output`);
});

t.test('incremental updates give the same results as a fresh load', async (t) => {
  const rand = mulberry32(7);
  const model = randomCluster(rand, 1500);
  const incremental = [new WasmScorer(2048), new ReferenceScorer(2048)];
  for (const s of incremental) model.forEach((x, i) => s.setNode(i, x));
  const extraNodes = randomCluster(rand, 400);
  for (let step = 0; step < 1200; step++) {
    const op = rand();
    const i = Math.floor(rand() * model.length);
    if (op < 0.3) {
      const x = extraNodes[step % extraNodes.length]!;
      model[i] = x;
      for (const s of incremental) s.setNode(i, x);
    } else if (op < 0.5) {
      const p = pod(Math.floor(rand() * 500), Math.floor(rand() * GiB));
      const m = model[i]!;
      model[i] = {
        ...m,
        requestedMilliCpu: m.requestedMilliCpu + p.milliCpu,
        requestedMemory: m.requestedMemory + p.memory,
        nonZeroRequestedMilliCpu: m.nonZeroRequestedMilliCpu + p.nonZeroMilliCpu,
        nonZeroRequestedMemory: m.nonZeroRequestedMemory + p.nonZeroMemory,
        podCount: m.podCount + 1,
      };
      for (const s of incremental) s.addPod(i, p);
    } else if (op < 0.75) {
      const last = model.length - 1;
      model[i] = model[last]!;
      model.pop();
      for (const s of incremental) t.equal(s.removeNode(i), i === last ? -1 : last);
    } else {
      model.push(extraNodes[step % extraNodes.length]!);
      for (const s of incremental) s.setNode(model.length - 1, model[model.length - 1]!);
    }
  }
  const fresh = new WasmScorer(2048);
  model.forEach((x, i) => fresh.setNode(i, x));
  t.equal(fresh.nodeCount, incremental[0]!.nodeCount);
  t.same(incremental[1]!.getNode(model.length - 1), model[model.length - 1]);
  for (let k = 0; k < 20; k++) {
    const request = randomRequest(rand, model.length);
    const expected = snapshot(fresh.score(request));
    for (const s of incremental) t.same(snapshot(s.score(request)), expected, `request ${k}`);
  }
});
