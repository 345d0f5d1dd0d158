// A compact, hand-written description of Kubernetes object shapes. One table serves strict field
// validation, the OpenAPI v3 documents kubectl reads (explain, apply) and patch merge keys.

export type FieldKind = 'string' | 'integer' | 'boolean' | 'number' | 'object' | 'array' | 'map' | 'quantity' | 'intOrString' | 'any';

export type PatchStrategy = 'merge' | 'replace' | 'retainKeys';

export interface FieldDef {
  kind: FieldKind;
  description: string;
  required?: boolean;
  /** Named type of an object field, or of the elements of an array/map field. */
  ref?: string;
  /** Element kind of an array/map whose elements are not a named type (default string). */
  items?: FieldKind;
  /** OpenAPI format: int32, int64, date-time, byte, ... */
  format?: string;
  /** x-kubernetes-patch-merge-key */
  mergeKey?: string;
  /** x-kubernetes-patch-strategy; several strategies are comma-joined upstream (`merge,retainKeys`). */
  strategies?: PatchStrategy[];
  /** x-kubernetes-list-type */
  listType?: 'atomic' | 'map' | 'set';
  listMapKeys?: string[];
  enum?: string[];
}

export interface TypeDef {
  description: string;
  fields: Record<string, FieldDef>;
  /** Fields not described here are allowed (types this table only partly describes). */
  open?: boolean;
  /** A scalar named type (Quantity, Time, IntOrString): no fields. */
  scalar?: FieldKind;
  format?: string;
}

// Upstream schema name prefixes, so the OpenAPI documents use the names kubectl knows.
export const CORE = 'io.k8s.api.core.v1.';
export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const TIME = `${META}Time`;
export const OBJECT_META = `${META}ObjectMeta`;
export const LABEL_SELECTOR = `${META}LabelSelector`;

type Extra = Omit<Partial<FieldDef>, 'kind' | 'description'>;

export const str = (description: string, extra: Extra = {}): FieldDef => ({ kind: 'string', description, ...extra });
export const int = (description: string, extra: Extra = {}): FieldDef => ({ kind: 'integer', format: 'int32', description, ...extra });
export const int64 = (description: string, extra: Extra = {}): FieldDef => ({ kind: 'integer', format: 'int64', description, ...extra });
export const bool = (description: string, extra: Extra = {}): FieldDef => ({ kind: 'boolean', description, ...extra });
export const num = (description: string, extra: Extra = {}): FieldDef => ({ kind: 'number', format: 'double', description, ...extra });
export const anyValue = (description: string, extra: Extra = {}): FieldDef => ({ kind: 'any', description, ...extra });
export const time = (description: string, extra: Extra = {}): FieldDef => ({ kind: 'object', ref: TIME, description, ...extra });
export const quantity = (description: string, extra: Extra = {}): FieldDef => ({ kind: 'quantity', ref: QUANTITY, description, ...extra });
export const intOrString = (description: string, extra: Extra = {}): FieldDef => ({ kind: 'intOrString', ref: INT_OR_STRING, description, ...extra });
/** An object field of a named type. */
export const obj = (ref: string, description: string, extra: Extra = {}): FieldDef => ({ kind: 'object', ref, description, ...extra });
/** A list of named objects. */
export const list = (ref: string, description: string, extra: Extra = {}): FieldDef => ({ kind: 'array', ref, description, ...extra });
/** A list of scalars. */
export const scalars = (items: FieldKind, description: string, extra: Extra = {}): FieldDef => ({ kind: 'array', items, description, ...extra });
/** A string-keyed map; values are `items` scalars or `ref` objects. */
export const map = (items: FieldKind, description: string, extra: Extra = {}): FieldDef => ({ kind: 'map', items, description, ...extra });
export const mapOf = (ref: string, description: string, extra: Extra = {}): FieldDef => ({ kind: 'map', ref, description, ...extra });
export const required = (f: FieldDef): FieldDef => ({ ...f, required: true });
/** Lists patched element-wise by a key field (strategic merge patch). */
export const byKey = (key: string): Extra => ({ mergeKey: key, strategies: ['merge'] });

/** Fields every top-level object has. */
export function topLevel(kind: string, spec?: string, status?: string, rest: Record<string, FieldDef> = {}): Record<string, FieldDef> {
  const fields: Record<string, FieldDef> = {
    apiVersion: str('Versioned schema of this representation of an object.'),
    kind: str('REST resource this object represents, in CamelCase.'),
    metadata: obj(OBJECT_META, "Standard object's metadata."),
  };
  if (spec) fields.spec = obj(spec, `Desired behaviour of the ${kind}.`);
  if (status) fields.status = obj(status, `Most recently observed status of the ${kind}; read-only, set by the system.`);
  return { ...fields, ...rest };
}

export type Catalog = Map<string, TypeDef>;
