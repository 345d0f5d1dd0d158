// API discovery documents built from the ResourceRegistry: the legacy form (/api, /apis,
// /api/v1, /apis/<g>/<v>) and the aggregated form (apidiscovery.k8s.io v2 / v2beta1), which
// kubectl prefers because it gets every group's resources in two requests.
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceRegistry, type ResourceType } from '../../objects/registry.js';
import { subresourceInfo } from './subresources.js';
import { convertedVersions } from '../versions/handler.js';

export type AggregatedVersion = 'v2' | 'v2beta1';

export interface DiscoveryResponse {
  contentType: string;
  body: unknown;
}

export function aggregatedContentType(version: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

/**
 * Picks the aggregated discovery version the Accept header asks for first, or undefined for the
 * legacy documents (plain application/json, any type, or no header).
 */
export function negotiateAggregated(accept: string | undefined): AggregatedVersion | undefined {
  if (!accept) return undefined;
  for (const entry of accept.split(',')) {
    const [type, ...rawParams] = entry.split(';').map((p) => p.trim());
    const params = new Map(rawParams.map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
    const mediaType = type.toLowerCase();
    if (mediaType === 'application/json' && params.get('g') === 'apidiscovery.k8s.io' && params.get('as') === 'APIGroupDiscoveryList') {
      const v = params.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
      continue;
    }
    if (mediaType === 'application/json' || mediaType === '*/*' || mediaType === 'application/*') return undefined;
  }
  return undefined;
}

/** Upstream's hash: the first 8 bytes of sha256("<group>/<version>/<kind>"), base64. */
function storageVersionHash(rt: ResourceType): string {
  return createHash('sha256').update(`${rt.group}/${rt.version}/${rt.kind}`).digest().subarray(0, 8).toString('base64');
}

function typesIn(registry: ResourceRegistry, group: string, version: string): ResourceType[] {
  return registry.all().filter((rt) => rt.group === group && (rt.version === version || convertedVersions(rt).includes(version)));
}

/** Group → versions, the stored versions first (preferred), then those served by conversion (api/versions). */
function servedGroups(registry: ResourceRegistry): Map<string, string[]> {
  const groups = registry.groups();
  for (const rt of registry.all()) {
    const versions = groups.get(rt.group) ?? [];
    for (const v of convertedVersions(rt)) if (!versions.includes(v)) versions.push(v);
  }
  return groups;
}

/** Groups in registry order; the core group ('') is served under /api, not /apis. */
function namedGroups(registry: ResourceRegistry): [string, string[]][] {
  return [...servedGroups(registry)].filter(([group]) => group !== '');
}

function apiGroup(group: string, versions: string[]) {
  const gvs = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: gvs, preferredVersion: gvs[0] };
}

export function apiVersions() {
  return { kind: 'APIVersions', apiVersion: 'v1', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] };
}

export function apiGroupList(registry: ResourceRegistry) {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: namedGroups(registry).map(([g, vs]) => apiGroup(g, vs)) };
}

/** `/apis/<group>`; undefined when the group is not served. */
export function apiGroupDocument(registry: ResourceRegistry, group: string) {
  const versions = servedGroups(registry).get(group);
  if (!group || !versions) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
}

/** `/api/v1` or `/apis/<group>/<version>`; undefined when that group-version is not served. */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string) {
  const types = typesIn(registry, group, version);
  if (types.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const rt of types) {
    resources.push({
      name: rt.resource,
      singularName: rt.singularName,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: rt.verbs,
      ...(rt.shortNames?.length ? { shortNames: rt.shortNames } : {}),
      ...(rt.categories?.length ? { categories: rt.categories } : {}),
      storageVersionHash: storageVersionHash(rt),
    });
    for (const sub of rt.subresources ?? []) {
      const info = subresourceInfo(rt, sub);
      resources.push({
        name: `${rt.resource}/${sub}`,
        singularName: '',
        namespaced: rt.namespaced,
        ...(info.group !== undefined ? { group: info.group, version: info.version } : {}),
        kind: info.kind ?? rt.kind,
        verbs: info.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

function aggregatedResource(rt: ResourceType) {
  return {
    resource: rt.resource,
    responseKind: { group: '', version: '', kind: rt.kind },
    scope: rt.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: rt.singularName,
    verbs: rt.verbs,
    ...(rt.shortNames?.length ? { shortNames: rt.shortNames } : {}),
    ...(rt.categories?.length ? { categories: rt.categories } : {}),
    ...(rt.subresources?.length
      ? {
          subresources: rt.subresources.map((sub) => {
            const info = subresourceInfo(rt, sub);
            return {
              subresource: sub,
              responseKind: { group: info.group ?? '', version: info.version ?? '', kind: info.kind ?? rt.kind },
              verbs: info.verbs,
            };
          }),
        }
      : {}),
  };
}

function aggregatedGroup(registry: ResourceRegistry, group: string, versions: string[]) {
  return {
    metadata: { name: group, creationTimestamp: null },
    versions: versions.map((version) => ({
      version,
      resources: typesIn(registry, group, version).map(aggregatedResource),
      freshness: 'Current',
    })),
  };
}

/** Aggregated discovery for `/api` (core only) or `/apis` (every named group). */
export function aggregatedDiscovery(registry: ResourceRegistry, root: 'api' | 'apis', version: AggregatedVersion) {
  const groups: [string, string[]][] = root === 'api' ? [['', registry.groups().get('') ?? []]] : namedGroups(registry);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.filter(([, vs]) => vs.length > 0).map(([g, vs]) => aggregatedGroup(registry, g, vs)),
  };
}

/**
 * Answers a discovery path, or undefined when `pathname` is not one (or names an unknown group).
 * `pathname` has no trailing slash. With `allowAggregated` false only the legacy form is served.
 */
export function discoveryResponse(registry: ResourceRegistry, pathname: string, accept: string | undefined, allowAggregated = true): DiscoveryResponse | undefined {
  const json = (body: unknown): DiscoveryResponse | undefined => (body === undefined ? undefined : { contentType: 'application/json', body });
  if (pathname === '/api' || pathname === '/apis') {
    const root = pathname === '/api' ? 'api' : 'apis';
    const aggregated = allowAggregated ? negotiateAggregated(accept) : undefined;
    if (aggregated) return { contentType: aggregatedContentType(aggregated), body: aggregatedDiscovery(registry, root, aggregated) };
    return json(root === 'api' ? apiVersions() : apiGroupList(registry));
  }
  const parts = pathname.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 2) return json(apiResourceList(registry, '', parts[1]));
  if (parts[0] === 'apis' && parts.length === 2) return json(apiGroupDocument(registry, parts[1]));
  if (parts[0] === 'apis' && parts.length === 3) return json(apiResourceList(registry, parts[1], parts[2]));
  return undefined;
}
