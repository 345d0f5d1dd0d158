// `kite reset` for the network plugin: undoes the pod attachments one node directory recorded
// (CNI DEL with the cached configuration and result, as the agent itself would) and removes the
// node's default bridge, whose name is Kite's own (`kite` + a hash of the node directory), with
// the ports still on it. Call it after the pod sandboxes are gone: DEL then runs with an empty
// CNI_NETNS (the spec's "namespace already gone" case), so no plugin ever enters the namespace of a
// process that merely reuses a dead holder's pid. A bridge named by a configured conflist is left
// alone (it may be shared, e.g. a host bridge): only the cached attachments on it are deleted.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../../kernel/log.js';
import type { ResetItem, ResetStep } from '../../kernel/process/leftovers.js';
import type { InProcessPlugin } from './cni-exec.js';
import { CniHost } from './cni-host.js';
import { DEFAULT_CNI_PATH, defaultBridgeName } from './setup.js';

const run = promisify(execFile);

export interface NetworkResetOptions {
  /** `<dataDir>/node/<node>`: the CNI cache, IPAM state and installed plugins live under `cni/`. */
  nodeDir: string;
  /** Where plugin executables are looked up for DEL (default: the node's `cni/bin`, then the usual directories). */
  cniPath?: string[];
  pluginTimeoutSeconds?: number;
  /**
   * Sandbox ids of the node's pods (the runtime's records): portmap rules naming one of them
   * outlive a lost cache entry (a crash between ADD and the cache write) and are removed too.
   */
  sandboxIds?: string[];
  /** Only report what would be removed. */
  dryRun: boolean;
}

interface CacheFile {
  file: string;
  entry: { kind: string; attachment: { containerId: string; ifName: string; netns: string } };
}

async function cacheFiles(dir: string): Promise<CacheFile[]> {
  const out: CacheFile[] = [];
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (!f.endsWith('.json')) continue;
    try {
      const entry = JSON.parse(await readFile(join(dir, f), 'utf8')) as CacheFile['entry'];
      if (entry.kind === 'cniCacheV1' && entry.attachment?.containerId) out.push({ file: join(dir, f), entry });
    } catch { /* half-written by a crash: nothing was attached with it */ }
  }
  return out;
}

/** Interfaces whose master is `bridge` (its ports), in this network namespace. */
async function bridgePorts(bridge: string): Promise<string[]> {
  const out = await run('ip', ['-o', 'link', 'show', 'master', bridge]).then((r) => r.stdout, () => '');
  return out.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter((n): n is string => !!n);
}

interface NatLeftovers {
  /** `-A` lines of iptables-save whose portmap comment names one of the sandboxes. */
  rules: string[];
  /** The per-container chains (`CNI-DN-…`) those rules jump to. */
  chains: string[];
}

/**
 * portmap's nat rules for the given sandboxes in this network namespace: its hostPort jump carries
 * the comment `dnat name: "<network>" id: "<sandbox id>"`, and the sandbox id holds the pod's uid.
 */
async function portmapLeftovers(sandboxIds: string[]): Promise<NatLeftovers> {
  const none = { rules: [], chains: [] };
  if (sandboxIds.length === 0) return none;
  const dump = await run('iptables-save', ['-t', 'nat']).then((r) => r.stdout, () => '');
  const ids = new Set(sandboxIds);
  const rules: string[] = [];
  const chains = new Set<string>();
  for (const line of dump.split('\n')) {
    const id = /id: \\"([^"\\]+)\\"/.exec(line)?.[1];
    if (!line.startsWith('-A ') || !id || !ids.has(id)) continue;
    rules.push(line);
    const target = / -j (CNI-DN-[0-9a-f]+)/.exec(line)?.[1];
    if (target) chains.add(target);
  }
  return { rules, chains: [...chains] };
}

/** Deletes the rules and chains exactly as iptables-save printed them (iptables-restore parses its quoting). */
async function removeNat(nat: NatLeftovers): Promise<void> {
  const script = ['*nat', ...nat.rules.map((r) => `-D ${r.slice(3)}`), ...nat.chains.flatMap((c) => [`-F ${c}`, `-X ${c}`]), 'COMMIT', ''].join('\n');
  await new Promise<void>((resolve, reject) => {
    const child = execFile('iptables-restore', ['-w', '--noflush'], (err, _out, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve()));
    child.stdin!.end(script);
  });
}

export async function resetNodeNetwork(opts: NetworkResetOptions): Promise<ResetStep> {
  const items: ResetItem[] = [];
  const problems: string[] = [];
  const cacheDir = join(opts.nodeDir, 'cni', 'results');
  const cached = await cacheFiles(cacheDir);
  for (const c of cached) items.push({ kind: 'cni-attachment', name: `${c.entry.attachment.containerId}/${c.entry.attachment.ifName}` });
  const bridge = defaultBridgeName(opts.nodeDir);
  const bridgeThere = existsSync(`/sys/class/net/${bridge}`);
  const ports = bridgeThere ? await bridgePorts(bridge) : [];
  for (const p of ports) items.push({ kind: 'link', name: p });
  if (bridgeThere) items.push({ kind: 'link', name: bridge });
  if (opts.dryRun) {
    // What the DELs of cached attachments will not remove.
    const cachedIds = new Set(cached.map((c) => c.entry.attachment.containerId));
    const nat = await portmapLeftovers((opts.sandboxIds ?? []).filter((id) => !cachedIds.has(id)));
    for (const r of [...nat.rules, ...nat.chains]) items.push({ kind: 'iptables', name: r });
    return { items, problems };
  }

  const cniPath = opts.cniPath ?? [join(opts.nodeDir, 'cni', 'bin'), ...DEFAULT_CNI_PATH];
  // Kite's own plugin where the node agent installed it runs in this process, as in the agent
  // (network.ts): a Node start-up per DEL would be most of a large reset's time.
  const inProcess = new Map<string, InProcessPlugin>();
  const kiteBridge = join(opts.nodeDir, 'cni', 'bin', 'kite-bridge');
  if (cached.length > 0 && existsSync(kiteBridge)) {
    const { runCni } = await import('../cni-kite/main.js');
    inProcess.set(kiteBridge, (env, stdin) => runCni(env, stdin));
  }
  const host = new CniHost({ cniPath, cacheDir, timeoutMs: (opts.pluginTimeoutSeconds ?? 30) * 1000, logger: createLogger({ component: 'reset' }, 'error'), inProcess });
  for (const c of cached) {
    const { containerId, ifName } = c.entry.attachment;
    // The sandbox is gone (the caller removed it first): DEL as for a vanished namespace.
    await writeFile(c.file, JSON.stringify({ ...c.entry, attachment: { ...c.entry.attachment, netns: '' } }));
    await host.del(containerId, undefined, ifName).catch((e: Error) => problems.push(`CNI DEL of ${containerId}/${ifName}: ${e.message}`));
  }
  // After the DELs: only what no cache entry accounted for is left.
  const nat = await portmapLeftovers(opts.sandboxIds ?? []);
  for (const r of [...nat.rules, ...nat.chains]) items.push({ kind: 'iptables', name: r });
  if (nat.rules.length + nat.chains.length > 0) await removeNat(nat).catch((e: Error) => problems.push(`cannot remove portmap rules: ${e.message}`));
  for (const p of ports) await run('ip', ['link', 'del', p]).catch(() => undefined); // gone with its peer's namespace meanwhile
  if (bridgeThere) await run('ip', ['link', 'del', bridge]).catch((e: Error) => problems.push(`cannot delete bridge ${bridge}: ${e.message.split('\n')[0]}`));
  return { items, problems };
}
