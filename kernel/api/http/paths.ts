// Resource paths → what the request is about (resource type, namespace, name, subresource, verb),
// following the apiserver's request-info rules.
import { StatusError } from '../../objects/status.js';
import type { ResourceRegistry, ResourceType } from '../../objects/registry.js';
import type { ApiVerb } from '../types.js';
import { isConnectSubresource, subresourceInfo } from '../discovery/subresources.js';
import { convertedVersions } from '../versions/handler.js';

export interface ParsedResourcePath {
  resource: ResourceType;
  version: string;
  verb: ApiVerb;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Parts after `namespaces/<name>/` that address the namespace itself, not a resource inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export const notFound = () => new StatusError(404, 'NotFound', 'the server could not find the requested resource');

function methodNotAllowed(method: string, what: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${what})`);
}

/** True for the prefixes a resource path can start with: /api/v1/... or /apis/<g>/<v>/... */
export function isResourcePath(pathname: string): boolean {
  const parts = pathname.split('/').filter(Boolean);
  return (parts[0] === 'api' && parts.length >= 3) || (parts[0] === 'apis' && parts.length >= 4);
}

function wantsWatch(query: URLSearchParams): boolean {
  const w = query.get('watch');
  return w === 'true' || w === '1';
}

function verbFor(method: string, hasName: boolean, watch: boolean): ApiVerb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return hasName ? 'update' : undefined;
    case 'PATCH':
      return hasName ? 'patch' : undefined;
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

/**
 * Parses `/api/v1/...` or `/apis/<group>/<version>/...` into a resource request, or throws a
 * StatusError: 404 NotFound for unknown paths/resources, 405 MethodNotAllowed for verbs the
 * resource (or subresource) does not serve.
 */
export function parseResourcePath(registry: ResourceRegistry, method: string, pathname: string, query: URLSearchParams): ParsedResourcePath {
  let segments: string[];
  try {
    segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new StatusError(400, 'BadRequest', `malformed path: ${pathname}`);
  }
  let group: string;
  let rest: string[];
  if (segments[0] === 'api') {
    group = '';
    rest = segments.slice(1);
  } else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    rest = segments.slice(2);
  } else {
    throw notFound();
  }
  const version = rest.shift();
  if (!version) throw notFound();

  let watch = wantsWatch(query);
  if (rest[0] === 'watch') {
    // Legacy /api/v1/watch/... paths.
    watch = true;
    rest.shift();
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2]))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resourceName, name, subresource, ...extra] = rest;
  // proxy paths carry a remainder (`pods/x/proxy/some/path`); nothing else may.
  if (!resourceName || (extra.length > 0 && subresource !== 'proxy')) throw notFound();
  const rt = registry.byResource(group, resourceName);
  // A type may also be served at versions it is converted from/to (kernel/api/versions).
  if (!rt || (rt.version !== version && !convertedVersions(rt).includes(version))) throw notFound();
  if (namespace !== undefined && !rt.namespaced) throw notFound();
  if (subresource !== undefined && !(rt.subresources ?? []).includes(subresource)) throw notFound();

  const what = [resourceName, subresource].filter(Boolean).join('/');
  let verb: ApiVerb | undefined;
  if (subresource !== undefined && isConnectSubresource(subresource)) {
    verb = 'connect';
  } else {
    verb = verbFor(method, name !== undefined, watch);
    // POST to a named object is only meaningful for a subresource (binding, eviction, token).
    if (verb === 'create' && name !== undefined && subresource === undefined) verb = undefined;
  }
  if (!verb) throw methodNotAllowed(method, what);
  const allowed: readonly string[] = subresource !== undefined ? subresourceInfo(rt, subresource).routeVerbs : rt.verbs;
  if (!allowed.includes(verb)) throw methodNotAllowed(method, what);
  // A namespaced resource without a namespace is only served across all namespaces as list/watch.
  if (rt.namespaced && namespace === undefined && verb !== 'list' && verb !== 'watch') {
    if (name !== undefined) throw notFound();
    throw methodNotAllowed(method, what);
  }

  const parsed: ParsedResourcePath = { resource: rt, version, verb };
  if (namespace !== undefined) parsed.namespace = namespace;
  if (name !== undefined) parsed.name = name;
  if (subresource !== undefined) parsed.subresource = subresource;
  return parsed;
}
