#!/usr/bin/env node
// `npm run bench <area> [-- --json out.json ...]`: runs one area's benchmark, prints a table,
// writes JSON. Areas register here by module path so the runner loads only what it runs.
import 'reflect-metadata';
import type { BenchArgs, Benchmark } from './report.js';

const areas: Record<string, string> = {
  store: '../store/bench.js',
  api: '../api/bench.js',
  scheduler: '../../plugins/scheduler/bench/index.js',
  node: '../../plugins/node-agent/bench.js',
  controllers: '../../plugins/controllers/bench.js',
  network: '../../plugins/cni-kite/bench.js',
};

export function parseBenchArgs(area: string, argv: string[]): BenchArgs {
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) flags.set(a.slice(2), argv[++i] as string);
      else flags.set(a.slice(2), true);
    } else rest.push(a);
  }
  const json = flags.get('json');
  return { rest, flags, json: typeof json === 'string' ? json : `bench-results/${area}.json` };
}

async function main(): Promise<void> {
  const [area, ...argv] = process.argv.slice(2);
  if (!area || !(area in areas)) {
    process.stderr.write(`usage: npm run bench <area> [-- options]\nareas: ${Object.keys(areas).join(', ')}\n`);
    process.exit(2);
  }
  const mod = (await import(areas[area] as string)) as { benchmark: Benchmark };
  await mod.benchmark.run(parseBenchArgs(area, argv));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
