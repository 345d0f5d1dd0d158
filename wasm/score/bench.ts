// `npm run bench scheduler`: the scoring step alone (no store, no bus): one pod scored against
// every node, WASM kernel vs the TypeScript reference, same cluster and same pods on both sides.
// Options: --nodes 5000,15000  --pods <calls per path>  --profile default|full|basic|all
import { seededRandom as mulberry32 } from '../../kernel/testing/random.js';
import { formatTable, Progress, summarize, writeJson, type Benchmark, type BenchArgs, type Row } from '../../kernel/bench/report.js';
import { ReferenceScorer } from './reference.js';
import { WasmScorer } from './score-wasm.js';
import { DEFAULT_MEMORY_REQUEST, type NodeScorer, type ScoreRequest } from './types.js';

const GiB = 2 ** 30;


function loadCluster(scorers: NodeScorer[], nodes: number, rand: () => number): void {
  const int = (max: number) => Math.floor(rand() * (max + 1));
  for (let i = 0; i < nodes; i++) {
    const cpu = 4000 * (1 + int(15));
    const mem = 8 * GiB * (1 + int(15));
    const reqCpu = int(cpu);
    const reqMem = int(mem);
    const node = {
      allocatableMilliCpu: cpu,
      allocatableMemory: mem,
      allocatablePods: 110,
      requestedMilliCpu: reqCpu,
      requestedMemory: reqMem,
      nonZeroRequestedMilliCpu: reqCpu + 100 * int(3),
      nonZeroRequestedMemory: reqMem + DEFAULT_MEMORY_REQUEST * int(3),
      podCount: int(100),
    };
    for (const s of scorers) s.setNode(i, node);
  }
}

/** scheduler_perf's hollow nodes (4 cpu, 32 Gi, 110 pods) holding 0–3 of its 100m/500Mi pods: a quarter of the nodes tie for the best score. */
function loadBasicCluster(scorers: NodeScorer[], nodes: number): void {
  for (let i = 0; i < nodes; i++) {
    const pods = i % 4;
    const node = {
      allocatableMilliCpu: 4000,
      allocatableMemory: 32 * GiB,
      allocatablePods: 110,
      requestedMilliCpu: 100 * pods,
      requestedMemory: 500 * 2 ** 20 * pods,
      nonZeroRequestedMilliCpu: 100 * pods,
      nonZeroRequestedMemory: 500 * 2 ** 20 * pods,
      podCount: pods,
    };
    for (const s of scorers) s.setNode(i, node);
  }
}

type Profile = 'default' | 'full' | 'basic';

/**
 * A pool of pods: default profile = upstream default resource plugins; full adds three caller-computed
 * columns; basic = the call SchedulingBasic's scheduler makes (no filter in the kernel, every node
 * feasible, TaintToleration and ImageLocality columns all zero), on loadBasicCluster's identical nodes.
 */
function podPool(profile: Profile, nodes: number, rand: () => number, size = 64): ScoreRequest[] {
  if (profile === 'basic') {
    const zeros = new Float64Array(nodes);
    const pod = { milliCpu: 100, memory: 500 * 2 ** 20, nonZeroMilliCpu: 100, nonZeroMemory: 500 * 2 ** 20 };
    const extras: ScoreRequest['extras'] = [
      { name: 'TaintToleration', normalization: 'defaultReverse', weight: 3, raw: zeros },
      { name: 'ImageLocality', normalization: 'imageLocality', weight: 1, raw: zeros, containers: 1 },
    ];
    return [{ pod, feasible: new Uint8Array(nodes).fill(1), fitFilter: false, extras }];
  }
  const int = (max: number) => Math.floor(rand() * (max + 1));
  return Array.from({ length: size }, () => {
    const cpu = 100 * int(40);
    const mem = 128 * 2 ** 20 * int(64);
    const feasible = Uint8Array.from({ length: nodes }, () => (rand() < 0.9 ? 1 : 0));
    const column = (max: number) => Float64Array.from({ length: nodes }, () => int(max));
    return {
      pod: { milliCpu: cpu, memory: mem, nonZeroMilliCpu: cpu || 100, nonZeroMemory: mem || DEFAULT_MEMORY_REQUEST },
      feasible,
      fitFilter: true,
      extras:
        profile === 'full'
          ? [
              { name: 'TaintToleration', normalization: 'defaultReverse', weight: 3, raw: column(3) },
              { name: 'NodeAffinity', normalization: 'default', weight: 1, raw: column(300) },
              { name: 'PodTopologySpread', normalization: 'topologySpread', weight: 2, raw: column(20) },
            ]
          : [],
    };
  });
}

interface PathResult {
  podsPerSecond: number;
  nsPerNode: number;
  latencyMs: ReturnType<typeof summarize>;
}

/**
 * Scores `calls` pods on each path. The paths alternate in blocks so that both see the same
 * machine load (the benchmark shares its cores); each path chains its own tie-breaking seed, and
 * the chosen nodes are compared call by call.
 */
function measure(label: string, paths: NodeScorer[], pool: ScoreRequest[], calls: number): { results: PathResult[]; identical: boolean } {
  for (const scorer of paths) for (let i = 0; i < Math.min(200, calls); i++) scorer.score(pool[i % pool.length]!); // JIT / tier-up warm-up
  const block = 25;
  const progress = new Progress(label, calls);
  const samples = paths.map((): number[] => []);
  const elapsed = paths.map(() => 0);
  const seeds = paths.map(() => 1);
  const choices = paths.map((): number[] => []);
  for (let start = 0; start < calls; start += block) {
    paths.forEach((scorer, p) => {
      const began = performance.now();
      for (let i = start; i < Math.min(calls, start + block); i++) {
        const t0 = performance.now();
        const r = scorer.score({ ...pool[i % pool.length]!, seed: seeds[p] });
        samples[p]!.push(performance.now() - t0);
        seeds[p] = r.nextSeed;
        choices[p]!.push(r.best);
      }
      elapsed[p]! += performance.now() - began;
    });
    progress.tick(Math.min(calls, start + block));
  }
  progress.done();
  const results = paths.map((scorer, p) => ({
    podsPerSecond: calls / (elapsed[p]! / 1000),
    nsPerNode: (elapsed[p]! * 1e6) / calls / scorer.nodeCount,
    latencyMs: summarize(samples[p]!),
  }));
  const identical = choices.every((c) => c.every((best, i) => best === choices[0]![i]));
  return { results, identical };
}

async function run(args: BenchArgs): Promise<void> {
  const nodeFlag = args.flags.get('nodes');
  const sizes = typeof nodeFlag === 'string' ? nodeFlag.split(',').map(Number) : [5000, 15000];
  const podsFlag = args.flags.get('pods');
  const profileFlag = args.flags.get('profile');
  const profiles: Profile[] =
    profileFlag === 'full' || profileFlag === 'basic' ? [profileFlag] : profileFlag === 'all' ? ['default', 'full', 'basic'] : ['default'];
  const rows: Row[] = [];
  const json: Record<string, unknown> = {};
  for (const nodes of sizes) {
    const wasm = new WasmScorer(nodes);
    const reference = new ReferenceScorer(nodes);
    loadCluster([wasm, reference], nodes, mulberry32(nodes));
    for (const profile of profiles) {
      if (profile === 'basic') loadBasicCluster([wasm, reference], nodes);
      const pool = podPool(profile, nodes, mulberry32(nodes + 1));
      const calls = typeof podsFlag === 'string' ? Number(podsFlag) : Math.max(500, Math.round(1.5e7 / nodes));
      const { results, identical } = measure(`${nodes} nodes ${profile}`, [wasm, reference], pool, calls);
      const [w, r] = results as [PathResult, PathResult];
      const speedup = w.podsPerSecond / r.podsPerSecond;
      for (const [path, p] of [['wasm', w], ['reference', r]] as const) {
        rows.push({
          nodes,
          profile,
          path,
          'pods/s': Math.round(p.podsPerSecond),
          'ns/node': p.nsPerNode,
          'p50 ms': p.latencyMs.p50,
          'p99 ms': p.latencyMs.p99,
          speedup: path === 'wasm' ? `${speedup.toFixed(2)}x` : '',
          'same choices': path === 'wasm' ? (identical ? 'yes' : 'NO') : '',
        });
      }
      json[`${nodes}/${profile}`] = { nodes, profile, calls, wasm: w, reference: r, speedup, identicalChoices: identical };
    }
  }
  process.stdout.write(formatTable(rows));
  writeJson(args.json, { area: 'scheduler', step: 'score', node: process.version, results: json });
  process.stdout.write(`results: ${args.json}\n`);
}

export const benchmark: Benchmark = {
  area: 'scheduler',
  description: 'scheduler scoring step alone: WASM kernel vs TypeScript reference, pods/s and ns/node',
  run,
};
