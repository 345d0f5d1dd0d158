// Parses and validates the network configuration kite-bridge receives on stdin. Every error is a
// CNI error object naming the offending key (code 7 for a bad value, 2 for an unsupported one,
// 1 for a cniVersion the plugin does not speak).
import { cidrContains, cidrSize, formatIPv4, parseCidr, parseIPv4, type Cidr } from '../../kernel/net/ipv4.js';
import { CniError, ErrorCode, SUPPORTED_VERSIONS, isSupportedVersion, type CniResult } from './spec.js';

export const CNI_TYPE = 'kite-bridge';
export const IPAM_TYPE = 'kite-ipam';
export const DEFAULT_BRIDGE = 'kite0';
export const DEFAULT_DATA_DIR = '/var/lib/kite/cni/networks';

export interface IpamConfig {
  subnet: Cidr;
  /** First and last address handed out (inclusive), gateway excluded. */
  rangeStart: number;
  rangeEnd: number;
  gateway: number;
  routes: Array<{ dst: string; gw?: string }>;
  /** Directory holding this network's allocations: <dataDir>/<network name>. */
  dir: string;
}

export interface Attachment {
  containerID: string;
  ifname: string;
}

export interface NetConf {
  cniVersion: string;
  name: string;
  bridge: string;
  isGateway: boolean;
  /** Source-NAT traffic from the pod subnet to anywhere outside it (off: pods are routed as they are). */
  ipMasq: boolean;
  mtu: number;
  hairpinMode: boolean;
  ipam: IpamConfig;
  prevResult?: CniResult;
  /** GC only: the attachments the runtime still knows. */
  validAttachments?: Attachment[];
}

const IFNAME = /^[^\s/:]{1,15}$/;
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function invalid(key: string, why: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, `invalid network config: ${key}: ${why}`);
}

function optionalBool(raw: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = raw[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw invalid(key, `must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function address(raw: Record<string, unknown>, key: string, net: Cidr): number | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  const ip = typeof v === 'string' ? parseIPv4(v) : undefined;
  if (ip === undefined) throw invalid(`ipam.${key}`, `must be an IPv4 address, got ${JSON.stringify(v)}`);
  if (!cidrContains(net, ip)) throw invalid(`ipam.${key}`, `${v} is outside ipam.subnet`);
  return ip;
}

function parseIpam(raw: unknown, networkName: string): IpamConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('ipam', 'must be an object');
  const ipam = raw as Record<string, unknown>;
  if (ipam.type !== IPAM_TYPE) {
    throw new CniError(ErrorCode.UnsupportedField, `unsupported field: ipam.type ${JSON.stringify(ipam.type)}: kite-bridge has the built-in IPAM "${IPAM_TYPE}" only`);
  }
  if (typeof ipam.subnet !== 'string') throw invalid('ipam.subnet', 'is required (an IPv4 CIDR such as 10.244.1.0/24)');
  const subnet = parseCidr(ipam.subnet);
  if (!subnet) throw invalid('ipam.subnet', `${JSON.stringify(ipam.subnet)} is not an IPv4 network address with a prefix (IPv6 is not supported yet)`);
  if (subnet.prefix > 30) throw invalid('ipam.subnet', `/${subnet.prefix} leaves no room for a gateway and pods (use /30 or wider)`);
  const firstHost = subnet.base + 1;
  const lastHost = subnet.base + cidrSize(subnet) - 2;
  const gateway = address(ipam, 'gateway', subnet) ?? firstHost;
  let rangeStart = address(ipam, 'rangeStart', subnet) ?? firstHost;
  const rangeEnd = address(ipam, 'rangeEnd', subnet) ?? lastHost;
  if (rangeStart === gateway && ipam.rangeStart === undefined) rangeStart++;
  if (rangeStart < firstHost || rangeEnd > lastHost) throw invalid('ipam.rangeStart', 'the range may not include the network or broadcast address');
  if (rangeStart > rangeEnd) throw invalid('ipam.rangeEnd', `${formatIPv4(rangeEnd)} is before ipam.rangeStart ${formatIPv4(rangeStart)}`);
  const routes: IpamConfig['routes'] = [];
  if (ipam.routes !== undefined) {
    if (!Array.isArray(ipam.routes)) throw invalid('ipam.routes', 'must be a list of {dst, gw}');
    ipam.routes.forEach((r: unknown, i) => {
      const route = r as Record<string, unknown>;
      if (typeof route?.dst !== 'string' || !parseCidr(route.dst)) throw invalid(`ipam.routes[${i}].dst`, 'must be an IPv4 CIDR');
      if (route.gw !== undefined && (typeof route.gw !== 'string' || parseIPv4(route.gw) === undefined)) throw invalid(`ipam.routes[${i}].gw`, 'must be an IPv4 address');
      routes.push({ dst: route.dst, ...(route.gw ? { gw: route.gw as string } : {}) });
    });
  } else {
    routes.push({ dst: '0.0.0.0/0' });
  }
  if (ipam.dataDir !== undefined && (typeof ipam.dataDir !== 'string' || !ipam.dataDir.startsWith('/'))) throw invalid('ipam.dataDir', 'must be an absolute path');
  const dataDir = (ipam.dataDir as string | undefined) ?? DEFAULT_DATA_DIR;
  return { subnet, rangeStart, rangeEnd, gateway, routes, dir: `${dataDir.replace(/\/+$/, '')}/${networkName}` };
}

/** Decodes and validates the network config read from stdin. */
export function parseNetConf(stdin: string): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (err) {
    throw new CniError(ErrorCode.DecodeFailure, `cannot decode the network config: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CniError(ErrorCode.DecodeFailure, 'cannot decode the network config: not a JSON object');
  const conf = raw as Record<string, unknown>;
  const cniVersion = conf.cniVersion;
  if (typeof cniVersion !== 'string') throw invalid('cniVersion', 'is required');
  if (!isSupportedVersion(cniVersion)) {
    throw new CniError(ErrorCode.IncompatibleVersion, 'incompatible CNI versions', `config is ${JSON.stringify(cniVersion)}, plugin supports ${JSON.stringify(SUPPORTED_VERSIONS)}`);
  }
  if (typeof conf.name !== 'string' || !NETWORK_NAME.test(conf.name)) throw invalid('name', `must be a network name of letters, digits, "_", "." and "-", got ${JSON.stringify(conf.name)}`);
  const bridge = conf.bridge ?? DEFAULT_BRIDGE;
  if (typeof bridge !== 'string' || !IFNAME.test(bridge)) throw invalid('bridge', `must be an interface name of at most 15 characters, got ${JSON.stringify(bridge)}`);
  const mtu = conf.mtu ?? 1500;
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 576 || mtu > 65535) throw invalid('mtu', `must be an integer from 576 to 65535, got ${JSON.stringify(mtu)}`);
  const valid = conf['cni.dev/valid-attachments'];
  if (valid !== undefined && !Array.isArray(valid)) throw invalid('cni.dev/valid-attachments', 'must be a list of {containerID, ifname}');
  return {
    cniVersion,
    name: conf.name,
    bridge,
    isGateway: optionalBool(conf, 'isGateway', true),
    ipMasq: optionalBool(conf, 'ipMasq', false),
    mtu,
    hairpinMode: optionalBool(conf, 'hairpinMode', false),
    ipam: parseIpam(conf.ipam, conf.name),
    ...(conf.prevResult !== undefined ? { prevResult: conf.prevResult as CniResult } : {}),
    ...(valid ? { validAttachments: (valid as Array<Record<string, unknown>>).map((a) => ({ containerID: String(a?.containerID), ifname: String(a?.ifname) })) } : {}),
  };
}

/** VERSION reads only the version; a missing or bad config is not an error for it. */
export function peekVersion(stdin: string): string | undefined {
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
