// Options of the node IPAM controller: the common controller keys plus the CIDRs, refused with the key.
import { cidrsOverlap, parseCidr } from '../../../kernel/net/ipv4.js';
import type { ControllerOptions } from '../../../kernel/controller/controller.js';
import { PluginConfigError } from '../../../kernel/plugin/types.js';
import { controllerSetup } from '../setup.js';

export interface NodeIpamOptions extends ControllerOptions {
  /** The range every node's pod CIDR comes from (upstream --cluster-cidr). */
  clusterCIDR: string;
  /** Prefix length of each node's pod CIDR (upstream --node-cidr-mask-size). */
  nodeCIDRMaskSize: number;
  /** Service ClusterIPs (upstream --service-cluster-ip-range); must not overlap clusterCIDR. */
  serviceCIDR: string;
}

export const NODE_IPAM_DEFAULTS = { clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24, serviceCIDR: '10.96.0.0/12' };

const common = controllerSetup({ nodeCIDRMaskSize: NODE_IPAM_DEFAULTS.nodeCIDRMaskSize }, 1);

function cidrOption(key: string, v: unknown) {
  const cidr = typeof v === 'string' ? parseCidr(v) : undefined;
  if (!cidr) throw new PluginConfigError(key, `must be an IPv4 CIDR with the host bits cleared, such as 10.244.0.0/16, got ${JSON.stringify(v)}`);
  return cidr;
}

export function setup(raw: unknown): NodeIpamOptions {
  const o = raw === undefined || raw === null ? {} : (raw as Record<string, unknown>);
  if (typeof o !== 'object' || Array.isArray(o)) throw new PluginConfigError('', 'must be a mapping');
  const { clusterCIDR = NODE_IPAM_DEFAULTS.clusterCIDR, serviceCIDR = NODE_IPAM_DEFAULTS.serviceCIDR, ...rest } = o;
  let options: ReturnType<typeof common>;
  try {
    options = common(rest);
  } catch (e) {
    // The shared setup does not know this controller's CIDR keys: name them in "allowed".
    if (e instanceof PluginConfigError && e.message.startsWith('unknown option')) throw new PluginConfigError(e.key, e.message.replace('(allowed: ', '(allowed: clusterCIDR, serviceCIDR, '));
    throw e;
  }
  const cluster = cidrOption('clusterCIDR', clusterCIDR);
  const service = cidrOption('serviceCIDR', serviceCIDR);
  const maskSize = options.nodeCIDRMaskSize;
  if (!Number.isInteger(maskSize) || maskSize < cluster.prefix || maskSize > 30) {
    throw new PluginConfigError('nodeCIDRMaskSize', `must be an integer between the cluster CIDR's prefix (${cluster.prefix}) and 30, got ${maskSize}`);
  }
  if (maskSize - cluster.prefix > 16) throw new PluginConfigError('nodeCIDRMaskSize', `must be at most 16 bits longer than the clusterCIDR prefix (at most 65536 node ranges), got ${maskSize}`);
  if (cidrsOverlap(cluster, service)) throw new PluginConfigError('serviceCIDR', `${serviceCIDR as string} overlaps clusterCIDR ${clusterCIDR as string}; pod and service addresses must be separate`);
  return { ...options, clusterCIDR: clusterCIDR as string, serviceCIDR: serviceCIDR as string };
}
