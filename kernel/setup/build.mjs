#!/usr/bin/env node
// Builds Kite: TypeScript to dist/ (incremental) and each WebAssembly kernel wasm/<name>/assembly
// to wasm/<name>/build/<name>.wasm, skipping kernels whose sources have not changed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`kite build: ${cmd.split('/').pop()} ${args.join(' ')} failed\n`);
    process.exit(r.status ?? 1);
  }
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const wasmRoot = join(root, 'wasm');
if (existsSync(wasmRoot)) {
  for (const name of readdirSync(wasmRoot)) {
    const src = join(wasmRoot, name, 'assembly');
    if (!existsSync(join(src, 'index.ts'))) continue;
    const out = join(wasmRoot, name, 'build', `${name}.wasm`);
    if (existsSync(out) && statSync(out).mtimeMs >= newestMtime(src)) continue;
    mkdirSync(dirname(out), { recursive: true });
    run(bin('asc'), [join(src, 'index.ts'), '-o', out, '-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd']);
  }
}
run(bin('tsc'), ['-p', join(root, 'tsconfig.json')]);
