// Runs one CNI plugin executable as the CNI specification describes: the operation and the
// attachment in CNI_* environment variables, the network configuration as JSON on stdin, the
// result (or an error object) as JSON on stdout. A plugin that outlives its timeout is killed
// with its process group.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';

export interface CniInvocation {
  command: CniCommand;
  containerId?: string;
  netns?: string;
  ifName?: string;
  /** CNI_ARGS pairs, e.g. K8S_POD_NAMESPACE=default. */
  args?: Record<string, string>;
  /** Directories searched for plugins (CNI_PATH). */
  cniPath: string[];
  timeoutMs: number;
  /**
   * Plugins this process can run as a function instead of an executable, keyed by the exact
   * binary path they are installed at: used only when the CNI_PATH search finds that binary, so
   * a vendor's plugin of the same type earlier on the path still wins.
   */
  inProcess?: ReadonlyMap<string, InProcessPlugin>;
}

/** A CNI plugin as a function: the same environment and stdin in, the same stdout and exit code out. */
export type InProcessPlugin = (env: Record<string, string>, stdin: string) => Promise<{ stdout: string; exitCode: number }>;

/** A CNI error object (spec: code, msg, details), or a failure to run the plugin at all. */
export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: CniCommand,
    readonly code: number,
    readonly msg: string,
    readonly details?: string,
  ) {
    super(`plugin type="${plugin}" failed (${command.toLowerCase()}): ${msg}${details ? `: ${details}` : ''}`);
    this.name = 'CniError';
  }
}

/** Well-known error codes of the specification. */
export const CNI_ERRORS = { incompatibleVersion: 1, unsupportedField: 2, unknownContainer: 3, invalidEnvironment: 4, ioFailure: 5, decodeFailure: 6, invalidConfig: 7, tryAgainLater: 11, notReady: 50, timeout: 999 } as const;

export function findPlugin(type: string, cniPath: string[]): string | undefined {
  if (!/^[A-Za-z0-9._-]+$/.test(type)) return undefined;
  for (const dir of cniPath) {
    const candidate = join(dir, type);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Runs the plugin `type`; resolves with its parsed stdout (undefined when empty), rejects with a CniError. */
export function execPlugin(type: string, config: object, inv: CniInvocation): Promise<unknown> {
  const binary = findPlugin(type, inv.cniPath);
  if (!binary) return Promise.reject(new CniError(type, inv.command, CNI_ERRORS.invalidConfig, `failed to find plugin "${type}" in path [${inv.cniPath.join(' ')}]`));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: inv.command,
    CNI_PATH: inv.cniPath.join(':'),
  };
  if (inv.containerId !== undefined) env.CNI_CONTAINERID = inv.containerId;
  if (inv.netns !== undefined) env.CNI_NETNS = inv.netns;
  if (inv.ifName !== undefined) env.CNI_IFNAME = inv.ifName;
  if (inv.args && Object.keys(inv.args).length > 0) env.CNI_ARGS = Object.entries(inv.args).map(([k, v]) => `${k}=${v}`).join(';');
  const local = inv.inProcess?.get(binary);
  if (local) return runInProcess(type, binary, local, env, JSON.stringify(config), inv);
  return new Promise((resolve, reject) => {
    // Own process group, so a hung plugin is killed together with anything it started.
    const child = spawn(binary, [], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < 4 << 20) stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 64 << 10) stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    }, inv.timeoutMs);
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(config));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new CniError(type, inv.command, CNI_ERRORS.ioFailure, `cannot run ${binary}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(new CniError(type, inv.command, CNI_ERRORS.timeout, `timed out after ${inv.timeoutMs / 1000}s and was killed`));
      try {
        resolve(interpret(type, inv.command, code, signal, stdout, stderr));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** What a finished plugin said: its parsed result, or a CniError from its error object or output. */
function interpret(type: string, command: CniCommand, code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): unknown {
  const parsed = parseJson(stdout) as { code?: unknown; msg?: unknown; details?: unknown } | undefined;
  if (code === 0) {
    if (stdout.trim() !== '' && parsed === undefined) throw new CniError(type, command, CNI_ERRORS.decodeFailure, `returned a result that is not JSON: ${stdout.slice(0, 200)}`);
    return parsed;
  }
  if (parsed && typeof parsed.code === 'number' && typeof parsed.msg === 'string') {
    throw new CniError(type, command, parsed.code, parsed.msg, typeof parsed.details === 'string' && parsed.details !== '' ? parsed.details : undefined);
  }
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const words = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join(' ').slice(0, 500);
  throw new CniError(type, command, CNI_ERRORS.ioFailure, `${how}${words ? `: ${words}` : ''}`);
}

/** Runs an in-process plugin with the executable's contract; a timeout abandons (cannot kill) it. */
async function runInProcess(type: string, binary: string, plugin: InProcessPlugin, env: Record<string, string>, stdin: string, inv: CniInvocation): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CniError(type, inv.command, CNI_ERRORS.timeout, `timed out after ${inv.timeoutMs / 1000}s (in process: ${binary})`)), inv.timeoutMs);
  });
  try {
    const { stdout, exitCode } = await Promise.race([plugin(env, stdin), timeout]);
    return interpret(type, inv.command, exitCode, null, stdout, '');
  } finally {
    clearTimeout(timer);
  }
}

/** `1.0.0` → [1, 0, 0], for comparisons. */
export function versionParts(v: string): number[] {
  return v.split('.').map((p) => Number(p) || 0);
}

export function versionAtLeast(v: string, min: string): boolean {
  const a = versionParts(v);
  const b = versionParts(min);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}
