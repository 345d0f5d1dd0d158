// Where things are on disk: the repository root (found from any compiled location, dist/ or a
// dist-* build dir) and the data directory.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The directory holding Kite's package.json. */
export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  if (cachedRoot) return cachedRoot;
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'kernel'))) return (cachedRoot = dir);
    if (dirname(dir) === dir) throw new Error(`cannot find the Kite repository above ${from}`);
  }
}

/** The compiled output root this module runs from (e.g. <repo>/dist). */
export function compiledRoot(): string {
  // This file compiles to <out>/kernel/paths.js.
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Default data directory: $KITE_DATA_DIR, else /var/lib/kite for root, else ~/.kite. */
export function defaultDataDir(): string {
  if (process.env.KITE_DATA_DIR) return resolve(process.env.KITE_DATA_DIR);
  return process.getuid?.() === 0 ? '/var/lib/kite' : join(homedir(), '.kite');
}
