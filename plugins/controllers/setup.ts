// Options every built-in controller accepts, plus its own numeric options; refused with the key.
import { defaultLeaderElection, type ControllerOptions, type LeaderElectionOptions } from '../../kernel/controller/controller.js';
import { PluginConfigError } from '../../kernel/plugin/types.js';

const COMMON = ['workers', 'leaderElection', 'identity'];
const LEADER_KEYS = Object.keys(defaultLeaderElection);

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonNegative(key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new PluginConfigError(key, `must be a number >= 0, got ${JSON.stringify(v)}`);
  return v;
}

function leaderElection(raw: unknown): LeaderElectionOptions {
  if (raw === undefined) return { ...defaultLeaderElection };
  if (!isMapping(raw)) throw new PluginConfigError('leaderElection', 'must be a mapping');
  const out: Record<string, unknown> = { ...defaultLeaderElection };
  for (const [k, v] of Object.entries(raw)) {
    const key = `leaderElection.${k}`;
    if (!LEADER_KEYS.includes(k)) throw new PluginConfigError(key, `unknown option (allowed: ${LEADER_KEYS.join(', ')})`);
    if (k === 'enabled') {
      if (typeof v !== 'boolean') throw new PluginConfigError(key, 'must be true or false');
      out[k] = v;
    } else if (k === 'namespace') {
      if (typeof v !== 'string' || v === '') throw new PluginConfigError(key, 'must be a namespace name');
      out[k] = v;
    } else out[k] = nonNegative(key, v);
  }
  const le = out as unknown as LeaderElectionOptions;
  if (le.renewDeadlineSeconds >= le.leaseDurationSeconds) throw new PluginConfigError('leaderElection.renewDeadlineSeconds', 'must be less than leaseDurationSeconds');
  return le;
}

/**
 * A setup() for a controller: `workers`, `leaderElection`, `identity`, and the controller's own
 * numeric options given with their defaults.
 */
export function controllerSetup<E extends Record<string, number>>(defaults: E, defaultWorkers = 2): (raw: unknown) => ControllerOptions & E {
  return (raw: unknown) => {
    const options = raw === undefined || raw === null ? {} : raw;
    if (!isMapping(options)) throw new PluginConfigError('', 'must be a mapping');
    const allowed = [...COMMON, ...Object.keys(defaults)];
    for (const key of Object.keys(options)) {
      if (!allowed.includes(key)) throw new PluginConfigError(key, `unknown option (allowed: ${allowed.join(', ')})`);
    }
    const workers = options.workers === undefined ? defaultWorkers : options.workers;
    if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1) throw new PluginConfigError('workers', 'must be an integer >= 1');
    if (options.identity !== undefined && (typeof options.identity !== 'string' || options.identity === '')) throw new PluginConfigError('identity', 'must be a non-empty string');
    const extra: Record<string, number> = {};
    for (const [k, d] of Object.entries(defaults)) extra[k] = options[k] === undefined ? d : nonNegative(k, options[k]);
    return {
      workers,
      leaderElection: leaderElection(options.leaderElection),
      ...(options.identity !== undefined ? { identity: options.identity as string } : {}),
      ...(extra as E),
    };
  };
}
