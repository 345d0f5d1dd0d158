// OpenAPI v3 documents per group-version, as served under /openapi/v3. kubectl reads them for
// `kubectl explain` (components.schemas, found by x-kubernetes-group-version-kind) and to learn
// that the server validates fields itself (a PATCH operation with a `fieldValidation` parameter).
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceRegistry, type ResourceType } from '../registry.js';
import { catalog, schemaNameOf } from './catalog.js';
import type { FieldDef, FieldKind, TypeDef } from './dsl.js';

type Json = Record<string, unknown>;

const refTo = (name: string) => `#/components/schemas/${name}`;

function scalarSchema(kind: FieldKind, format?: string): Json {
  switch (kind) {
    case 'integer':
      return { type: 'integer', format: format ?? 'int32' };
    case 'number':
      return { type: 'number', format: format ?? 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'object':
      return { type: 'object' };
    case 'quantity':
      return { $ref: refTo('io.k8s.apimachinery.pkg.api.resource.Quantity') };
    case 'intOrString':
      return { $ref: refTo('io.k8s.apimachinery.pkg.util.intstr.IntOrString') };
    default:
      return format ? { type: 'string', format } : { type: 'string' };
  }
}

/** The schema of one list/map element. */
function elementSchema(field: FieldDef): Json {
  if (field.ref) return { allOf: [{ $ref: refTo(field.ref) }], default: {} };
  const kind = field.items ?? 'string';
  return kind === 'string' && !field.format ? { type: 'string', default: '' } : scalarSchema(kind, field.format);
}

function fieldSchema(field: FieldDef): Json {
  let schema: Json;
  if (field.kind === 'array') schema = { type: 'array', items: elementSchema(field) };
  else if (field.kind === 'map') schema = { type: 'object', additionalProperties: elementSchema(field) };
  else if (field.ref) schema = { allOf: [{ $ref: refTo(field.ref) }] };
  else schema = scalarSchema(field.kind, field.format);
  schema.description = field.description;
  if (field.enum) schema.enum = [...field.enum];
  if (field.listType) schema['x-kubernetes-list-type'] = field.listType;
  if (field.listMapKeys) schema['x-kubernetes-list-map-keys'] = [...field.listMapKeys];
  if (field.mergeKey) schema['x-kubernetes-patch-merge-key'] = field.mergeKey;
  if (field.strategies) schema['x-kubernetes-patch-strategy'] = field.strategies.join(',');
  return schema;
}

function typeSchema(type: TypeDef): Json {
  if (type.scalar === 'quantity') return { description: type.description, oneOf: [{ type: 'string' }, { type: 'number' }] };
  if (type.scalar === 'intOrString') return { description: type.description, 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  if (type.scalar) return { description: type.description, type: 'string', ...(type.format ? { format: type.format } : {}) };
  const properties: Json = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(type.fields)) {
    properties[name] = fieldSchema(field);
    if (field.required) required.push(name);
  }
  const schema: Json = { description: type.description, type: 'object', properties };
  if (required.length) schema.required = required;
  if (type.open) schema['x-kubernetes-preserve-unknown-fields'] = true;
  return schema;
}

/** Adds a named type and every type it references. */
function collect(name: string, into: Map<string, TypeDef>): void {
  if (into.has(name)) return;
  const type = catalog.get(name);
  if (!type) return;
  into.set(name, type);
  for (const field of Object.values(type.fields)) if (field.ref) collect(field.ref, into);
}

function gvkOf(rt: ResourceType): Json {
  return { group: rt.group, kind: rt.kind, version: rt.version };
}

const patchParameters = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  description: `The ${name} option of the request.`,
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

/**
 * Patch bodies the documents advertise. Strategic merge patch is left out on purpose: when it is
 * listed, `kubectl apply` computes its patch from these schemas, which describe some types only
 * partly (open types); without it kubectl uses its compiled-in types for built-in kinds (exact
 * upstream merge keys) and a JSON merge patch for other kinds. The server still accepts it.
 */
const PATCH_BODY_TYPES = Object.fromEntries(
  ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'].map((media) => [media, { schema: { type: 'object' } }]),
);

function itemPath(rt: ResourceType): string {
  const base = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  return rt.namespaced ? `${base}/namespaces/{namespace}/${rt.resource}/{name}` : `${base}/${rt.resource}/{name}`;
}

function pathsFor(types: ResourceType[], described: (rt: ResourceType) => boolean): Json {
  const paths: Json = {};
  for (const rt of types) {
    if (!rt.verbs.includes('patch')) continue;
    const body = { content: { 'application/json': { schema: described(rt) ? { $ref: refTo(schemaNameOf(rt)) } : { type: 'object' } } } };
    paths[itemPath(rt)] = {
      patch: {
        description: `partially update the specified ${rt.kind}`,
        operationId: `patch${rt.namespaced ? 'Namespaced' : ''}${rt.kind}`,
        parameters: patchParameters,
        requestBody: { content: PATCH_BODY_TYPES, required: true },
        responses: { '200': { description: 'OK', ...body }, '201': { description: 'Created', ...body } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvkOf(rt),
      },
    };
  }
  return paths;
}

/** The /openapi/v3 path key of a group-version: `api/v1`, `apis/apps/v1`. */
export function openApiPathOf(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function documentFor(types: ResourceType[]): Json {
  const referenced = new Map<string, TypeDef>();
  for (const rt of types) collect(schemaNameOf(rt), referenced);
  const schemas: Json = {};
  for (const [name, type] of [...referenced].sort(([a], [b]) => a.localeCompare(b))) schemas[name] = typeSchema(type);
  for (const rt of types) {
    const name = schemaNameOf(rt);
    // Kinds this table does not describe still get a schema kubectl can find by GVK.
    const schema = (schemas[name] as Json | undefined) ?? {
      description: `${rt.kind} (${apiVersionOf(rt)}); fields are not described.`,
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    };
    schemas[name] = { ...schema, 'x-kubernetes-group-version-kind': [gvkOf(rt)] };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: pathsFor(types, (rt) => referenced.has(schemaNameOf(rt))),
    components: { schemas },
  };
}

export interface OpenApiV3Documents {
  /** The /openapi/v3 discovery document. */
  index: { paths: Record<string, { serverRelativeURL: string }> };
  /** Path key (`api/v1`, `apis/apps/v1`) → OpenAPI v3 document. */
  documents: Map<string, object>;
}

export function openApiV3Documents(registry: ResourceRegistry): OpenApiV3Documents {
  const byGroupVersion = new Map<string, ResourceType[]>();
  for (const rt of registry.all()) {
    const key = openApiPathOf(rt.group, rt.version);
    byGroupVersion.set(key, [...(byGroupVersion.get(key) ?? []), rt]);
  }
  const index: OpenApiV3Documents['index'] = { paths: {} };
  const documents = new Map<string, object>();
  for (const [key, types] of byGroupVersion) {
    const doc = documentFor(types);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
    index.paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    documents.set(key, doc);
  }
  return { index, documents };
}
