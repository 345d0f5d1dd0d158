// KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) as the scheduler plugin's options:
// parsed, defaulted and validated here; every refusal is a PluginConfigError naming the key path.
import { PluginConfigError } from '../../kernel/plugin/types.js';
import { DEFAULT_SCORE_WEIGHTS, Names } from './framework/names.js';
import type { PluginFactory } from './framework/interfaces.js';

export const SCHEDULER_CONFIG_API_VERSION = 'kubescheduler.config.k8s.io/v1';
export const SCHEDULER_CONFIG_KIND = 'KubeSchedulerConfiguration';
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export const EXTENSION_POINTS = ['preEnqueue', 'queueSort', 'preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'permit', 'preBind', 'bind', 'postBind'] as const;
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];
export type PluginSetKey = 'multiPoint' | ExtensionPoint;

export interface PluginRef {
  name: string;
  /** Score weight (score and multiPoint only); 0 = the multiPoint / default weight. */
  weight: number;
}
export interface PluginSet {
  enabled: PluginRef[];
  disabled: string[];
}
export interface PluginConfigEntry {
  name: string;
  /** Validated by the plugin's factory once the registry is known (see validateProfiles). */
  args: unknown;
}
export interface Profile {
  schedulerName: string;
  plugins: Record<PluginSetKey, PluginSet>;
  pluginConfig: PluginConfigEntry[];
  /** Overrides the top-level value for this profile when set. */
  percentageOfNodesToScore?: number;
}
export interface LeaderElectionConfig {
  leaderElect: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  resourceName: string;
  resourceNamespace: string;
}
export interface SchedulerConfig {
  profiles: Profile[];
  /** 0 = upstream's adaptive percentage (50% − nodes/125, at least 5%); 1..100 otherwise. */
  percentageOfNodesToScore: number;
  podInitialBackoffSeconds: number;
  podMaxBackoffSeconds: number;
  leaderElection: LeaderElectionConfig;
  /** Kite: which scoring path runs (identical results; wasm is faster). */
  scorer: 'wasm' | 'reference';
  /** Kite: a vendor's score kernel .wasm (the wasm/score ABI) used instead of the built-in one. */
  scoreKernel?: string;
  /** Kite: modules whose default export is a PluginFactory or an array of them. */
  outOfTreePlugins: { module: string }[];
  /** Kite: most nodes the scorer's columns hold (fixed at start). */
  maxNodes: number;
}

/** Upstream v1 default plugins (getDefaultPlugins), in upstream order; weights for score plugins. */
export const DEFAULT_MULTI_POINT: readonly PluginRef[] = [
  Names.SchedulingGates, Names.PrioritySort, Names.NodeUnschedulable, Names.NodeName, Names.TaintToleration, Names.NodeAffinity,
  Names.NodePorts, Names.NodeResourcesFit, Names.VolumeBinding, Names.PodTopologySpread, Names.InterPodAffinity,
  Names.DefaultPreemption, Names.NodeResourcesBalancedAllocation, Names.ImageLocality, Names.DefaultBinder,
].map((name) => ({ name, weight: DEFAULT_SCORE_WEIGHTS[name] ?? 0 }));

const TOP_KEYS = ['apiVersion', 'kind', 'profiles', 'percentageOfNodesToScore', 'podInitialBackoffSeconds', 'podMaxBackoffSeconds', 'leaderElection', 'scorer', 'scoreKernel', 'outOfTreePlugins', 'maxNodes', 'parallelism'];
const PROFILE_KEYS = ['schedulerName', 'plugins', 'pluginConfig', 'percentageOfNodesToScore'];
const LEADER_KEYS = ['leaderElect', 'leaseDuration', 'renewDeadline', 'retryPeriod', 'resourceLock', 'resourceName', 'resourceNamespace'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (key: string, message: string): never => {
  throw new PluginConfigError(key, message);
};
const join = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

function checkKeys(o: Obj, allowed: string[], prefix: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(join(prefix, k), `unknown field (allowed: ${allowed.join(', ')})`);
}

function integer(v: unknown, key: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return fail(key, `must be an integer between ${min} and ${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** A Go duration (`15s`, `1500ms`, `1m`) or a number of seconds. */
function duration(v: unknown, key: string, dfltMs: number): number {
  if (v === undefined || v === null) return dfltMs;
  if (typeof v === 'number' && v >= 0) return v * 1000;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v) : null;
  if (!m) return fail(key, `must be a duration such as "15s", got ${JSON.stringify(v)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function pluginSet(raw: unknown, key: string, withWeight: boolean): PluginSet {
  if (raw === undefined || raw === null) return { enabled: [], disabled: [] };
  if (!isObj(raw)) return fail(key, 'must be a mapping with enabled and/or disabled');
  checkKeys(raw, ['enabled', 'disabled'], key);
  const list = (v: unknown, k: string): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : fail(k, 'must be a list'));
  const enabled = list(raw.enabled, `${key}.enabled`).map((e, i) => {
    const k = `${key}.enabled[${i}]`;
    if (!isObj(e)) return fail(k, 'must be a mapping with name');
    checkKeys(e, ['name', 'weight'], k);
    if (typeof e.name !== 'string' || e.name === '') return fail(`${k}.name`, 'must be a plugin name');
    if (e.weight !== undefined && !withWeight) fail(`${k}.weight`, 'weights apply only to score and multiPoint plugins');
    return { name: e.name, weight: integer(e.weight, `${k}.weight`, 0, 100, 0) };
  });
  const disabled = list(raw.disabled, `${key}.disabled`).map((e, i) => {
    const k = `${key}.disabled[${i}]`;
    if (!isObj(e) || typeof e.name !== 'string' || e.name === '') return fail(`${k}.name`, 'must be a plugin name or "*"');
    checkKeys(e, ['name', 'weight'], k);
    return e.name;
  });
  return { enabled, disabled };
}

/** Upstream's mergePlugins: defaults minus `disabled` ("*" = all), user `enabled` replacing same-named defaults in place. */
function mergeDefaults(defaults: readonly PluginRef[], custom: PluginSet): PluginSet {
  const all = custom.disabled.includes('*');
  const kept = all ? [] : defaults.filter((d) => !custom.disabled.includes(d.name)).map((d) => ({ ...d }));
  for (const e of custom.enabled) {
    const i = kept.findIndex((d) => d.name === e.name);
    if (i >= 0) kept[i] = { name: e.name, weight: e.weight || kept[i]!.weight };
    else kept.push(e);
  }
  return { enabled: kept, disabled: [] };
}

function profile(raw: unknown, key: string): Profile {
  if (!isObj(raw)) return fail(key, 'must be a mapping');
  checkKeys(raw, PROFILE_KEYS, key);
  const schedulerName = raw.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  if (typeof schedulerName !== 'string' || schedulerName === '') fail(`${key}.schedulerName`, 'must be a non-empty string');
  const rawPlugins = raw.plugins ?? {};
  if (!isObj(rawPlugins)) fail(`${key}.plugins`, 'must be a mapping of extension points');
  checkKeys(rawPlugins as Obj, ['multiPoint', ...EXTENSION_POINTS], `${key}.plugins`);
  const plugins = {} as Record<PluginSetKey, PluginSet>;
  for (const point of ['multiPoint', ...EXTENSION_POINTS] as PluginSetKey[]) {
    plugins[point] = pluginSet((rawPlugins as Obj)[point], `${key}.plugins.${point}`, point === 'multiPoint' || point === 'score');
  }
  plugins.multiPoint = mergeDefaults(DEFAULT_MULTI_POINT, plugins.multiPoint);
  const rawConfig = raw.pluginConfig ?? [];
  if (!Array.isArray(rawConfig)) fail(`${key}.pluginConfig`, 'must be a list of {name, args}');
  const seen = new Set<string>();
  const pluginConfig = (rawConfig as unknown[]).map((c, i) => {
    const k = `${key}.pluginConfig[${i}]`;
    if (!isObj(c)) return fail(k, 'must be a mapping with name and args');
    checkKeys(c, ['name', 'args'], k);
    if (typeof c.name !== 'string' || c.name === '') return fail(`${k}.name`, 'must be a plugin name');
    if (seen.has(c.name)) fail(`${k}.name`, `duplicate pluginConfig for plugin "${c.name}"`);
    seen.add(c.name);
    return { name: c.name, args: c.args };
  });
  const pct = raw.percentageOfNodesToScore;
  return {
    schedulerName: schedulerName as string,
    plugins,
    pluginConfig,
    ...(pct !== undefined && pct !== null ? { percentageOfNodesToScore: integer(pct, `${key}.percentageOfNodesToScore`, 0, 100, 0) } : {}),
  };
}

/** Parses the plugin's options (a KubeSchedulerConfiguration object; undefined = all defaults). */
export function parseSchedulerConfig(raw: unknown): SchedulerConfig {
  const o = raw === undefined || raw === null ? {} : raw;
  if (!isObj(o)) return fail('', `must be a ${SCHEDULER_CONFIG_KIND} mapping`);
  checkKeys(o, TOP_KEYS, '');
  if (o.apiVersion !== undefined && o.apiVersion !== SCHEDULER_CONFIG_API_VERSION) fail('apiVersion', `must be "${SCHEDULER_CONFIG_API_VERSION}", got ${JSON.stringify(o.apiVersion)}`);
  if (o.kind !== undefined && o.kind !== SCHEDULER_CONFIG_KIND) fail('kind', `must be "${SCHEDULER_CONFIG_KIND}", got ${JSON.stringify(o.kind)}`);
  const rawProfiles = o.profiles ?? [{}];
  if (!Array.isArray(rawProfiles) || rawProfiles.length === 0) fail('profiles', 'must be a non-empty list');
  const profiles = (rawProfiles as unknown[]).map((p, i) => profile(p, `profiles[${i}]`));
  const names = new Set<string>();
  profiles.forEach((p, i) => {
    if (names.has(p.schedulerName)) fail(`profiles[${i}].schedulerName`, `duplicate profile with scheduler name "${p.schedulerName}"`);
    names.add(p.schedulerName);
  });
  const podInitialBackoffSeconds = integer(o.podInitialBackoffSeconds, 'podInitialBackoffSeconds', 1, 3600, 1);
  const podMaxBackoffSeconds = integer(o.podMaxBackoffSeconds, 'podMaxBackoffSeconds', 1, 3600, 10);
  if (podMaxBackoffSeconds < podInitialBackoffSeconds) fail('podMaxBackoffSeconds', 'must be greater than or equal to podInitialBackoffSeconds');
  const scorer = o.scorer ?? 'wasm';
  if (scorer !== 'wasm' && scorer !== 'reference') fail('scorer', `must be "wasm" or "reference", got ${JSON.stringify(scorer)}`);
  if (o.scoreKernel !== undefined && (typeof o.scoreKernel !== 'string' || o.scoreKernel === '')) fail('scoreKernel', 'must be the path of a score kernel .wasm');
  if (o.scoreKernel !== undefined && scorer !== 'wasm') fail('scoreKernel', 'needs scorer: wasm');
  const rawOut = o.outOfTreePlugins ?? [];
  if (!Array.isArray(rawOut)) fail('outOfTreePlugins', 'must be a list of {module: path}');
  const outOfTreePlugins = (rawOut as unknown[]).map((e, i) => {
    if (!isObj(e) || typeof e.module !== 'string' || e.module === '') return fail(`outOfTreePlugins[${i}].module`, 'must be a module path or package name');
    checkKeys(e, ['module'], `outOfTreePlugins[${i}]`);
    return { module: e.module };
  });
  return {
    profiles,
    percentageOfNodesToScore: integer(o.percentageOfNodesToScore, 'percentageOfNodesToScore', 0, 100, 0),
    podInitialBackoffSeconds,
    podMaxBackoffSeconds,
    leaderElection: leaderElection(o.leaderElection),
    scorer: scorer as 'wasm' | 'reference',
    ...(o.scoreKernel !== undefined ? { scoreKernel: o.scoreKernel as string } : {}),
    outOfTreePlugins,
    maxNodes: integer(o.maxNodes, 'maxNodes', 1, 1 << 20, 65_536),
  };
}

function leaderElection(raw: unknown): LeaderElectionConfig {
  const o = raw ?? {};
  if (!isObj(o)) return fail('leaderElection', 'must be a mapping');
  checkKeys(o, LEADER_KEYS, 'leaderElection');
  if (o.leaderElect !== undefined && typeof o.leaderElect !== 'boolean') fail('leaderElection.leaderElect', 'must be true or false');
  if (o.resourceLock !== undefined && o.resourceLock !== 'leases') fail('leaderElection.resourceLock', 'must be "leases"');
  const str = (v: unknown, k: string, d: string) => (v === undefined ? d : typeof v === 'string' && v !== '' ? v : fail(`leaderElection.${k}`, 'must be a non-empty string'));
  const le: LeaderElectionConfig = {
    leaderElect: (o.leaderElect as boolean | undefined) ?? true,
    leaseDurationMs: duration(o.leaseDuration, 'leaderElection.leaseDuration', 15_000),
    renewDeadlineMs: duration(o.renewDeadline, 'leaderElection.renewDeadline', 10_000),
    retryPeriodMs: duration(o.retryPeriod, 'leaderElection.retryPeriod', 2_000),
    resourceName: str(o.resourceName, 'resourceName', 'kube-scheduler'),
    resourceNamespace: str(o.resourceNamespace, 'resourceNamespace', 'kube-system'),
  };
  if (le.renewDeadlineMs >= le.leaseDurationMs) fail('leaderElection.renewDeadline', 'must be less than leaseDuration');
  return le;
}

/**
 * Checks plugin names and args against the registry (built-in + out-of-tree factories); returns
 * the validated args per profile and plugin. Names are checked in every plugin set.
 */
export function validateProfiles(config: SchedulerConfig, factories: ReadonlyMap<string, PluginFactory>): Map<string, unknown>[] {
  return config.profiles.map((p, i) => {
    const key = `profiles[${i}]`;
    // A default plugin this build does not have is left out rather than refused.
    p.plugins.multiPoint.enabled = p.plugins.multiPoint.enabled.filter((e) => factories.has(e.name) || !DEFAULT_MULTI_POINT.some((d) => d.name === e.name));
    for (const point of ['multiPoint', ...EXTENSION_POINTS] as PluginSetKey[]) {
      p.plugins[point].enabled.forEach((e, j) => {
        // Defaults the registry lacks (a profile that keeps them) are reported once, on multiPoint.
        if (!factories.has(e.name)) fail(`${key}.plugins.${point}.enabled[${j}].name`, `unknown plugin "${e.name}"`);
      });
    }
    const args = new Map<string, unknown>();
    p.pluginConfig.forEach((c, j) => {
      const f = factories.get(c.name);
      if (!f) fail(`${key}.pluginConfig[${j}].name`, `unknown plugin "${c.name}"`);
      try {
        args.set(c.name, f!.validate(c.args));
      } catch (e) {
        fail(`${key}.pluginConfig[${j}].args`, (e as Error).message);
      }
    });
    return args;
  });
}
