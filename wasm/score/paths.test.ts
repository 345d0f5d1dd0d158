// The kernel's faster paths against the reference: the hot loop (LeastAllocated / MostAllocated
// without details, four nodes per step), caller columns that hold one value and fold into a
// constant, node counts around the step and the capacity, nodes without a resource, many ties; and
// the two float64 identities the kernel relies on, checked exhaustively or at their edges.
import { seededRandom as mulberry32 } from '../../kernel/testing/random.js';
import t from 'tap';
import { ReferenceScorer } from './reference.js';
import { WasmScorer } from './score-wasm.js';
import { DEFAULT_MEMORY_REQUEST, type ExtraScore, type Normalization, type NodeResources, type NodeScorer, type ScoreRequest, type ScoreResult } from './types.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;


function pair(capacity: number, nodes: NodeResources[]): NodeScorer[] {
  return [new WasmScorer(capacity), new ReferenceScorer(capacity)].map((s) => {
    nodes.forEach((n, i) => s.setNode(i, n));
    return s;
  });
}
function plain(r: ScoreResult): unknown {
  return { ...r, totals: [...r.totals], details: r.details?.map((d) => ({ plugin: d.plugin, scores: [...d.scores] })) };
}
/** Scores on both and counts differences (one assertion per call keeps the output short). */
function differs(scorers: NodeScorer[], request: ScoreRequest): boolean {
  const [a, b] = scorers.map((s) => JSON.stringify(plain(s.score(request))));
  return a !== b;
}

function randomNode(rand: () => number): NodeResources {
  const int = (max: number) => Math.floor(rand() * (max + 1));
  const allocCpu = rand() < 0.05 ? 0 : 1000 * (1 + int(63));
  const allocMem = rand() < 0.05 ? 0 : GiB * (1 + int(255));
  const reqCpu = int(Math.max(allocCpu, 1000) * 1.05);
  const reqMem = int(Math.max(allocMem, GiB) * 1.05);
  return {
    allocatableMilliCpu: allocCpu,
    allocatableMemory: allocMem,
    allocatablePods: 110,
    requestedMilliCpu: reqCpu,
    requestedMemory: reqMem,
    nonZeroRequestedMilliCpu: reqCpu + 100 * int(2),
    nonZeroRequestedMemory: reqMem + DEFAULT_MEMORY_REQUEST * int(2),
    podCount: int(110),
  };
}

/** Columns that are often uniform: all zeros, one value everywhere, one value on feasible nodes only, or varied. */
function column(rand: () => number, n: number, feasible: Uint8Array | undefined, normalization: Normalization): number[] {
  const int = (max: number) => Math.floor(rand() * (max + 1));
  const scale = normalization === 'imageLocality' ? 2000 * MiB : 50;
  const low = normalization === 'minMax' || normalization === 'topologySpread' || normalization === 'none' ? -int(3) : 0;
  const one = low + int(scale);
  const kind = int(3);
  return Array.from({ length: n }, (_, i) => {
    if (kind === 0) return 0;
    if (kind === 1) return one;
    if (kind === 2) return feasible && feasible[i] === 0 ? low + int(scale) : one;
    return low + int(scale);
  });
}

const MODES: Normalization[] = ['none', 'default', 'defaultReverse', 'minMax', 'imageLocality', 'topologySpread'];

function hotRequest(rand: () => number, n: number): ScoreRequest {
  const int = (max: number) => Math.floor(rand() * (max + 1));
  const cpu = rand() < 0.2 ? 0 : 100 * int(40);
  const mem = rand() < 0.2 ? 0 : 128 * MiB * int(32);
  const feasible = rand() < 0.3 ? undefined : Uint8Array.from({ length: n }, () => (rand() < 0.85 ? 1 : 0));
  const extras: ExtraScore[] = Array.from({ length: int(4) }, (_, k) => {
    const normalization = MODES[int(MODES.length - 1)]!;
    return { name: `x${k}`, normalization, weight: int(3), raw: column(rand, n, feasible, normalization), containers: 1 + int(2) };
  });
  return {
    pod: { milliCpu: cpu, memory: mem, nonZeroMilliCpu: cpu || 100, nonZeroMemory: mem || DEFAULT_MEMORY_REQUEST },
    feasible,
    fitFilter: rand() < 0.5,
    fit: { strategy: rand() < 0.6 ? 'LeastAllocated' : 'MostAllocated', weight: 1 + int(2), cpuWeight: rand() < 0.5 ? 1 : 1 + int(99), memoryWeight: rand() < 0.5 ? 1 : 1 + int(99) },
    balancedWeight: int(2),
    extras,
    seed: int(2 ** 32 - 1),
    details: rand() < 0.1,
  };
}

t.test('hot loop and folded columns equal the reference (randomized, node counts around the step of 4)', async (t) => {
  const rand = mulberry32(4);
  let checks = 0;
  let wrong = 0;
  for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 13, 16, 63, 64, 257, 1021, 2048]) {
    const capacity = n === 0 ? 16 : n; // n = capacity: the table is full
    const scorers = pair(capacity, Array.from({ length: n }, () => randomNode(rand)));
    for (let k = 0; k < (n > 500 ? 40 : 12); k++) {
      checks++;
      if (differs(scorers, hotRequest(rand, n))) wrong++;
    }
  }
  t.equal(wrong, 0, `${checks} requests`);
});

t.test('columns holding one value: each normalization, feasible or not, with details or without', async (t) => {
  const rand = mulberry32(9);
  const scorers = pair(64, Array.from({ length: 37 }, () => randomNode(rand)));
  const mask = Uint8Array.from({ length: 37 }, (_, i) => (i % 5 === 0 ? 0 : 1));
  let wrong = 0;
  let checks = 0;
  for (const normalization of MODES) {
    for (const value of [0, 1, -1, 7, 23 * MiB, 5000 * MiB]) {
      for (const details of [false, true]) {
        for (const feasible of [undefined, mask, new Uint8Array(37)]) {
          const raw = new Array<number>(37).fill(value);
          const request: ScoreRequest = {
            pod: { milliCpu: 500, memory: GiB, nonZeroMilliCpu: 500, nonZeroMemory: GiB },
            feasible,
            extras: [{ name: 'one', normalization, weight: 2, raw, containers: 2 }],
            details,
          };
          checks++;
          if (differs(scorers, request)) wrong++;
        }
      }
    }
  }
  t.equal(wrong, 0, `${checks} requests`);
  // A column uniform on feasible nodes only (varied elsewhere) is folded after the masked statistics.
  const raw = Array.from({ length: 37 }, (_, i) => (mask[i] ? 4 : i));
  const r = scorers.map((s) => plain(s.score({ pod: { milliCpu: 0, memory: 0, nonZeroMilliCpu: 100, nonZeroMemory: DEFAULT_MEMORY_REQUEST }, feasible: mask, extras: [{ name: 'TaintToleration', normalization: 'defaultReverse', weight: 3, raw }] })));
  t.same(r[0], r[1]);
});

t.test('a negative constant and totals beyond 2^52 take the general path', async (t) => {
  const rand = mulberry32(11);
  const scorers = pair(32, Array.from({ length: 21 }, () => randomNode(rand)));
  const pod = { milliCpu: 100, memory: GiB, nonZeroMilliCpu: 100, nonZeroMemory: GiB };
  const negative: ExtraScore = { name: 'neg', normalization: 'none', weight: 5, raw: new Array<number>(21).fill(-40) };
  t.notOk(differs(scorers, { pod, extras: [negative] }), 'negative constant');
  // Huge raw scores: summation order matters above 2^53, so nothing folds and columns add in order.
  const huge: ExtraScore = { name: 'huge', normalization: 'none', weight: 7, raw: Array.from({ length: 21 }, (_, i) => 2 ** 50 + i) };
  const flat: ExtraScore = { name: 'flat', normalization: 'defaultReverse', weight: 3, raw: new Array<number>(21).fill(0) };
  t.notOk(differs(scorers, { pod, extras: [huge, flat] }), 'huge then constant');
  t.notOk(differs(scorers, { pod, extras: [flat, huge] }), 'constant then huge');
  // A weight-0 column adds nothing, also when the others are added one by one; its statistics slot
  // still holds another call's (minMax over equal values: divisor 0).
  const equal: ExtraScore = { name: 'equal', normalization: 'minMax', weight: 1, raw: new Array<number>(21).fill(5) };
  t.notOk(differs(scorers, { pod, extras: [equal] }), 'minMax over equal values');
  const idle: ExtraScore = { name: 'idle', normalization: 'default', weight: 0, raw: Array.from({ length: 21 }, (_, i) => i % 3) };
  t.notOk(differs(scorers, { pod, extras: [idle, huge, flat] }), 'weight 0 beside huge columns');
  const r = scorers[0]!.score({ pod, extras: [flat] });
  t.equal(r.bestScore, scorers[1]!.score({ pod, extras: [flat] }).bestScore);
});

t.test('nodes without cpu or memory on the hot path', async (t) => {
  const node = (cpu: number, mem: number): NodeResources => ({
    allocatableMilliCpu: cpu,
    allocatableMemory: mem,
    allocatablePods: 110,
    requestedMilliCpu: 0,
    requestedMemory: 0,
    nonZeroRequestedMilliCpu: 500,
    nonZeroRequestedMemory: GiB,
    podCount: 0,
  });
  // Every combination inside one step of four, and whole steps without a resource.
  const nodes = [node(4000, 0), node(0, 8 * GiB), node(0, 0), node(4000, 8 * GiB), node(0, 0), node(0, 0), node(0, 0), node(0, 0), node(2000, 0)];
  const scorers = pair(16, nodes);
  const pod = { milliCpu: 100, memory: 256 * MiB, nonZeroMilliCpu: 100, nonZeroMemory: 256 * MiB };
  for (const strategy of ['LeastAllocated', 'MostAllocated'] as const) {
    for (const cpuWeight of [1, 3]) {
      const request: ScoreRequest = { pod, fit: { strategy, weight: 1, cpuWeight, memoryWeight: 2 } };
      t.notOk(differs(scorers, request), `${strategy} cpu weight ${cpuWeight}`);
      t.notOk(differs(scorers, { ...request, fitFilter: true }), `${strategy} with the fit filter`);
    }
  }
  // LeastAllocated, one resource: the node scores that resource alone; none: 0.
  const r = scorers[0]!.score({ pod, balancedWeight: 0, details: false });
  t.same([...r.totals].slice(0, 3), [Math.floor((3400 * 100) / 4000), Math.floor(((8 * GiB - GiB - 256 * MiB) * 100) / (8 * GiB)), 0]);
});

t.test('identical nodes: thousands of ties chosen as the reference chooses', async (t) => {
  const n = 3001;
  const nodes = Array.from({ length: n }, (_, i) => ({
    allocatableMilliCpu: 4000,
    allocatableMemory: 32 * GiB,
    allocatablePods: 110,
    requestedMilliCpu: 100 * (i % 3),
    requestedMemory: 500 * MiB * (i % 3),
    nonZeroRequestedMilliCpu: 100 * (i % 3),
    nonZeroRequestedMemory: 500 * MiB * (i % 3),
    podCount: i % 3,
  }));
  const scorers = pair(n, nodes);
  const zeros = new Float64Array(n);
  const extras: ExtraScore[] = [
    { name: 'TaintToleration', normalization: 'defaultReverse', weight: 3, raw: zeros },
    { name: 'ImageLocality', normalization: 'imageLocality', weight: 1, raw: zeros, containers: 1 },
  ];
  const seeds = [0, 0]; // each side chains its own, from the same start
  let wrong = 0;
  const picked = new Set<number>();
  for (let k = 0; k < 60; k++) {
    const results = scorers.map((s, p) => s.score({ pod: { milliCpu: 100, memory: 500 * MiB, nonZeroMilliCpu: 100, nonZeroMemory: 500 * MiB }, extras, seed: seeds[p]! }));
    if (JSON.stringify(plain(results[0]!)) !== JSON.stringify(plain(results[1]!))) wrong++;
    results.forEach((r, p) => (seeds[p] = r.nextSeed));
    picked.add(results[0]!.best);
    t.equal(results[0]!.tieCount, 1001, 'every node with no pods ties');
  }
  t.equal(wrong, 0);
  t.ok(picked.size > 40, 'the pick spreads over the tied nodes');
});

t.test('floor(sum / w) = floor(sum · (1/w) + (1/w)/2) for every integer sum ≤ 100·w, w ≤ 200', async (t) => {
  let wrong = 0;
  for (let w = 1; w <= 200; w++) {
    const inverse = 1 / w;
    const halfStep = inverse * 0.5;
    for (let sum = 0; sum <= 100 * w; sum++) if (Math.floor(sum * inverse + halfStep) !== Math.floor(sum / w)) wrong++;
  }
  t.equal(wrong, 0);
});

t.test('x % k == 0 exactly when the float64 quotient x / k is an integer (x < 2^32)', async (t) => {
  const rand = mulberry32(32);
  let wrong = 0;
  for (let i = 0; i < 300_000; i++) {
    const k = i % 3 === 0 ? 2 + Math.floor(rand() * 100) : 2 + Math.floor(rand() * 2 ** 20);
    const edge = rand();
    // Multiples of k and their neighbours near 2^32, where the quotient's rounding is largest.
    const base = edge < 0.5 ? Math.floor((2 ** 32 - 1) / k) * k - k * Math.floor(rand() * 3) : Math.floor(rand() * 2 ** 32);
    for (const x of [base, base + 1, base - 1]) {
      if (x < 0 || x >= 2 ** 32) continue;
      const q = x / k;
      if ((q === Math.floor(q)) !== (x % k === 0)) wrong++;
    }
  }
  t.equal(wrong, 0);
});

t.test('raw scores written in place into the kernel column score as copied ones', async (t) => {
  const rand = mulberry32(21);
  const nodes = Array.from({ length: 50 }, () => randomNode(rand));
  const [wasm, ref] = pair(64, nodes) as [WasmScorer, ReferenceScorer];
  const column = wasm.extraColumn(1);
  t.equal(column.length, 64);
  t.equal(wasm.extraColumn(1), column, 'the same array every time');
  t.throws(() => wasm.extraColumn(8), RangeError);
  const spread = Array.from({ length: 50 }, (_, i) => (i * 7) % 11);
  const taints = Array.from({ length: 50 }, (_, i) => i % 3);
  column.set(taints);
  const pod = { milliCpu: 200, memory: GiB, nonZeroMilliCpu: 200, nonZeroMemory: GiB };
  const inPlace = wasm.score({ pod, extras: [{ name: 'PodTopologySpread', normalization: 'topologySpread', weight: 2, raw: spread }, { name: 'TaintToleration', normalization: 'defaultReverse', weight: 3, raw: column }] });
  const copied = ref.score({ pod, extras: [{ name: 'PodTopologySpread', normalization: 'topologySpread', weight: 2, raw: spread }, { name: 'TaintToleration', normalization: 'defaultReverse', weight: 3, raw: taints }] });
  t.same(plain(inPlace), plain(copied));
});
