// CNI specification facts the plugin speaks: versions, error codes, result shapes, and the
// conversion of a result to the version the runtime asked for. Imported by the executable, so
// it must stay free of heavy dependencies.

export const PLUGIN_CNI_VERSION = '1.1.0';
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** Error codes of the CNI specification (1.1.0, "Error" section); 100+ are ours. */
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodeFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  /** STATUS: the plugin cannot serve ADD now. */
  PluginNotAvailable: 50,
  /** Kite: the address pool of the network has no free address. */
  AddressPoolExhausted: 100,
  /** Kite: an iproute2 command failed while wiring the interface. */
  InterfaceSetupFailed: 101,
  /** Kite: CHECK found the container's network differs from prevResult. */
  CheckFailed: 102,
  /** Kite: the masquerade rule (ipMasq) could not be installed. */
  MasqueradeFailed: 103,
} as const;

export class CniError extends Error {
  constructor(readonly code: number, msg: string, readonly details?: string) {
    super(msg);
  }

  toJSON(cniVersion: string): Record<string, unknown> {
    return { cniVersion, code: this.code, msg: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** Numeric comparison of dotted versions ("0.4.0" < "1.0.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function isSupportedVersion(v: string): boolean {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}

export interface CniIpConfig {
  address: string;
  gateway?: string;
  interface?: number;
  /** Only in 0.3.x/0.4.0 results. */
  version?: '4' | '6';
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

/**
 * Shapes a result for the config's cniVersion: 0.3.x/0.4.0 carry `version` on every IP, and
 * interface `mtu` exists from 1.1.0 on.
 */
export function resultForVersion(result: CniResult, cniVersion: string): CniResult {
  const legacy = compareVersions(cniVersion, '1.0.0') < 0;
  const withMtu = compareVersions(cniVersion, '1.1.0') >= 0;
  return {
    ...result,
    cniVersion,
    ...(result.interfaces ? { interfaces: result.interfaces.map(({ mtu, ...i }) => (withMtu && mtu !== undefined ? { ...i, mtu } : i)) } : {}),
    ips: (result.ips ?? []).map(({ version: _drop, ...ip }) => (legacy ? { version: ip.address.includes(':') ? '6' : '4', ...ip } : ip)),
  };
}
