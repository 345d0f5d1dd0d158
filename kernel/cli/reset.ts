// `kite reset`: undoes what Kite left on this machine for one data directory (kubeadm reset's
// role). The node agent adopts running containers after a restart, so nothing removes them once a
// Kite is killed or stopped; this does, in an order that works:
//   1. every node directory's runtime state (plugins/runtime-runc/reset.ts): containers, supervisors,
//      sandbox holders, runc/crun state, rootfs mounts, cgroups;
//   2. other processes working on the data directory (nats-server on its store, Kite's helpers);
//   3. every node's pod network (plugins/network/reset.ts): CNI DEL of recorded attachments,
//      portmap rules naming the node's sandboxes, the node's bridge; then the named namespaces and
//      bridge of `kite up --nodes` (kernel/multinode);
//   4. mounts below the data directory (emptyDir tmpfs, older rootfs overlays), deepest first;
//   5. what Kite made in the data directory (NATS store, PKI, kubeconfig, node directories, run
//      records), the image stores kept with keepImages, the user's kite.yaml always.
// The plugins own their state and its cleanup; this module finds the node directories and
// orchestrates. Nothing outside what this data directory accounts for is touched: processes are
// matched by recorded start time, cgroup membership or a command line naming Kite's entries, and a
// directory holding nothing Kite makes is refused (a mistyped --data-dir must not empty a home).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { hostNetworkPrefix, removeHostNetwork } from '../multinode/hostnet.js';
import {
  killAndWait, listProcesses, mountPointsUnder, refersTo, selfAndAncestors,
  type HostProcess, type ResetItem, type ResetKind, type ResetStep,
} from '../process/leftovers.js';
import { recordedSandboxIds, resetRuncState } from '../../plugins/runtime-runc/reset.js';
import { resetNodeNetwork } from '../../plugins/network/reset.js';
import { runningKites, type RunningRecord } from './running.js';

const run = promisify(execFile);

export interface ResetOptions {
  dataDir: string;
  /** The KernelConfiguration `kite up` ran with (default: `<dataDir>/kite.yaml` if present, else the built-in one). */
  configPath?: string;
  /** Keep `<dataDir>/images` and each node's `images/` (the image stores). */
  keepImages?: boolean;
  /** Only find what would be removed. */
  dryRun?: boolean;
}

export interface ResetResult {
  dataDir: string;
  dryRun: boolean;
  items: ResetItem[];
  /** Per kind, how many were found (dryRun) or removed. */
  counts: Partial<Record<ResetKind, number>>;
  problems: string[];
  /** What may make the reset incomplete without failing it (an unreadable configuration). */
  warnings: string[];
  /** Entries of the data directory left in place: not Kite's (kite.yaml, the user's), or image stores with keepImages. */
  kept: string[];
}

/** Thrown while a Kite process still runs on the data directory. */
export class KiteRunningError extends Error {
  constructor(readonly dataDir: string, readonly running: RunningRecord[]) {
    const who = running.map((r) => `pid ${r.pid} (kite ${r.command})`).join(', ');
    super(`Kite is still running on ${dataDir}: ${who}; stop it first (SIGTERM), then run kite reset again`);
  }
}

/** Programs Kite starts that may outlive it, recognised when their command line names the data directory. */
const KITE_PROGRAMS = new Set(['busybox', 'sh', 'sleep', 'tee', 'script', 'runc', 'crun', 'nats-server', 'setpriv', 'unshare', 'nsenter', 'flock']);

function nodeDirs(dataDir: string): string[] {
  const dir = join(dataDir, 'node');
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/**
 * What Kite itself creates in a data directory. Only these are removed, and only below these are
 * processes and mounts looked for: a data directory pointed at a directory holding other things
 * (a home directory, say) loses nothing else. `kite.yaml`, the user's configuration, is kept.
 */
const KITE_ENTRIES = ['nats', 'pki', 'kubeconfig', 'kite.json', 'run', 'node', 'images', 'runtime-runc'];

/** Files only Kite makes: without one of them a directory is not treated as a data directory. */
const KITE_MARKERS = ['kite.json', 'pki/ca.crt', 'pki/admin.token', 'nats/jetstream', 'images/oci-layout', 'runtime-runc/containers'];

function isKiteDataDir(dataDir: string): boolean {
  if (KITE_MARKERS.some((m) => existsSync(join(dataDir, m)))) return true;
  if (nodeDirs(dataDir).some((n) => ['runtime', 'cni', 'pods', 'images'].some((x) => existsSync(join(n, x))))) return true;
  try {
    return /^kind:\s*KernelConfiguration\s*$|"kind"\s*:\s*"KernelConfiguration"/m.test(readFileSync(join(dataDir, 'kite.yaml'), 'utf8'));
  } catch {
    return false;
  }
}

/** Thrown for a directory that holds things but none Kite makes (a mistyped --data-dir). */
export class NotADataDirError extends Error {
  constructor(readonly dataDir: string) {
    super(`${dataDir} does not look like a Kite data directory (no kite.json, pki/, nats/jetstream, images/ or node/*/runtime in it): not resetting it`);
  }
}

/** Kite's programs still working in the data directory (nats-server on its store, helpers), never this process or its callers. */
function strayProcesses(kitePaths: string[]): HostProcess[] {
  const spare = selfAndAncestors();
  return listProcesses().filter((p) => !spare.has(p.pid) && KITE_PROGRAMS.has(basename(p.argv[0] ?? '')) && p.argv.some((a) => kitePaths.some((k) => refersTo(a, k))));
}

async function namedNetns(prefix: string): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']).then((r) => r.stdout, () => '');
  return out.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${prefix}-`));
}

/** The data directory's entries to delete (Kite's own; with keepImages not the image stores), and the others. */
function dataEntries(dataDir: string, keepImages: boolean): { remove: string[]; keep: string[] } {
  const remove: string[] = [];
  const keep: string[] = [];
  for (const name of readdirSync(dataDir)) {
    if (!KITE_ENTRIES.includes(name) || (keepImages && name === 'images')) {
      keep.push(join(dataDir, name));
    } else if (keepImages && name === 'node') {
      for (const node of nodeDirs(dataDir)) for (const n of readdirSync(node)) if (n !== 'images') remove.push(join(node, n));
    } else {
      remove.push(join(dataDir, name));
    }
  }
  return { remove, keep };
}

/** What the node agents' configuration says about where their state is (runtime and network options). */
interface NodeSettings {
  /** A runtime state directory configured outside the node directories. */
  stateDirs: string[];
  cgroupRoot?: string;
  /** OCI runtime binaries configured (tried before the defaults). */
  ociBinaries: string[];
  cniPath?: string[];
}

async function nodeSettings(opts: ResetOptions, warnings: string[]): Promise<NodeSettings> {
  const out: NodeSettings = { stateDirs: [], ociBinaries: [] };
  try {
    const { kernelConfiguration } = await import('../kernel.js');
    const config = kernelConfiguration({ dataDir: opts.dataDir, ...(opts.configPath ? { configPath: opts.configPath } : {}) });
    for (const entry of config.plugins.filter((p) => p.module === 'builtin:node-agent')) {
      const o = (entry.options ?? {}) as { runtimeOptions?: { stateDir?: unknown; cgroupRoot?: unknown; runc?: unknown }; network?: { cniPath?: unknown } };
      const str = (v: unknown) => (typeof v === 'string' && v.startsWith('/') ? v : undefined);
      const stateDir = str(o.runtimeOptions?.stateDir);
      if (stateDir && !out.stateDirs.includes(stateDir)) out.stateDirs.push(stateDir);
      out.cgroupRoot ??= str(o.runtimeOptions?.cgroupRoot);
      const runc = str(o.runtimeOptions?.runc);
      if (runc && !out.ociBinaries.includes(runc)) out.ociBinaries.push(runc);
      const cniPath = o.network?.cniPath;
      if (Array.isArray(cniPath) && cniPath.every((d) => typeof d === 'string')) out.cniPath ??= cniPath as string[];
    }
  } catch (e) {
    warnings.push(`cannot read the configuration, resetting with the default locations: ${(e as Error).message.split('\n')[0]}`);
  }
  return out;
}

function merge(into: ResetResult, step: ResetStep): void {
  into.items.push(...step.items);
  into.problems.push(...step.problems);
}

/** Finds (dryRun) or removes everything Kite left for `dataDir`; refuses while Kite runs on it. */
export async function reset(opts: ResetOptions): Promise<ResetResult> {
  const { dataDir } = opts;
  const dryRun = !!opts.dryRun;
  const running = runningKites(dataDir);
  if (running.length > 0) throw new KiteRunningError(dataDir, running);
  const result: ResetResult = { dataDir, dryRun, items: [], counts: {}, problems: [], warnings: [], kept: [] };
  if (!existsSync(dataDir)) return result;
  if (dataDir === '/' || (readdirSync(dataDir).length > 0 && !isKiteDataDir(dataDir))) throw new NotADataDirError(dataDir);
  const kitePaths = KITE_ENTRIES.map((e) => join(dataDir, e));
  const nodes = nodeDirs(dataDir);
  // The sandbox ids, before step 1 removes their records: portmap rules name them (step 3).
  const settings = await nodeSettings(opts, result.warnings);
  const sandboxIds = new Map(nodes.map((n) => [n, recordedSandboxIds(join(n, 'runtime'))]));
  const configuredSandboxIds = settings.stateDirs.flatMap((d) => recordedSandboxIds(d));
  const ociBinaries = [...settings.ociBinaries, ...['/usr/sbin/runc', '/usr/bin/crun'].filter((b) => !settings.ociBinaries.includes(b))].filter((b) => existsSync(b));
  // 1. Containers, supervisors and sandboxes of every node (and of a runtime without a node dir,
  //    and of a state directory the configuration puts elsewhere).
  for (const stateDir of [...nodes.map((n) => join(n, 'runtime')), join(dataDir, 'runtime-runc'), ...settings.stateDirs]) {
    merge(result, await resetRuncState({ stateDir, dryRun, ociBinaries, ...(settings.cgroupRoot ? { cgroupRoot: settings.cgroupRoot } : {}) }));
  }
  // 2. The embedded nats-server (killed `kite up` without setpriv) and Kite's other helpers.
  const listed = new Set(result.items.map((i) => i.pid));
  const strays = strayProcesses(kitePaths).filter((p) => !listed.has(p.pid));
  for (const p of strays) result.items.push({ kind: 'process', name: `${p.pid} ${p.argv.join(' ').slice(0, 80)}`, pid: p.pid });
  if (!dryRun) for (const p of await killAndWait(strays)) result.problems.push(`process ${p.pid} (${p.argv[0]}) did not end`);
  // 3. Pod networks, then the node namespaces and bridge of `kite up --nodes` (their processes are killed).
  for (const node of nodes) {
    const cniPath = settings.cniPath ? [join(node, 'cni', 'bin'), ...settings.cniPath] : undefined;
    merge(result, await resetNodeNetwork({ nodeDir: node, dryRun, sandboxIds: [...(sandboxIds.get(node) ?? []), ...configuredSandboxIds], ...(cniPath ? { cniPath } : {}) }));
  }
  const prefix = hostNetworkPrefix(dataDir);
  const netns = await namedNetns(prefix);
  for (const n of netns) result.items.push({ kind: 'netns', name: n });
  const hostBridge = existsSync(`/sys/class/net/${prefix}br`);
  if (hostBridge) result.items.push({ kind: 'link', name: `${prefix}br` });
  if (!dryRun && (netns.length > 0 || hostBridge)) await removeHostNetwork(prefix);
  // 4. Mounts below the data directory's Kite entries, deepest first, lazily (a busy one goes when released).
  const mountsBelowKite = () => kitePaths.flatMap((k) => mountPointsUnder(k));
  const mounts = mountsBelowKite();
  const listedMounts = new Set(result.items.filter((i) => i.kind === 'mount').map((i) => i.name));
  for (const m of mounts) if (!listedMounts.has(m)) result.items.push({ kind: 'mount', name: m });
  if (!dryRun) {
    for (const m of mounts) await run('umount', ['-l', m]).catch((e: Error) => result.problems.push(`cannot unmount ${m}: ${e.message.split('\n')[0]}`));
  }
  // 5. The files. Never while something is still mounted below: rm would reach into it.
  const { remove, keep } = dataEntries(dataDir, !!opts.keepImages);
  result.kept = keep;
  for (const e of remove) result.items.push({ kind: 'path', name: e });
  if (!dryRun) {
    const still = mountsBelowKite();
    if (still.length > 0) result.problems.push(`not removing the files of ${dataDir}: still mounted below it: ${still.join(', ')}`);
    else for (const e of remove) rmSync(e, { recursive: true, force: true });
  }
  for (const item of result.items) result.counts[item.kind] = (result.counts[item.kind] ?? 0) + 1;
  return result;
}

const KIND_LABELS: Record<ResetKind, string> = {
  container: 'containers',
  sandbox: 'pod sandboxes',
  process: 'processes',
  'runtime-state': 'OCI runtime states',
  mount: 'mounts',
  cgroup: 'cgroups',
  'cni-attachment': 'CNI attachments',
  link: 'network interfaces',
  netns: 'network namespaces',
  iptables: 'iptables rules and chains',
  path: 'data directory entries',
};

/** One line per kind with its count: what `kite reset` prints. */
export function formatCounts(counts: ResetResult['counts']): string {
  return (Object.keys(KIND_LABELS) as ResetKind[])
    .filter((k) => counts[k])
    .map((k) => `  ${KIND_LABELS[k].padEnd(24)} ${counts[k]}\n`)
    .join('');
}

/** The plan shown before confirmation: per kind its count and the first few items. */
export function formatPlan(r: ResetResult, shown = 5): string {
  if (r.items.length === 0) return `kite reset: nothing to remove for ${r.dataDir}\n`;
  let out = `kite reset would remove, for ${r.dataDir}:\n`;
  for (const kind of Object.keys(KIND_LABELS) as ResetKind[]) {
    const names = r.items.filter((i) => i.kind === kind).map((i) => i.name);
    if (names.length === 0) continue;
    out += `  ${KIND_LABELS[kind].padEnd(24)} ${names.length}\n`;
    for (const name of names.slice(0, shown)) out += `      ${name}\n`;
    if (names.length > shown) out += `      ... and ${names.length - shown} more\n`;
  }
  return out;
}

export function formatSummary(r: ResetResult): string {
  const head = r.items.length === 0 ? `kite reset: nothing to remove for ${r.dataDir}\n` : `kite reset: removed, for ${r.dataDir}:\n${formatCounts(r.counts)}`;
  const kept = r.kept.length > 0 ? `  kept: ${r.kept.map((k) => basename(k)).join(', ')}\n` : '';
  return head + kept + r.warnings.map((w) => `  warning: ${w}\n`).join('') + r.problems.map((p) => `  not removed: ${p}\n`).join('');
}

/** Asks on the terminal; true only for an explicit yes. */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** The `kite reset` command; returns the exit code. */
export async function runResetCommand(opts: { dataDir: string; configPath?: string; force: boolean; keepImages: boolean; output?: string; interactive?: boolean }): Promise<number> {
  const show = (r: ResetResult) => process.stdout.write(opts.output === 'json' ? JSON.stringify(r, null, 2) + '\n' : r.dryRun ? formatPlan(r) : formatSummary(r));
  const refuse = (text: string) => {
    process.stderr.write(`kite: ${text}\n`);
    return 1;
  };
  if (opts.output !== undefined && opts.output !== 'json') return refuse(`-o: only json is supported, got "${opts.output}"`);
  const interactive = opts.interactive ?? (!!process.stdin.isTTY && !!process.stderr.isTTY);
  const what: ResetOptions = { dataDir: opts.dataDir, keepImages: opts.keepImages, ...(opts.configPath ? { configPath: opts.configPath } : {}) };
  let result: ResetResult;
  try {
    if (!opts.force) {
      const plan = await reset({ ...what, dryRun: true });
      if (plan.items.length === 0) {
        show(plan);
        return 0;
      }
      if (!interactive) return refuse(`reset: not removing anything in ${opts.dataDir} without confirmation: there is no terminal to ask on, pass -f (--force) to reset anyway`);
      show(plan);
      if (!(await confirm(`Remove all of this? [y/N] `))) return refuse('reset: cancelled, nothing removed');
    }
    result = await reset(what);
  } catch (e) {
    if (e instanceof KiteRunningError || e instanceof NotADataDirError) return refuse(`reset: ${e.message}`);
    throw e;
  }
  show(result);
  return result.problems.length > 0 ? 1 : 0;
}
