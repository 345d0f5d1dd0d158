// Options of the node agent; refused with the offending key.
import { PluginConfigError } from '../../kernel/plugin/types.js';

export interface NodeAgentOptions {
  /** The Node's name; default: this host's name. */
  nodeName?: string;
  /** The ContainerRuntime plugin module (builtin:runtime-runc, builtin:runtime-hollow, a path or a package). */
  runtime: string;
  /** Options handed to the runtime plugin's setup(). */
  runtimeOptions: Record<string, unknown>;
  leaseDurationSeconds: number;
  leaseRenewSeconds: number;
  /** The Node status is rewritten at least this often (and whenever a condition changes). */
  statusReportSeconds: number;
  backoffInitialSeconds: number;
  backoffMaxSeconds: number;
  /** A container that ran this long starts its back-off again from the initial delay. */
  backoffResetSeconds: number;
  /** A running container's log is rotated (copied to `<log>.1`, truncated) beyond this size. */
  containerLogMaxBytes: number;
  /** How often log sizes are checked. */
  logRotateSeconds: number;
  /** How often CPU and memory usage are sampled for the metrics.k8s.io API (`kubectl top`); metrics-server's resolution. */
  metricsResolutionSeconds: number;
  /** Capacity overrides, e.g. for hollow nodes: { cpu: '4', memory: '8Gi', pods: '110' }. */
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  /** Pod network options handed to the NetworkPlugin (`confList`, `cniPath`, ...); absent: pods get no network of their own beyond loopback. */
  network?: Record<string, unknown>;
  /** The NetworkPlugin module; default builtin:network (the CNI host). */
  networkPlugin: string;
}

const NUMBERS = ['leaseDurationSeconds', 'leaseRenewSeconds', 'statusReportSeconds', 'backoffInitialSeconds', 'backoffMaxSeconds', 'backoffResetSeconds', 'containerLogMaxBytes', 'logRotateSeconds', 'metricsResolutionSeconds'] as const;
const DEFAULTS: Record<(typeof NUMBERS)[number], number> = {
  leaseDurationSeconds: 40,
  leaseRenewSeconds: 10,
  statusReportSeconds: 300,
  backoffInitialSeconds: 10,
  backoffMaxSeconds: 300,
  backoffResetSeconds: 600,
  containerLogMaxBytes: 10 * 2 ** 20,
  logRotateSeconds: 10,
  metricsResolutionSeconds: 15,
};
const KEYS = ['nodeName', 'runtime', 'runtimeOptions', 'capacity', 'labels', 'network', 'networkPlugin', ...NUMBERS];

function stringMap(key: string, v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new PluginConfigError(key, 'must be a mapping of strings');
  }
  return v as Record<string, string>;
}

export function setup(raw: unknown): NodeAgentOptions {
  const o = (raw ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) throw new PluginConfigError('', 'must be a mapping');
  for (const key of Object.keys(o)) if (!KEYS.includes(key)) throw new PluginConfigError(key, `unknown option (allowed: ${KEYS.join(', ')})`);
  if (o.nodeName !== undefined && (typeof o.nodeName !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.nodeName))) {
    throw new PluginConfigError('nodeName', 'must be a DNS subdomain name (lowercase letters, digits, "-" and ".")');
  }
  if (o.runtime !== undefined && (typeof o.runtime !== 'string' || o.runtime === '')) throw new PluginConfigError('runtime', 'must be a module reference such as builtin:runtime-runc');
  if (o.runtimeOptions !== undefined && (typeof o.runtimeOptions !== 'object' || o.runtimeOptions === null || Array.isArray(o.runtimeOptions))) {
    throw new PluginConfigError('runtimeOptions', 'must be a mapping');
  }
  if (o.network !== undefined && (typeof o.network !== 'object' || o.network === null || Array.isArray(o.network))) throw new PluginConfigError('network', 'must be a mapping (options of the network plugin, e.g. confList and cniPath)');
  if (o.networkPlugin !== undefined && (typeof o.networkPlugin !== 'string' || o.networkPlugin === '')) throw new PluginConfigError('networkPlugin', 'must be a module reference such as builtin:network');
  const numbers = { ...DEFAULTS };
  for (const key of NUMBERS) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v > 0)) throw new PluginConfigError(key, key.endsWith('Bytes') ? 'must be a positive number of bytes' : 'must be a positive number of seconds');
    numbers[key] = v;
  }
  const capacity = stringMap('capacity', o.capacity);
  const labels = stringMap('labels', o.labels);
  return {
    ...(o.nodeName ? { nodeName: o.nodeName as string } : {}),
    runtime: (o.runtime as string | undefined) ?? 'builtin:runtime-runc',
    runtimeOptions: (o.runtimeOptions as Record<string, unknown> | undefined) ?? {},
    ...numbers,
    ...(capacity ? { capacity } : {}),
    ...(labels ? { labels } : {}),
    ...(o.network ? { network: o.network as Record<string, unknown> } : {}),
    networkPlugin: (o.networkPlugin as string | undefined) ?? 'builtin:network',
  };
}
