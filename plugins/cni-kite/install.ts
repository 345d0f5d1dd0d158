// Puts Kite's CNI executables into a directory a CNI host lists on CNI_PATH. The executable is a
// tiny sh wrapper that execs this Node binary on the compiled main.js beside this file, both by
// absolute path, so it works whatever PATH the runtime gives plugins and from any build dir.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CNI_TYPE } from './setup.js';

/** The compiled entry point the wrapper runs. */
export function cniMainPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'main.js');
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes `<dir>/kite-bridge` (creating `dir`), replacing an older copy atomically so several
 * node agents may install into one directory at once. Returns the executable's path.
 */
export function installCniBinaries(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const target = join(dir, CNI_TYPE);
  // The plugin makes no TLS connections, and Node parses every certificate of
  // NODE_EXTRA_CA_CERTS before running anything (~100 ms on these machines); NODE_OPTIONS could
  // preload modules into a process that must start fast and behave the same everywhere.
  const script = [
    '#!/bin/sh',
    "# Kite's CNI plugin (written by plugins/cni-kite/install.ts)",
    'unset NODE_EXTRA_CA_CERTS NODE_OPTIONS',
    `exec ${shellQuote(process.execPath)} ${shellQuote(cniMainPath())} "$@"`,
    '',
  ].join('\n');
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, script);
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return target;
}
