// A hand-written SVG of throughput over time: one panel per workload, one line per scorer path.
import type { RunResult } from './harness.js';

const W = 720;
const H = 220;
const PAD = { left: 60, right: 20, top: 30, bottom: 36 };
const COLORS: Record<string, string> = { wasm: '#1f77b4', reference: '#ff7f0e' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round axis maximum (1, 2 or 5 × 10^k) at or above `v`. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function panel(workload: string, runs: RunResult[], y0: number): string {
  const seconds = Math.max(1, ...runs.map((r) => r.samples.length));
  const ymax = niceMax(Math.max(1, ...runs.flatMap((r) => r.samples)));
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const x = (s: number) => PAD.left + (s / seconds) * pw;
  const y = (v: number) => y0 + PAD.top + ph - (v / ymax) * ph;
  const out: string[] = [];
  out.push(`<text x="${PAD.left}" y="${y0 + 18}" font-size="14" font-weight="bold">${esc(workload)}</text>`);
  out.push(`<line x1="${PAD.left}" y1="${y(0)}" x2="${PAD.left + pw}" y2="${y(0)}" stroke="#333"/>`);
  out.push(`<line x1="${PAD.left}" y1="${y(0)}" x2="${PAD.left}" y2="${y(ymax)}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    out.push(`<line x1="${PAD.left}" y1="${y(v)}" x2="${PAD.left + pw}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${Math.round(v)}</text>`);
  }
  const step = Math.max(1, Math.ceil(seconds / 10));
  for (let s = 0; s <= seconds; s += step) out.push(`<text x="${x(s)}" y="${y(0) + 16}" font-size="11" text-anchor="middle">${s}</text>`);
  out.push(`<text x="${PAD.left + pw / 2}" y="${y(0) + 31}" font-size="11" text-anchor="middle">seconds</text>`);
  out.push(`<text x="14" y="${y(ymax / 2)}" font-size="11" transform="rotate(-90 14 ${y(ymax / 2)})" text-anchor="middle">pods/s</text>`);
  runs.forEach((r, i) => {
    const color = COLORS[r.path] ?? '#555';
    // Each sample is the rate over the second that ends at its x.
    const points = r.samples.map((v, s) => `${x(s + 1).toFixed(1)},${y(v).toFixed(1)}`);
    if (points.length) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${x(0).toFixed(1)},${y(r.samples[0] ?? 0).toFixed(1)} ${points.join(' ')}"/>`);
    const lx = PAD.left + pw - 230;
    const ly = y0 + 14 + i * 14;
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 24}" y="${ly}" font-size="11">${esc(`${r.path}: ${r.podsPerSecond.toFixed(0)} pods/s avg`)}</text>`);
  });
  return out.join('\n');
}

export function throughputSvg(results: RunResult[]): string {
  const workloads = [...new Set(results.map((r) => r.workload))];
  const height = Math.max(1, workloads.length) * H;
  const panels = workloads.map((wl, i) => panel(wl, results.filter((r) => r.workload === wl), i * H));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${panels.join('\n')}\n</svg>\n`;
}
