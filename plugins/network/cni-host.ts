// The CNI host (libcni's role): runs a network configuration list for one attachment. ADD runs the
// plugins in order, each getting the previous one's result as prevResult; the final result is
// cached on disk with the configuration it was made with, so DEL and CHECK after a restart (or a
// configuration change) run with the same list and the cached result as prevResult. DEL runs in
// reverse order and tolerates a namespace that is already gone. An ADD that fails half-way is
// undone with a DEL of the whole list, so nothing stays allocated.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../kernel/log.js';
import { CniError, execPlugin, versionAtLeast, type CniCommand, type InProcessPlugin } from './cni-exec.js';
import type { ConfList, PluginConf } from './conflist.js';

export interface Attachment {
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS (K8S_POD_NAMESPACE, K8S_POD_NAME, ...). */
  args: Record<string, string>;
  /** Values for plugins that declare the matching capability (portMappings, ...). */
  runtimeConfig: Record<string, unknown>;
}

interface CacheEntry {
  kind: 'cniCacheV1';
  attachment: Attachment;
  config: ConfList;
  result: Record<string, unknown>;
  /** When the ADD finished (ms since the epoch). */
  madeAt: number;
}

export interface CniHostOptions {
  cniPath: string[];
  cacheDir: string;
  timeoutMs: number;
  logger: Logger;
  /** Plugins run as functions, by installed binary path (see CniInvocation.inProcess). */
  inProcess?: Map<string, InProcessPlugin>;
}

export class CniHost {
  constructor(private readonly opts: CniHostOptions) {}

  private cacheFile(containerId: string, ifName: string): string {
    return join(this.opts.cacheDir, `${containerId}-${ifName}.json`);
  }

  private pluginConfig(conf: ConfList, plugin: PluginConf, att: Attachment | undefined, prevResult: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = { ...plugin, name: conf.name, cniVersion: conf.cniVersion };
    if (prevResult !== undefined) out.prevResult = prevResult;
    const runtimeConfig: Record<string, unknown> = {};
    for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
      if (on && att && att.runtimeConfig[cap] !== undefined) runtimeConfig[cap] = att.runtimeConfig[cap];
    }
    if (Object.keys(runtimeConfig).length > 0) out.runtimeConfig = runtimeConfig;
    return out;
  }

  private run(plugin: PluginConf, command: CniCommand, config: object, att?: Attachment): Promise<unknown> {
    return execPlugin(plugin.type, config, {
      command,
      cniPath: this.opts.cniPath,
      timeoutMs: this.opts.timeoutMs,
      inProcess: this.opts.inProcess,
      ...(att ? { containerId: att.containerId, netns: att.netns, ifName: att.ifName, args: att.args } : {}),
    });
  }

  /** The cached ADD result of an attachment, if one was made. */
  async cached(containerId: string, ifName = 'eth0'): Promise<CacheEntry | undefined> {
    try {
      const entry = JSON.parse(await readFile(this.cacheFile(containerId, ifName), 'utf8')) as CacheEntry;
      return entry.kind === 'cniCacheV1' ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  async listCached(): Promise<CacheEntry[]> {
    const out: CacheEntry[] = [];
    let files: string[] = [];
    try {
      files = await readdir(this.opts.cacheDir);
    } catch {
      return out;
    }
    for (const f of files) {
      if (!f.endsWith('.json')) continue;
      try {
        const entry = JSON.parse(await readFile(join(this.opts.cacheDir, f), 'utf8')) as CacheEntry;
        if (entry.kind === 'cniCacheV1') out.push(entry);
      } catch {
        // a half-written file from a crash: ignored, the next ADD rewrites it
      }
    }
    return out;
  }

  private async writeCache(entry: CacheEntry): Promise<void> {
    await mkdir(this.opts.cacheDir, { recursive: true });
    const file = this.cacheFile(entry.attachment.containerId, entry.attachment.ifName);
    await writeFile(`${file}.tmp`, JSON.stringify(entry));
    await rename(`${file}.tmp`, file);
  }

  /** ADD through the list; on failure DEL what was done and rethrow the plugin's error. */
  async add(conf: ConfList, att: Attachment): Promise<Record<string, unknown>> {
    let prev: unknown;
    for (const plugin of conf.plugins) {
      try {
        prev = await this.run(plugin, 'ADD', this.pluginConfig(conf, plugin, att, prev), att);
      } catch (e) {
        await this.delWith(conf, att, prev).catch((undo: unknown) =>
          this.opts.logger.warn('cleanup after a failed CNI ADD failed', { containerId: att.containerId, error: undo as Error }));
        throw e instanceof CniError ? withNetwork(e, conf) : e;
      }
    }
    const result = (prev ?? {}) as Record<string, unknown>;
    // Cache before returning: a crash after this point still leaves DEL its prevResult.
    await this.writeCache({ kind: 'cniCacheV1', attachment: att, config: conf, result, madeAt: Date.now() });
    return result;
  }

  private async delWith(conf: ConfList, att: Attachment, prevResult: unknown): Promise<void> {
    let firstError: unknown;
    for (const plugin of [...conf.plugins].reverse()) {
      try {
        await this.run(plugin, 'DEL', this.pluginConfig(conf, plugin, att, prevResult), att);
      } catch (e) {
        firstError ??= e instanceof CniError ? withNetwork(e, conf) : e;
      }
    }
    if (firstError) throw firstError;
  }

  /** DEL with the configuration and result of the ADD (from the cache); nothing cached: nothing to do unless `fallback` is given. */
  async del(containerId: string, fallback?: { conf: ConfList; att: Attachment }, ifName = 'eth0'): Promise<void> {
    const entry = await this.cached(containerId, ifName);
    if (entry) await this.delWith(entry.config, entry.attachment, entry.result);
    else if (fallback) await this.delWith(fallback.conf, fallback.att, undefined);
    await rm(this.cacheFile(containerId, ifName), { force: true });
  }

  /** CHECK (CNI >= 0.4.0, unless the list disables it) with the cached result. */
  async check(containerId: string, ifName = 'eth0'): Promise<void> {
    const entry = await this.cached(containerId, ifName);
    if (!entry) throw new CniError('cache', 'CHECK', 3, `no cached result for container ${containerId}: not attached`);
    const conf = entry.config;
    if (conf.disableCheck || !versionAtLeast(conf.cniVersion, '0.4.0')) return;
    for (const plugin of conf.plugins) {
      try {
        await this.run(plugin, 'CHECK', this.pluginConfig(conf, plugin, entry.attachment, entry.result), entry.attachment);
      } catch (e) {
        throw e instanceof CniError ? withNetwork(e, conf) : e;
      }
    }
  }

  /** VERSION of every plugin (they must support the list's cniVersion), then STATUS where the list is CNI >= 1.1.0. */
  async status(conf: ConfList): Promise<void> {
    for (const plugin of conf.plugins) {
      let answer: { supportedVersions?: unknown } | undefined;
      try {
        answer = (await this.run(plugin, 'VERSION', { cniVersion: conf.cniVersion })) as typeof answer;
      } catch (e) {
        throw e instanceof CniError ? withNetwork(e, conf) : e;
      }
      const supported = Array.isArray(answer?.supportedVersions) ? (answer.supportedVersions as string[]) : [];
      if (!supported.includes(conf.cniVersion)) {
        throw withNetwork(new CniError(plugin.type, 'VERSION', 1, `does not support cniVersion ${conf.cniVersion} (supports ${supported.join(', ') || 'nothing'})`), conf);
      }
    }
    if (!versionAtLeast(conf.cniVersion, '1.1.0')) return;
    for (const plugin of conf.plugins) {
      try {
        await this.run(plugin, 'STATUS', this.pluginConfig(conf, plugin, undefined, undefined));
      } catch (e) {
        throw e instanceof CniError ? withNetwork(e, conf) : e;
      }
    }
  }

  /** GC (CNI >= 1.1.0): tells every plugin which attachments are still valid. */
  async gc(conf: ConfList, valid: Array<{ containerId: string; ifName: string }>): Promise<void> {
    if (conf.disableGC || !versionAtLeast(conf.cniVersion, '1.1.0')) return;
    const attachments = valid.map((v) => ({ containerID: v.containerId, ifname: v.ifName }));
    for (const plugin of conf.plugins) {
      const config = { ...this.pluginConfig(conf, plugin, undefined, undefined), 'cni.dev/valid-attachments': attachments };
      await this.run(plugin, 'GC', config).catch((e: unknown) => this.opts.logger.warn('CNI GC failed', { plugin: plugin.type, error: e as Error }));
    }
  }
}

function withNetwork(e: CniError, conf: ConfList): CniError {
  const copy = new CniError(e.plugin, e.command, e.code, e.msg, e.details);
  copy.message = e.message.replace(`plugin type="${e.plugin}"`, `plugin type="${e.plugin}" name="${conf.name}"`);
  return copy;
}

/** The IPv4/IPv6 addresses a result gives the container's interface (CNI 0.3+ `ips`, or 0.2 `ip4`). */
export function resultIPs(result: Record<string, unknown>, ifName: string): string[] {
  const interfaces = Array.isArray(result.interfaces) ? (result.interfaces as Array<{ name?: string; sandbox?: string }>) : [];
  const ips = Array.isArray(result.ips) ? (result.ips as Array<{ address?: string; interface?: number }>) : [];
  const own = (i: { interface?: number }) => {
    if (i.interface === undefined) return true;
    const iface = interfaces[i.interface];
    return !iface || (iface.name === ifName && (iface.sandbox ?? '') !== '') || iface.name === ifName;
  };
  const out = ips.filter(own).map((i) => (i.address ?? '').split('/')[0]!).filter(Boolean);
  const legacy = (result.ip4 as { ip?: string } | undefined)?.ip;
  if (out.length === 0 && legacy) out.push(legacy.split('/')[0]!);
  return out;
}
