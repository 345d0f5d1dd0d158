#!/usr/bin/env node
// Runs tap over the compiled tests (dist/**/*.test.js). tap's own discovery skips git-ignored
// folders such as dist/, so the files are listed here; extra arguments pass through to tap.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function find(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...find(p));
    else if (e.name.endsWith('.test.js')) out.push(relative(root, p));
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.some((a) => !a.startsWith('-')) ? [] : find(join(root, 'dist')).sort();
// Cached store objects are deep-frozen under test, so code that changes a shared object fails here.
const env = { ...process.env, KITE_FREEZE_OBJECTS: process.env.KITE_FREEZE_OBJECTS ?? '1' };
const r = spawnSync(join(root, 'node_modules', '.bin', 'tap'), [...args, ...files], { cwd: root, stdio: 'inherit', env });
process.exit(r.status ?? 1);
