// JS glue for the score kernel: loads a .wasm that implements the ABI in README.md (Kite's own
// build/score.wasm by default, or a vendor's), keeps node state in its linear memory through
// typed-array views, and encodes each ScoreRequest into the kernel's request record.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ABI_VERSION,
  Column,
  NODE_STATE_COLUMNS,
  NodeTable,
  NodeTableScorer,
  OUTPUT_SLOTS,
  Out,
  REQUEST_SLOTS,
  Req,
  detailNames,
  resolveRequest,
} from './columns.js';
import { MAX_EXTRA_SCORES, type NodeResources, type NodeScorer, type PodRequests, type ScoreRequest, type ScoreResult } from './types.js';

// The project's lib (ES2022 + @types/node 20) does not declare the WebAssembly global: type the part we use.
export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module';
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What a score kernel module exports (README.md "ABI"). */
export interface ScoreKernelExports {
  memory: { buffer: ArrayBuffer };
  abiVersion(): number;
  init(capacity: number): number;
  columnPtr(column: number): number;
  maskPtr(): number;
  requestPtr(): number;
  outputPtr(): number;
  score(nodeCount: number, requestPtr: number, outputPtr: number): void;
}

/** <repo>/wasm/score/build/score.wasm, found from this file whether it runs from source or from dist*. */
export function defaultWasmPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('score-wasm: no package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return join(dir, 'wasm', 'score', 'build', 'score.wasm');
}

const modules = new Map<string, WasmModule>();

/** Compiles (once per path) a score kernel module, synchronously. */
export function loadScoreModule(path = defaultWasmPath()): WasmModule {
  let mod = modules.get(path);
  if (!mod) {
    if (!existsSync(path)) throw new Error(`score-wasm: ${path} is missing; run \`npm run build\``);
    mod = new wasmApi.Module(readFileSync(path));
    modules.set(path, mod);
  }
  return mod;
}

export interface WasmScorerOptions {
  /** A compiled module implementing the ABI; default Kite's build/score.wasm. */
  module?: WasmModule;
  wasmPath?: string;
}

export class WasmScorer extends NodeTableScorer implements NodeScorer {
  readonly capacity: number;
  private readonly kernel: ScoreKernelExports;
  private readonly mask: Uint8Array;
  private readonly request: Float64Array;
  private readonly output: Float64Array;
  private readonly requestAt: number;
  private readonly outputAt: number;
  private readonly column: (c: number) => Float64Array;

  constructor(capacity = 65_536, options: WasmScorerOptions = {}) {
    super();
    const mod = options.module ?? loadScoreModule(options.wasmPath);
    const instance = new wasmApi.Instance(mod, {
      env: {
        abort: () => {
          throw new Error('score kernel aborted');
        },
      },
    });
    this.kernel = instance.exports as unknown as ScoreKernelExports;
    const version = this.kernel.abiVersion();
    if (version !== ABI_VERSION) throw new Error(`score kernel ABI version ${version}, this glue speaks ${ABI_VERSION}`);
    this.capacity = this.kernel.init(capacity);
    // Views are made after init: growing memory detaches earlier ones.
    const buffer = this.kernel.memory.buffer;
    const columns = new Map<number, Float64Array>();
    this.column = (c) => {
      let view = columns.get(c);
      if (!view) columns.set(c, (view = new Float64Array(buffer, this.kernel.columnPtr(c), this.capacity)));
      return view;
    };
    const state = Array.from({ length: NODE_STATE_COLUMNS }, (_, c) => this.column(c));
    this.table = new NodeTable(this.capacity, state);
    this.mask = new Uint8Array(buffer, this.kernel.maskPtr(), this.capacity);
    this.requestAt = this.kernel.requestPtr();
    this.outputAt = this.kernel.outputPtr();
    this.request = new Float64Array(buffer, this.requestAt, REQUEST_SLOTS);
    this.output = new Float64Array(buffer, this.outputAt, OUTPUT_SLOTS);
  }

  /** The kernel's column for extra score k, to write raw scores in place (see NodeScorer.extraColumn). */
  extraColumn(k: number): Float64Array {
    if (!Number.isInteger(k) || k < 0 || k >= MAX_EXTRA_SCORES) throw new RangeError(`extra column ${k} outside 0..${MAX_EXTRA_SCORES - 1}`);
    return this.column(Column.extra0 + k);
  }

  score(request: ScoreRequest): ScoreResult {
    const n = this.table.nodeCount;
    const r = resolveRequest(request, n);
    const q = this.request;
    q.fill(0);
    q[Req.podCpu] = r.pod.milliCpu;
    q[Req.podMem] = r.pod.memory;
    q[Req.podNonZeroCpu] = r.pod.nonZeroMilliCpu;
    q[Req.podNonZeroMem] = r.pod.nonZeroMemory;
    q[Req.flags] = r.flags;
    q[Req.fitStrategy] = r.strategy;
    q[Req.fitWeight] = r.fitWeight;
    q[Req.cpuWeight] = r.cpuWeight;
    q[Req.memWeight] = r.memWeight;
    q[Req.balancedWeight] = r.balancedWeight;
    q[Req.seed] = r.seed;
    q[Req.shapeCount] = r.shape.length / 2;
    q.set(r.shape, Req.shape);
    q[Req.extraCount] = r.extras.length;
    r.extras.forEach((e, k) => {
      const slot = Req.extras + 3 * k;
      q[slot] = e.mode;
      q[slot + 1] = e.weight;
      q[slot + 2] = e.param;
      const col = this.column(Column.extra0 + k);
      if (e.raw === col) return; // written in place (extraColumn)
      if (e.raw instanceof Float64Array) col.set(e.raw.subarray(0, n));
      else for (let i = 0; i < n; i++) col[i] = e.raw[i] as number;
    });
    if (r.feasible) this.mask.set(r.feasible.subarray(0, n));
    else this.mask.fill(1, 0, n);

    this.kernel.score(n, this.requestAt, this.outputAt);

    const out = this.output;
    return {
      best: out[Out.best] as number,
      bestScore: out[Out.bestScore] as number,
      feasibleCount: out[Out.feasibleCount] as number,
      tieCount: out[Out.tieCount] as number,
      nextSeed: out[Out.nextSeed] as number,
      totals: this.column(Column.total).subarray(0, n),
      details: request.details
        ? detailNames(r).map((plugin, s) => ({ plugin, scores: this.column(Column.detail0 + s).subarray(0, n) }))
        : undefined,
    };
  }
}
