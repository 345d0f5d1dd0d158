// Running CNI plugins the way a runtime does (CNI spec, "Execution protocol"): find the
// executable named by `type` on CNI_PATH, pass CNI_* in the environment and the network config on
// stdin, read a result or an error object from stdout. A small conflist runner chains ADD/CHECK
// with prevResult and runs DEL in reverse order. The plugins run inside `hostNetns` (the namespace
// acting as the node), so their bridges and veths never touch the machine's own namespace.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';

export interface PluginConf {
  type: string;
  [key: string]: unknown;
}

export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
}

export interface InvokeResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, if it is JSON. */
  json?: Record<string, unknown>;
  ms: number;
}

export interface InvokeOptions {
  cniPath: string;
  /** Network namespace path the plugin runs in (the node's); the caller's if unset. */
  hostNetns?: string;
  /** CNI_* variables; a key set to undefined is left out (to test missing variables). */
  env: Partial<Record<'CNI_COMMAND' | 'CNI_CONTAINERID' | 'CNI_NETNS' | 'CNI_IFNAME' | 'CNI_ARGS', string>>;
  stdin: string;
  timeoutMs?: number;
}

export function findPlugin(cniPath: string, type: string): string {
  for (const dir of cniPath.split(':').filter(Boolean)) {
    const candidate = join(dir, type);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* next directory */ }
  }
  throw new Error(`CNI plugin ${JSON.stringify(type)} not found on CNI_PATH ${cniPath}`);
}

export function invokePlugin(type: string, opts: InvokeOptions): Promise<InvokeResult> {
  const exe = findPlugin(opts.cniPath, type);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: opts.cniPath };
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
  const [cmd, args] = opts.hostNetns ? ['nsenter', [`--net=${opts.hostNetns}`, exe]] : [exe, []];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let json: Record<string, unknown> | undefined;
      try { json = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined; } catch { json = undefined; }
      resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr, ms: performance.now() - started, ...(json ? { json } : {}) });
    });
    child.stdin.end(opts.stdin);
  });
}

/** Thrown when a plugin in a chain fails; carries the plugin's error object. */
export class CniInvokeError extends Error {
  constructor(readonly plugin: string, readonly command: CniCommand, readonly result: InvokeResult) {
    super(`${plugin} ${command} failed (exit ${result.exitCode}): ${result.stdout.trim() || result.stderr.trim()}`);
  }
}

export interface Attachment {
  containerID: string;
  ifname: string;
  netns: string;
}

/** One network (a conflist) run as a runtime would. */
export class CniNetwork {
  /**
   * `runtimeConfig` holds what a runtime passes per attachment (e.g. `portMappings`); each
   * plugin receives the keys its `capabilities` ask for, as the spec's "Deriving runtimeConfig" says.
   */
  constructor(readonly confList: ConfList, readonly cniPath: string, readonly hostNetns?: string, readonly runtimeConfig: Record<string, unknown> = {}) {}

  /** The stdin of one plugin: its conf plus the list's name and cniVersion, and extras. */
  pluginConf(plugin: PluginConf, extra: Record<string, unknown> = {}): string {
    const { capabilities, ...conf } = plugin;
    const wanted = Object.entries((capabilities ?? {}) as Record<string, boolean>).filter(([k, on]) => on && this.runtimeConfig[k] !== undefined);
    const runtimeConfig = wanted.length > 0 ? { runtimeConfig: Object.fromEntries(wanted.map(([k]) => [k, this.runtimeConfig[k]])) } : {};
    return JSON.stringify({ ...conf, name: this.confList.name, cniVersion: this.confList.cniVersion, ...runtimeConfig, ...extra });
  }

  private async call(plugin: PluginConf, command: CniCommand, att: Partial<Attachment>, extra?: Record<string, unknown>): Promise<InvokeResult> {
    const res = await invokePlugin(plugin.type, {
      cniPath: this.cniPath,
      ...(this.hostNetns ? { hostNetns: this.hostNetns } : {}),
      env: { CNI_COMMAND: command, CNI_CONTAINERID: att.containerID, CNI_NETNS: att.netns, CNI_IFNAME: att.ifname },
      stdin: this.pluginConf(plugin, extra),
    });
    if (res.exitCode !== 0) throw new CniInvokeError(plugin.type, command, res);
    return res;
  }

  /** ADD through the chain; returns the last plugin's result. */
  async add(att: Attachment): Promise<Record<string, unknown>> {
    let prevResult: Record<string, unknown> | undefined;
    for (const plugin of this.confList.plugins) {
      const res = await this.call(plugin, 'ADD', att, prevResult ? { prevResult } : {});
      prevResult = res.json ?? prevResult;
    }
    if (!prevResult) throw new Error('ADD produced no result');
    return prevResult;
  }

  async check(att: Attachment, prevResult: Record<string, unknown>): Promise<void> {
    for (const plugin of this.confList.plugins) await this.call(plugin, 'CHECK', att, { prevResult });
  }

  /** DEL in reverse order; `prevResult` is the cached ADD result if the runtime has one. */
  async del(att: Partial<Attachment> & { containerID: string; ifname: string }, prevResult?: Record<string, unknown>): Promise<void> {
    for (const plugin of [...this.confList.plugins].reverse()) await this.call(plugin, 'DEL', att, prevResult ? { prevResult } : {});
  }

  async gc(valid: Array<{ containerID: string; ifname: string }>): Promise<void> {
    for (const plugin of this.confList.plugins) await this.call(plugin, 'GC', {}, { 'cni.dev/valid-attachments': valid });
  }

  async status(): Promise<void> {
    for (const plugin of this.confList.plugins) await this.call(plugin, 'STATUS', {});
  }

  async version(plugin: PluginConf): Promise<InvokeResult> {
    return invokePlugin(plugin.type, { cniPath: this.cniPath, env: { CNI_COMMAND: 'VERSION' }, stdin: JSON.stringify({ cniVersion: this.confList.cniVersion }) });
  }
}

/** A single plugin config becomes a one-entry conflist (name and cniVersion move up). */
export function asConfList(conf: ConfList | (PluginConf & { name: string; cniVersion: string })): ConfList {
  if ('plugins' in conf && Array.isArray(conf.plugins)) return conf as ConfList;
  const { name, cniVersion, ...plugin } = conf as PluginConf & { name: string; cniVersion: string };
  return { name, cniVersion, plugins: [plugin as PluginConf] };
}
