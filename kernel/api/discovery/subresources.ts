// What each subresource is, as discovery advertises it and as the router enforces it: the kind it
// answers with (possibly from another group, like autoscaling/v1 Scale) and the verbs it takes.
import type { ApiVerb } from '../types.js';
import type { ResourceType } from '../../objects/registry.js';

export interface SubresourceInfo {
  /** Kind of the subresource's body; undefined means the parent's kind. */
  kind?: string;
  /** Group/version of that kind when it differs from the parent's. */
  group?: string;
  version?: string;
  /** Verbs as discovery lists them (RBAC names). */
  verbs: string[];
  /** Verbs the router accepts (connect for streams and proxies). */
  routeVerbs: ApiVerb[];
}

const STATUS: SubresourceInfo = { verbs: ['get', 'patch', 'update'], routeVerbs: ['get', 'patch', 'update'] };
const CONNECT = ['create', 'get'];

const bySubresource: Record<string, SubresourceInfo> = {
  status: STATUS,
  ephemeralcontainers: STATUS,
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'], routeVerbs: ['get', 'patch', 'update'] },
  log: { kind: 'Pod', verbs: ['get'], routeVerbs: ['get'] },
  exec: { kind: 'PodExecOptions', verbs: CONNECT, routeVerbs: ['connect'] },
  attach: { kind: 'PodAttachOptions', verbs: CONNECT, routeVerbs: ['connect'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: CONNECT, routeVerbs: ['connect'] },
  binding: { kind: 'Binding', verbs: ['create'], routeVerbs: ['create'] },
  eviction: { kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'], routeVerbs: ['create'] },
  token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'], routeVerbs: ['create'] },
  finalize: { kind: 'Namespace', verbs: ['update'], routeVerbs: ['update'] },
};

const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'];

/** Subresources whose verb is `connect` whatever the HTTP method (streams, upgrades, proxies). */
export function isConnectSubresource(subresource: string): boolean {
  return subresource === 'proxy' || bySubresource[subresource]?.routeVerbs[0] === 'connect';
}

export function subresourceInfo(parent: ResourceType, subresource: string): SubresourceInfo {
  if (subresource === 'proxy') return { kind: `${parent.kind}ProxyOptions`, verbs: PROXY_VERBS, routeVerbs: ['connect'] };
  // Unknown subresources (added by a plugin) default to status-like access on the parent kind.
  return bySubresource[subresource] ?? STATUS;
}
