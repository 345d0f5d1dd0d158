// Network configuration lists (CNI `.conflist`): validation, and the default list built from the
// node's pod CIDR when none is configured.
import { readFileSync } from 'node:fs';
import { addressAt, parseCidr } from '../../kernel/net/ipv4.js';

export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface ConfList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  disableGC?: boolean;
  plugins: PluginConf[];
}

/** Thrown for a configuration that cannot be used; the node reports it as NetworkUnavailable. */
export class ConfListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfListError';
  }
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validateConfList(raw: unknown, source: string): ConfList {
  const fail = (msg: string): never => {
    throw new ConfListError(`${source}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('must be a JSON object (a CNI network configuration list)');
  const c = raw as Record<string, unknown>;
  if (typeof c.cniVersion !== 'string' || !/^\d+\.\d+\.\d+$/.test(c.cniVersion)) fail(`cniVersion: must be a version such as "1.0.0", got ${JSON.stringify(c.cniVersion)}`);
  if (typeof c.name !== 'string' || !NAME.test(c.name)) fail(`name: must be a network name (letters, digits, "_", ".", "-"), got ${JSON.stringify(c.name)}`);
  if (!Array.isArray(c.plugins) || c.plugins.length === 0) fail('plugins: must be a non-empty list');
  (c.plugins as unknown[]).forEach((p, i) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) fail(`plugins[${i}]: must be an object`);
    const type = (p as Record<string, unknown>).type;
    if (typeof type !== 'string' || !/^[A-Za-z0-9._-]+$/.test(type)) fail(`plugins[${i}].type: must name a plugin executable, got ${JSON.stringify(type)}`);
  });
  for (const key of ['disableCheck', 'disableGC']) if (c[key] !== undefined && typeof c[key] !== 'boolean') fail(`${key}: must be true or false`);
  return c as unknown as ConfList;
}

/** A conflist given inline (object) or as a path to a JSON file. */
export function loadConfList(ref: object | string): ConfList {
  if (typeof ref === 'string') {
    let text: string;
    try {
      text = readFileSync(ref, 'utf8');
    } catch (e) {
      throw new ConfListError(`${ref}: cannot read the network configuration: ${(e as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ConfListError(`${ref}: invalid JSON: ${(e as Error).message}`);
    }
    return validateConfList(doc, ref);
  }
  return validateConfList(ref, 'network.confList');
}

export interface DefaultConfListInput {
  podCIDR: string;
  bridge: string;
  /** host-local keeps its allocations here (one file per IP). */
  ipamDataDir: string;
  /** Which IPAM/bridge implementation: Debian's reference plugins or Kite's own. */
  flavour: 'reference' | 'kite';
}

/**
 * The default list: a bridge per node with the pod CIDR's first address as gateway, host-local
 * IPAM over the node's range, and portmap for hostPort. No masquerading: pods keep their IPs
 * across nodes (the routes between nodes carry them).
 */
export function defaultConfList(input: DefaultConfListInput): ConfList {
  const cidr = parseCidr(input.podCIDR);
  if (!cidr) throw new ConfListError(`node spec.podCIDR ${JSON.stringify(input.podCIDR)} is not an IPv4 CIDR`);
  const gateway = addressAt(cidr, 1);
  const ipam = { type: 'host-local', dataDir: input.ipamDataDir, ranges: [[{ subnet: input.podCIDR, gateway }]], routes: [{ dst: '0.0.0.0/0' }] };
  const main = input.flavour === 'kite'
    ? { type: 'kite-bridge', bridge: input.bridge, isGateway: true, hairpinMode: true, ipam: { type: 'kite-ipam', subnet: input.podCIDR, gateway, routes: [{ dst: '0.0.0.0/0' }], dataDir: input.ipamDataDir } }
    : { type: 'bridge', bridge: input.bridge, isGateway: true, ipMasq: false, hairpinMode: true, ipam };
  return {
    cniVersion: '1.0.0',
    name: 'kite',
    plugins: [main, { type: 'portmap', capabilities: { portMappings: true }, snat: true }],
  };
}
