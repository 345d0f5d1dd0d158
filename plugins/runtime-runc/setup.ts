// Options of the runc runtime; the node agent that loads it fills stateDir when it is not given.
import { PluginConfigError } from '../../kernel/plugin/types.js';

export interface RuncRuntimeOptions {
  /** Bundles, sandboxes and runc state; default `<dataDir>/node/<nodeName>/runtime` (set by the node agent). */
  stateDir?: string;
  /** The image store (OCI layout); default `<dataDir>/images`, shared by the nodes of a machine. */
  imageDir?: string;
  /** Path of the runc binary. */
  runc: string;
  /** Parent cgroup under every v1 controller. */
  cgroupParent: string;
  /** Where the cgroup v1 hierarchies are mounted. */
  cgroupRoot: string;
  /** How often exits of containers are looked for, in milliseconds. */
  exitPollMs: number;
  /** Registries pulled from besides loopback ones (host[:port]); `*` allows any. Default none: offline. */
  registries: string[];
  /** Registries reached over plain HTTP (loopback registries always are). */
  insecureRegistries: string[];
}

const KEYS = ['stateDir', 'imageDir', 'runc', 'cgroupParent', 'cgroupRoot', 'exitPollMs', 'registries', 'insecureRegistries'];

function hosts(key: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((h) => typeof h !== 'string' || h === '')) throw new PluginConfigError(key, 'must be a list of registry hosts such as registry.example.com:5000');
  return v as string[];
}

export function setup(raw: unknown): RuncRuntimeOptions {
  const options = (raw ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || Array.isArray(options)) throw new PluginConfigError('', 'must be a mapping');
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new PluginConfigError(key, `unknown option (allowed: ${KEYS.join(', ')})`);
  }
  const str = (key: string, fallback?: string): string | undefined => {
    const v = options[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v === '') throw new PluginConfigError(key, 'must be a non-empty string');
    return v;
  };
  const exitPollMs = options.exitPollMs ?? 200;
  if (typeof exitPollMs !== 'number' || exitPollMs < 10) throw new PluginConfigError('exitPollMs', 'must be a number of milliseconds, at least 10');
  const cgroupParent = str('cgroupParent', 'kite')!;
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(cgroupParent)) throw new PluginConfigError('cgroupParent', 'must be a relative cgroup path such as kite');
  const stateDir = str('stateDir');
  const imageDir = str('imageDir');
  return {
    ...(stateDir ? { stateDir } : {}),
    ...(imageDir ? { imageDir } : {}),
    runc: str('runc', '/usr/sbin/runc')!,
    cgroupParent,
    cgroupRoot: str('cgroupRoot', '/sys/fs/cgroup')!,
    exitPollMs,
    registries: hosts('registries', options.registries),
    insecureRegistries: hosts('insecureRegistries', options.insecureRegistries),
  };
}
