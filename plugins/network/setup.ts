// Options of the network plugin (the node agent hands its `network` section here, plus the node's
// name and directory); refused with the offending key.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PluginConfigError } from '../../kernel/plugin/types.js';

export interface NetworkOptions {
  /** The node this plugin serves (set by the node agent). */
  nodeName: string;
  /** `<dataDir>/node/<nodeName>` (set by the node agent): cache and IPAM state live under `cni/`. */
  nodeDir: string;
  /** A CNI network configuration list: inline object, or a path to a .conflist JSON file. Default: built from spec.podCIDR. */
  confList?: object | string;
  /** Directories searched for plugin executables (CNI_PATH). */
  cniPath: string[];
  /** A plugin still running after this long is killed and the operation fails. */
  pluginTimeoutSeconds: number;
  /** How often readiness (VERSION/STATUS of the list) is checked again. */
  statusCheckSeconds: number;
  /** Bridge name of the default list; default `kite` + a hash of nodeDir, so several Kites on one host never share one. */
  bridge: string;
  /** Which plugins the default list uses: Debian's reference `bridge`+`host-local`, or Kite's `kite-bridge`. */
  flavour: 'reference' | 'kite';
}

const KEYS = ['nodeName', 'nodeDir', 'confList', 'cniPath', 'pluginTimeoutSeconds', 'statusCheckSeconds', 'bridge', 'flavour'];
export const DEFAULT_CNI_PATH = ['/opt/cni/bin', '/usr/lib/cni'];

export function defaultBridgeName(nodeDir: string): string {
  return `kite${createHash('sha256').update(nodeDir).digest('hex').slice(0, 8)}`;
}

export function setup(raw: unknown): NetworkOptions {
  const o = (raw ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) throw new PluginConfigError('', 'must be a mapping');
  for (const key of Object.keys(o)) if (!KEYS.includes(key)) throw new PluginConfigError(key, `unknown option (allowed: ${KEYS.join(', ')})`);
  const nodeName = o.nodeName ?? 'node';
  if (typeof nodeName !== 'string' || nodeName === '') throw new PluginConfigError('nodeName', 'must be a node name');
  const nodeDir = o.nodeDir ?? join('/var/lib/kite/node', nodeName);
  if (typeof nodeDir !== 'string' || !nodeDir.startsWith('/')) throw new PluginConfigError('nodeDir', 'must be an absolute path');
  const confList = o.confList;
  if (confList !== undefined && (typeof confList !== 'string' || confList === '') && (typeof confList !== 'object' || confList === null || Array.isArray(confList))) {
    throw new PluginConfigError('confList', 'must be a CNI network configuration list (a mapping) or the path of a .conflist file');
  }
  const cniPath = o.cniPath ?? DEFAULT_CNI_PATH;
  if (!Array.isArray(cniPath) || cniPath.length === 0 || cniPath.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
    throw new PluginConfigError('cniPath', 'must be a non-empty list of absolute directories');
  }
  const numbers: Record<string, number> = { pluginTimeoutSeconds: 30, statusCheckSeconds: 30 };
  for (const key of Object.keys(numbers)) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v > 0)) throw new PluginConfigError(key, 'must be a positive number of seconds');
    numbers[key] = v;
  }
  const bridge = o.bridge ?? defaultBridgeName(nodeDir);
  if (typeof bridge !== 'string' || !/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) throw new PluginConfigError('bridge', 'must be an interface name of at most 15 characters');
  const flavour = o.flavour ?? 'kite';
  if (flavour !== 'reference' && flavour !== 'kite') throw new PluginConfigError('flavour', 'must be "reference" or "kite"');
  return {
    nodeName,
    nodeDir,
    ...(confList !== undefined ? { confList: confList as object | string } : {}),
    cniPath: cniPath as string[],
    pluginTimeoutSeconds: numbers.pluginTimeoutSeconds!,
    statusCheckSeconds: numbers.statusCheckSeconds!,
    bridge,
    flavour,
  };
}
