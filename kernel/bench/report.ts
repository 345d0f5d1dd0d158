// Benchmark reporting shared by every `npm run bench <area>`: a table on stdout, JSON on disk,
// and a progress line on a TTY.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type Row = Record<string, string | number>;

export function formatTable(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string | number | undefined) =>
    v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1)) : v;
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n') + '\n';
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}

/** Percentile of an ascending-sorted array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export function summarize(samplesMs: number[]): { count: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const s = Float64Array.from(samplesMs).sort();
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { count: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, mean };
}

/** A counter on one line when stderr is a TTY; silent otherwise (CI logs stay clean). */
export class Progress {
  private last = 0;
  constructor(private readonly label: string, private readonly total: number, private readonly stream = process.stderr) {}

  tick(done: number): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const width = 30;
    const filled = Math.round((done / this.total) * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total}`);
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[2K');
  }
}

export interface BenchArgs {
  /** Free arguments after the area name. */
  rest: string[];
  /** `--json <path>`: where to write results (default bench-results/<area>.json). */
  json: string;
  flags: Map<string, string | true>;
}

export interface Benchmark {
  area: string;
  description: string;
  run(args: BenchArgs): Promise<void>;
}

/** Runs `total` operations with `concurrency` in flight, with a progress line; rate and per-op latency. */
export async function runConcurrently(label: string, total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<{ opsPerSecond: number; latenciesMs: number[] }> {
  const progress = new Progress(label, total);
  const latenciesMs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const s = performance.now();
      await op(i);
      latenciesMs.push(performance.now() - s);
      progress.tick(latenciesMs.length);
    }
  }));
  progress.done();
  return { opsPerSecond: total / ((performance.now() - t0) / 1000), latenciesMs };
}
