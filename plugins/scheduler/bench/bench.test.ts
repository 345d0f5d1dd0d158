// Smoke test of `npm run bench scheduler`: tiny workloads end to end over a real nats-server and
// store with both scorer paths — every measured pod gets bound — and the JSON + SVG outputs.
// No speed assertions.
import 'reflect-metadata';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { BenchArgs } from '../../../kernel/bench/report.js';
import { runWorkload } from './harness.js';
import { benchmark, svgPathFor } from './index.js';
import { WORKLOADS } from './workloads.js';

const byName = (n: string) => WORKLOADS.find((w) => w.name === n)!;
// kernel/bench/run.ts runs main() on import, so the flags are built here the way it parses them.
const benchArgs = (flags: Record<string, string>, json = join(tmpdir(), 'kite-bench-unused.json')): BenchArgs => ({ rest: [], flags: new Map(Object.entries(flags)), json });

t.test('SchedulingBasic, 50 nodes / 100 pods: all bound on both paths, JSON and SVG written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-bench-smoke-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'out.json');
  const args = benchArgs({ workload: 'SchedulingBasic', nodes: '50', 'init-pods': '20', pods: '100' }, json);
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    await benchmark.run(args);
  } finally {
    process.stdout.write = write;
  }
  const result = JSON.parse(readFileSync(json, 'utf8')) as { percentageOfNodesToScore: number; workloads: Record<string, Record<string, { podsPerSecond: number; throughput: { p50: number; p90: number; p99: number }; attempts: { scheduled: number } }>> };
  t.equal(result.percentageOfNodesToScore, 100);
  const basic = result.workloads.SchedulingBasic!;
  t.same(basic.params, { nodes: 50, initPods: 20, measurePods: 100 });
  for (const path of ['wasm', 'reference']) {
    t.ok(basic[path]!.podsPerSecond > 0, `${path}: podsPerSecond reported`);
    t.ok(basic[path]!.attempts.scheduled >= 100, `${path}: every measured pod was scheduled`);
    t.type(basic[path]!.throughput.p99, 'number');
  }
  t.match(out.join(''), /SchedulingBasic\s+50\s+20\s+100\s+wasm/);
  const svg = svgPathFor(json);
  t.ok(existsSync(svg), 'SVG next to the JSON');
  t.match(readFileSync(svg, 'utf8'), /<svg[^>]*>[\s\S]*<polyline[\s\S]*<\/svg>/);
});

t.test('PreemptionBasic quick: high-priority pods preempt and all get bound', async (t) => {
  const w = byName('PreemptionBasic');
  const r = await runWorkload(w, w.sizes.quick, 'wasm', { timeoutMs: 120_000 });
  t.equal(r.measurePods, 20);
  t.ok(r.attempts.scheduled >= 20, 'every preemptor bound (runWorkload waits for all of them)');
  t.ok(r.attempts.unschedulable >= 1, 'they first failed and preempted');
});

t.test('unknown workloads are refused with the known names', async (t) => {
  await t.rejects(benchmark.run(benchArgs({ workload: 'Nope' })), /--workload: unknown Nope \(known: SchedulingBasic,/);
});
