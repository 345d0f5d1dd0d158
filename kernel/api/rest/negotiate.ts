// Content negotiation: which representation the client asked for (plain object, meta.k8s.io
// Table, PartialObjectMetadata) and how to read request bodies (JSON or YAML).
import yaml from 'js-yaml';
import { apiVersionOf, type ResourceType } from '../../objects/registry.js';
import { StatusError, errors } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import type { ApiRequest } from '../types.js';
import { sendJson } from '../http/respond.js';
import type { RestDeps } from './deps.js';

export type OutputFormat =
  | { as: 'Object' }
  | { as: 'Table'; apiVersion: string }
  | { as: 'PartialObjectMetadata'; apiVersion: string };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';').map((s) => s.trim());
      const record: Record<string, string> = {};
      for (const p of params) {
        const eq = p.indexOf('=');
        if (eq > 0) record[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
      }
      return { type: (type ?? '').toLowerCase(), params: record };
    })
    .filter((m) => m.type !== '');
}

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*']);

/** Picks the first Accept entry we can serve; 406 if none (and the header was not empty). */
export function negotiateOutput(accept: string | undefined): OutputFormat {
  if (!accept) return { as: 'Object' };
  const ranges = parseAccept(accept);
  for (const range of ranges) {
    if (!JSON_TYPES.has(range.type)) continue;
    const as = range.params.as;
    if (as === undefined) return { as: 'Object' };
    const metaVersion = range.params.g === 'meta.k8s.io' && (range.params.v === 'v1' || range.params.v === 'v1beta1') ? `meta.k8s.io/${range.params.v}` : undefined;
    if (!metaVersion) continue;
    if (as === 'Table') return { as: 'Table', apiVersion: metaVersion };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata', apiVersion: metaVersion };
  }
  if (ranges.length === 0) return { as: 'Object' };
  throw new StatusError(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml');
}

/** `includeObject` query parameter of Table requests (default Metadata, as upstream). */
export function includeObjectParam(query: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = query.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw errors.badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
}

/** The object with apiVersion and kind first (store objects may be frozen: never mutate them). */
export function withTypeMeta(rt: ResourceType, obj: KubeObject): KubeObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = obj;
  return { apiVersion: apiVersionOf(rt), kind: rt.kind, ...rest } as KubeObject;
}

export function partialMetadata(apiVersion: string, obj: KubeObject): object {
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: obj.metadata };
}

/** Writes one object in the negotiated representation. */
export function sendObject(deps: RestDeps, req: ApiRequest, code: number, obj: KubeObject): void {
  const format = negotiateOutput(req.headers.accept);
  const typed = withTypeMeta(req.resource, obj);
  switch (format.as) {
    case 'Table':
      sendJson(req.res, code, deps.toTable(req.resource, [typed], { includeObject: includeObjectParam(req.query), apiVersion: format.apiVersion }));
      return;
    case 'PartialObjectMetadata':
      sendJson(req.res, code, partialMetadata(format.apiVersion, typed));
      return;
    default:
      sendJson(req.res, code, typed);
  }
}

/** Writes an object that is not of the request's resource type (Status, Scale, ...) as JSON. */
export function sendPlain(req: ApiRequest, code: number, body: unknown): void {
  sendJson(req.res, code, body);
}

// ---------------------------------------------------------------------------------------------
// Request bodies.

/** Media type without parameters, lower-cased; '' when absent. */
export function contentTypeOf(req: ApiRequest): string {
  const ct = req.headers['content-type'];
  return (ct ?? '').split(';')[0]!.trim().toLowerCase();
}

function isYamlType(ct: string): boolean {
  return ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml' || ct === 'application/apply-patch+yaml';
}

/**
 * Parses a JSON or YAML body (or a media type with a decoder in deps.bodyDecoders, e.g. protobuf)
 * into an object; malformed input is 400 BadRequest, other media types 415.
 */
export function decodeBody(deps: RestDeps, req: ApiRequest, ct = contentTypeOf(req)): Record<string, unknown> {
  const decoder = deps.bodyDecoders?.[ct];
  if (decoder) return decoder(req.body);
  if (ct !== '' && ct !== 'application/json' && ct !== '*/*' && !isYamlType(ct)) {
    const accepted = ['application/json', 'application/yaml', ...Object.keys(deps.bodyDecoders ?? {})].join(', ');
    throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted}`);
  }
  const text = req.body.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the body of the request was empty: an object is required');
  let value: unknown;
  try {
    // CORE_SCHEMA: no implicit timestamps or binary, so values stay the strings kubectl sent.
    value = isYamlType(ct) ? yaml.load(text, { schema: yaml.CORE_SCHEMA }) : JSON.parse(text);
  } catch (err) {
    const kind = isYamlType(ct) ? 'yaml' : 'json';
    throw errors.badRequest(`error decoding request body: ${kind} parse error: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw errors.badRequest('error decoding request body: the body must be a JSON or YAML object');
  }
  return value as Record<string, unknown>;
}

/** An optional body (DELETE options): undefined when empty. */
export function decodeOptionalBody(deps: RestDeps, req: ApiRequest): Record<string, unknown> | undefined {
  return req.body.length === 0 || req.body.toString('utf8').trim() === '' ? undefined : decodeBody(deps, req);
}

/**
 * Fills in apiVersion/kind of a body for `expected` (apiVersion like `apps/v1`), or rejects a
 * body declaring another type, with upstream's wording.
 */
export function checkTypeMeta(body: Record<string, unknown>, expectedApiVersion: string, expectedKind: string): KubeObject {
  const apiVersion = body.apiVersion;
  const kind = body.kind;
  if (apiVersion !== undefined && apiVersion !== '' && apiVersion !== expectedApiVersion) {
    throw errors.badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${expectedApiVersion})`);
  }
  if (kind !== undefined && kind !== '' && kind !== expectedKind) {
    throw errors.badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (${expectedKind})`);
  }
  const metadata = body.metadata;
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw errors.badRequest('error decoding request body: metadata must be an object');
  }
  return { ...body, apiVersion: expectedApiVersion, kind: expectedKind, metadata: { ...((metadata as object | undefined) ?? {}) } } as KubeObject;
}
