// The KernelConfiguration file: which plugins load, from which module, where they run and with
// what options. Parsing is strict: every mistake is refused with the file, the entry and the key.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { StatusError } from '../objects/status.js';
import type { Placement } from './types.js';

export const KERNEL_CONFIG_API_VERSION = 'kite.dev/v1alpha1';
export const KERNEL_CONFIG_KIND = 'KernelConfiguration';
export const Placements: readonly Placement[] = ['inProcess', 'worker', 'process'];
const BUILTIN_PREFIX = 'builtin:';
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TOP_LEVEL_KEYS = ['apiVersion', 'kind', 'plugins'];
const ENTRY_KEYS = ['name', 'module', 'placement', 'enabled', 'options', 'netns'];

/** A configuration (or plugin metadata) mistake; the message names the file, the entry and the key. */
export class KernelConfigError extends StatusError {
  constructor(message: string) {
    super(422, 'Invalid', message);
    this.name = 'KernelConfigError';
  }
}

export interface PluginEntry {
  /** The instance name: unique in the file, used for subjects, logs, metrics and status. */
  name: string;
  /** The module as written in the file (`builtin:example`, `./my/plugin.js`, `@acme/dns`). */
  module: string;
  /** What import() receives: an absolute file path, or a package name when it cannot be resolved to a file. */
  resolvedModule: string;
  placement: Placement;
  enabled: boolean;
  /** Raw options; the plugin manifest's setup() validates them at load time. */
  options: unknown;
  /** placement process only: the named network namespace the child runs in (`kite up --nodes`). */
  netns?: string;
  /** Position in the file's `plugins` list, for messages. */
  index: number;
}

export interface KernelConfiguration {
  apiVersion: string;
  kind: string;
  plugins: PluginEntry[];
  /** The file name as given (or a label for in-memory configurations), used in every message. */
  source: string;
  /** Directory relative module paths are resolved against. */
  baseDir: string;
}

export interface ConfigSourceOptions {
  /** Label used in messages; default `<inline>`. */
  source?: string;
  /** Directory for relative module paths; default the current directory. */
  baseDir?: string;
}

/** `kite.yaml: plugins[1] ("scheduler")`: the prefix of every message about one entry. */
export function entryLabel(source: string, entry: { index: number; name?: string }): string {
  return `${source}: plugins[${entry.index}]${entry.name ? ` (${JSON.stringify(entry.name)})` : ''}`;
}

/** The compiled built-in plugin `<build root>/plugins/<name>/index.js`, found from this module's own location. */
export function builtinModulePath(name: string): string {
  const buildRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return join(buildRoot, 'plugins', name, 'index.js');
}

/** Turns a module reference from the file into something import() accepts from any module. */
export function resolveModuleReference(module: string, baseDir: string): string {
  if (module.startsWith(BUILTIN_PREFIX)) return builtinModulePath(module.slice(BUILTIN_PREFIX.length));
  if (isAbsolute(module)) return module;
  if (module.startsWith('./') || module.startsWith('../')) return resolve(baseDir, module);
  // A package name: prefer the copy installed next to the configuration file (a vendor's
  // deployment), else leave it to import() from the kernel's own node_modules.
  try {
    return createRequire(join(baseDir, 'kite-config.js')).resolve(module);
  } catch {
    return module;
  }
}

/** The built-in plugins `kite up` loads by default: controllers in process, the node agent in its own process. */
export function builtinPlugins(): { name: string; module: string; placement?: Placement; options?: unknown }[] {
  const controllers = ['replicaset', 'deployment', 'gc', 'namespace', 'serviceaccount', 'job', 'endpoints', 'endpointslice', 'nodelifecycle', 'nodeipam', 'disruption', 'hpa'];
  const names: Record<string, string> = { gc: 'garbage-collector', nodelifecycle: 'node-lifecycle-controller', nodeipam: 'node-ipam-controller' };
  const runtime = process.getuid?.() === 0 ? 'builtin:runtime-runc' : 'builtin:runtime-hollow';
  return [
    ...controllers.map((c) => ({ name: names[c] ?? `${c}-controller`, module: `builtin:controllers/${c}` })),
    // kube-scheduler's role, in process (leader-elected on the kube-system/kube-scheduler Lease).
    { name: 'scheduler', module: 'builtin:scheduler' },
    // Real pods get their own IP through the CNI host (plugins/network); hollow pods have no network.
    { name: 'node-agent', module: 'builtin:node-agent', placement: 'process' as Placement, options: runtime === 'builtin:runtime-runc' ? { runtime, network: {} } : { runtime } },
  ];
}

/** The configuration `kite up` uses when no file is given. The lead adds the built-in plugins here. */
export function defaultKernelConfiguration(): KernelConfiguration {
  return kernelConfigurationFromObject(
    { apiVersion: KERNEL_CONFIG_API_VERSION, kind: KERNEL_CONFIG_KIND, plugins: builtinPlugins() },
    { source: '<built-in configuration>', baseDir: process.cwd() },
  );
}

export function loadKernelConfiguration(path: string): KernelConfiguration {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KernelConfigError(`${path}: cannot read the kernel configuration: ${(err as Error).message}`);
  }
  return parseKernelConfiguration(text, { source: path, baseDir: dirname(resolve(path)) });
}

export function parseKernelConfiguration(text: string, opts: ConfigSourceOptions = {}): KernelConfiguration {
  const source = opts.source ?? '<inline>';
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: source });
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      const line = err.mark ? `line ${err.mark.line + 1}: ` : '';
      throw new KernelConfigError(`${source}: ${line}invalid YAML: ${err.reason}`);
    }
    throw err;
  }
  return kernelConfigurationFromObject(doc, opts);
}

/** Validates an already parsed document (tests build configurations this way). */
export function kernelConfigurationFromObject(doc: unknown, opts: ConfigSourceOptions = {}): KernelConfiguration {
  const source = opts.source ?? '<inline>';
  const baseDir = opts.baseDir ?? process.cwd();
  const fail = (message: string): never => {
    throw new KernelConfigError(`${source}: ${message}`);
  };
  if (!isPlainObject(doc)) return fail(`must be a ${KERNEL_CONFIG_KIND} mapping, got ${describe(doc)}`);
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL_KEYS.includes(key)) fail(`${key}: unknown field (allowed: ${TOP_LEVEL_KEYS.join(', ')})`);
  }
  if (doc.apiVersion !== KERNEL_CONFIG_API_VERSION) fail(`apiVersion: must be ${JSON.stringify(KERNEL_CONFIG_API_VERSION)}, got ${describe(doc.apiVersion)}`);
  if (doc.kind !== KERNEL_CONFIG_KIND) fail(`kind: must be ${JSON.stringify(KERNEL_CONFIG_KIND)}, got ${describe(doc.kind)}`);
  const rawPlugins = doc.plugins ?? [];
  if (!Array.isArray(rawPlugins)) return fail(`plugins: must be a list, got ${describe(rawPlugins)}`);

  const plugins: PluginEntry[] = [];
  const firstIndexByName = new Map<string, number>();
  rawPlugins.forEach((raw: unknown, index) => {
    const entry = parseEntry(raw, index, source, baseDir);
    const earlier = firstIndexByName.get(entry.name);
    if (earlier !== undefined) fail(`plugins[${index}] (${JSON.stringify(entry.name)}): name: duplicates plugins[${earlier}]; entry names must be unique`);
    firstIndexByName.set(entry.name, index);
    plugins.push(entry);
  });
  return { apiVersion: KERNEL_CONFIG_API_VERSION, kind: KERNEL_CONFIG_KIND, plugins, source, baseDir };
}

function parseEntry(raw: unknown, index: number, source: string, baseDir: string): PluginEntry {
  const nameGuess = isPlainObject(raw) && typeof raw.name === 'string' ? raw.name : undefined;
  const fail = (key: string, message: string): never => {
    throw new KernelConfigError(`${entryLabel(source, { index, name: nameGuess })}: ${key ? `${key}: ` : ''}${message}`);
  };
  if (!isPlainObject(raw)) return fail('', `must be a mapping with name and module, got ${describe(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!ENTRY_KEYS.includes(key)) fail(key, `unknown field (allowed: ${ENTRY_KEYS.join(', ')})`);
  }
  const { name, module, placement = 'inProcess', enabled = true, options = {} } = raw;
  if (typeof name !== 'string' || name === '') return fail('name', `must be a non-empty string, got ${describe(name)}`);
  if (name.length > 63 || !NAME_PATTERN.test(name)) fail('name', 'must be lowercase letters, digits and dashes, starting and ending with a letter or digit, at most 63 characters');
  if (typeof module !== 'string' || module === '') return fail('module', `must be a non-empty string (builtin:<name>, a relative path or a package name), got ${describe(module)}`);
  if (module === BUILTIN_PREFIX) fail('module', 'builtin: needs a plugin name, e.g. builtin:example');
  if (!Placements.includes(placement as Placement)) fail('placement', `must be one of ${Placements.join(', ')}, got ${describe(placement)}`);
  if (typeof enabled !== 'boolean') fail('enabled', `must be true or false, got ${describe(enabled)}`);
  if (raw.netns !== undefined && (placement !== 'process' || typeof raw.netns !== 'string' || !/^[a-zA-Z0-9_.-]{1,64}$/.test(raw.netns))) fail('netns', 'must be a network namespace name, and needs placement: process');
  return {
    name,
    module,
    resolvedModule: resolveModuleReference(module, baseDir),
    placement: placement as Placement,
    enabled: enabled as boolean,
    options: options ?? {},
    ...(raw.netns !== undefined ? { netns: raw.netns as string } : {}),
    index,
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}
