// `npm run bench scheduler [-- --workload SchedulingBasic,… | ScoringStep] [--size quick|small|medium]
// [--quick] [--nodes N] [--pods N] [--init-pods N] [--paths wasm,reference] [--json out.json]`:
// scheduler_perf-style workloads with the WASM and the reference scorer side by side; a table on
// stdout, JSON at --json and an SVG of throughput over time next to it.
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatTable, writeJson, type BenchArgs, type Benchmark, type Row } from '../../../kernel/bench/report.js';
import { benchmark as scoringStep } from '../../../wasm/score/bench.js';
import { runWorkload, type RunResult, type ScorerPath } from './harness.js';
import { throughputSvg } from './svg.js';
import { WORKLOADS, type Size, type SizeName } from './workloads.js';

const SCORING_STEP = 'ScoringStep';

function flag(args: BenchArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function positiveInt(args: BenchArgs, name: string): number | undefined {
  const v = flag(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

export function svgPathFor(json: string): string {
  return json.endsWith('.json') ? `${json.slice(0, -5)}.svg` : `${json}.svg`;
}

export function resultRow(r: RunResult): Row {
  return {
    workload: r.workload,
    nodes: r.nodes,
    init: r.initPods,
    measured: r.measurePods,
    path: r.path,
    'pods/s': Math.round(r.podsPerSecond),
    'p50/s': r.throughput.p50,
    'p90/s': r.throughput.p90,
    'p99/s': r.throughput.p99,
    'attempt p50 ms': r.attemptLatencyMs.p50,
    'attempt p90 ms': r.attemptLatencyMs.p90,
    'attempt p99 ms': r.attemptLatencyMs.p99,
    attempts: r.attemptLatencyMs.count,
    unschedulable: r.attempts.unschedulable,
    seconds: r.seconds,
    'cpu (this/nats)': `${r.cpu.processCores.toFixed(2)}/${r.cpu.natsServerCores.toFixed(2)}`,
    'algorithm ms': r.algorithmMsPerAttempt,
    'sched thread cpu ms/pod': r.cpu.schedulerThreadMsPerPod,
    'all cpu ms/pod': r.cpu.allMsPerPod,
  };
}

async function run(args: BenchArgs): Promise<void> {
  const names = (flag(args, 'workload') ?? 'all').split(',').filter(Boolean);
  if (names.includes(SCORING_STEP)) {
    // The scoring step alone (wasm/score/bench.ts), with its own flags (--nodes list, --pods, --profile).
    await scoringStep.run(args);
    if (names.length === 1) return;
  }
  const wanted = names.includes('all') ? WORKLOADS : WORKLOADS.filter((w) => names.includes(w.name));
  const unknown = names.filter((n) => n !== 'all' && n !== SCORING_STEP && !WORKLOADS.some((w) => w.name === n));
  if (unknown.length) throw new Error(`--workload: unknown ${unknown.join(', ')} (known: ${[...WORKLOADS.map((w) => w.name), SCORING_STEP].join(', ')}, all)`);
  const sizeName = (args.flags.get('quick') === true ? 'quick' : flag(args, 'size') ?? 'medium') as SizeName;
  if (!['quick', 'small', 'medium'].includes(sizeName)) throw new Error(`--size: must be quick, small or medium, got ${JSON.stringify(sizeName)}`);
  const paths = (flag(args, 'paths') ?? 'wasm,reference').split(',') as ScorerPath[];
  for (const p of paths) if (p !== 'wasm' && p !== 'reference') throw new Error(`--paths: "${p}" is not wasm or reference`);
  const timeoutMs = positiveInt(args, 'timeout-ms') ?? 1_800_000;

  const results: RunResult[] = [];
  const json: Record<string, unknown> = {};
  for (const w of wanted) {
    const base = w.sizes[sizeName];
    const size: Size = {
      nodes: positiveInt(args, 'nodes') ?? base.nodes,
      initPods: positiveInt(args, 'init-pods') ?? base.initPods,
      measurePods: positiveInt(args, 'pods') ?? base.measurePods,
    };
    const entry: Record<string, unknown> = { params: size };
    for (const path of paths) {
      const r = await runWorkload(w, size, path, { timeoutMs, label: `${w.name} ${path}` });
      results.push(r);
      entry[path] = {
        podsPerSecond: r.podsPerSecond,
        throughput: { p50: r.throughput.p50, p90: r.throughput.p90, p99: r.throughput.p99, samples: r.samples },
        attemptLatencyMs: r.attemptLatencyMs,
        attempts: r.attempts,
        seconds: r.seconds,
        cpu: r.cpu,
        extensionPointMs: r.extensionPointMs,
        algorithmMsPerAttempt: r.algorithmMsPerAttempt,
      };
      process.stderr.write(`${w.name} ${path}: ${Math.round(r.podsPerSecond)} pods/s\n`);
    }
    json[w.name] = entry;
  }
  process.stdout.write(formatTable(results.map(resultRow)));
  writeJson(args.json, {
    area: 'scheduler',
    node: process.version,
    cpus: cpus().length,
    percentageOfNodesToScore: 100,
    size: sizeName,
    workloads: json,
  });
  const svg = svgPathFor(args.json);
  mkdirSync(dirname(svg), { recursive: true });
  writeFileSync(svg, throughputSvg(results));
  process.stdout.write(`results: ${args.json}\nplot: ${svg}\n`);
}

export const benchmark: Benchmark = {
  area: 'scheduler',
  description: 'scheduler_perf-style workloads (hollow nodes, pods and bindings through the store), WASM vs reference scorer; --workload ScoringStep for the scoring step alone',
  run,
};
