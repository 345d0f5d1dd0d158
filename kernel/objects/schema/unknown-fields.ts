// Strict field validation: every field of an object must be described (unless its type is open).
import type { ResourceType } from '../registry.js';
import { errors, type StatusError } from '../status.js';
import type { FieldDef, TypeDef } from './dsl.js';
import { rootTypeOf, typeOfField } from './catalog.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walkType(type: TypeDef, value: unknown, path: string, out: string[]): void {
  if (!isPlainObject(value)) return; // wrong shapes are reported by validation, not here
  for (const [key, child] of Object.entries(value)) {
    const field = type.fields[key];
    const childPath = path ? `${path}.${key}` : key;
    if (field) walkField(field, child, childPath, out);
    else if (!type.open) out.push(childPath);
  }
}

function walkField(field: FieldDef, value: unknown, path: string, out: string[]): void {
  const element = typeOfField(field);
  if (!element) return;
  if (field.kind === 'array' && Array.isArray(value)) value.forEach((item, i) => walkType(element, item, `${path}[${i}]`, out));
  else if (field.kind === 'map' && isPlainObject(value)) for (const [k, item] of Object.entries(value)) walkType(element, item, `${path}[${k}]`, out);
  else if (field.kind === 'object') walkType(element, value, path, out);
}

/**
 * Paths of fields the schema does not know, e.g. `spec.containers[0].imagee`, for
 * `fieldValidation=Strict` (`strict decoding error: unknown field "<path>"`). Types not described
 * at all give no unknown fields.
 */
export function unknownFields(rt: Pick<ResourceType, 'group' | 'version' | 'kind'>, obj: unknown): string[] {
  const root = rootTypeOf(rt);
  const out: string[] = [];
  if (root) walkType(root, obj, '', out);
  return out;
}

/**
 * The 400 BadRequest upstream answers a `fieldValidation=Strict` write with when fields are
 * unknown, or undefined when there are none. (For `fieldValidation=Warn`, send one
 * `Warning: unknown field "<path>"` header per entry of unknownFields instead.)
 */
export function strictDecodingError(rt: Pick<ResourceType, 'group' | 'version' | 'kind'>, obj: unknown): StatusError | undefined {
  const unknown = unknownFields(rt, obj);
  if (unknown.length === 0) return undefined;
  const version = rt.group ? `${rt.group}/${rt.version}` : rt.version;
  const detail = unknown.map((path) => `unknown field ${JSON.stringify(path)}`).join(', ');
  return errors.badRequest(`${rt.kind} in version "${version}" cannot be handled as a ${rt.kind}: strict decoding error: ${detail}`);
}
