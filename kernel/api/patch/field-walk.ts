// Walks objects along the merge facts to serve server-side apply: the field set an object
// specifies, the paths that differ between two objects, merging an apply configuration into a
// live object, and removing fields nobody owns any more.
import { fieldElement, FieldSet, keyElement, valueElement, type PathElement } from './fields-v1.js';
import { fieldSchema, KEY_DEFAULTS, listKeys, type ListSchema, type SchemaNode } from './merge-keys.js';
import { cloneJson, deepEqual, isObject, type JsonObject } from './values.js';

/** 'apply' owns leaves and list items; 'update' also owns free-form maps it creates. */
export type WalkMode = 'apply' | 'update';

function keyedList(schema: SchemaNode | undefined): ListSchema | undefined {
  const list = schema?.list;
  return list?.strategy === 'merge' && list.mergeKey ? list : undefined;
}

function setList(schema: SchemaNode | undefined): boolean {
  const list = schema?.list;
  return list?.strategy === 'merge' && !list.mergeKey;
}

/** The `k:` element of a keyed list item, or undefined when the item lacks its key. */
export function itemElement(item: unknown, list: ListSchema): PathElement | undefined {
  if (!isObject(item)) return undefined;
  const fields: JsonObject = {};
  for (const k of listKeys(list)) {
    const v = item[k] ?? KEY_DEFAULTS[k];
    if (v === undefined) {
      if (k === list.mergeKey) return undefined;
      continue;
    }
    fields[k] = v;
  }
  return keyElement(fields);
}

function keyedItems(items: unknown[], list: ListSchema): Map<PathElement, unknown> | undefined {
  const out = new Map<PathElement, unknown>();
  for (const item of items) {
    const pe = itemElement(item, list);
    if (pe === undefined || out.has(pe)) return undefined;
    out.set(pe, item);
  }
  return out;
}

/** Adds to `node` the paths that `value` (located at node) specifies. */
export function collectFields(node: FieldSet, value: unknown, schema: SchemaNode | undefined, mode: WalkMode): void {
  if (Array.isArray(value) && value.length > 0) {
    const list = keyedList(schema);
    const items = list && keyedItems(value, list);
    if (list && items) {
      for (const [pe, item] of items) {
        const c = node.child(pe);
        c.self = true;
        collectFields(c, item, list.item, mode);
      }
      return;
    }
    if (setList(schema)) {
      for (const v of value) node.child(valueElement(v)).self = true;
      return;
    }
  }
  if (isObject(value) && !schema?.atomic && Object.keys(value).length > 0) {
    if (mode === 'update' && schema?.map) node.self = true;
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) collectFields(node.child(fieldElement(k)), v, fieldSchema(schema, k), mode);
    }
    return;
  }
  node.self = true;
}

export function fieldsOf(value: unknown, schema: SchemaNode | undefined, mode: WalkMode): FieldSet {
  const set = new FieldSet();
  collectFields(set, value, schema, mode);
  set.self = false;
  return set;
}

/** Paths whose value differs between a and b (added, removed or modified). */
export function changedFields(a: unknown, b: unknown, schema: SchemaNode | undefined): FieldSet {
  const set = new FieldSet();
  diffInto(set, a, b, schema);
  set.self = false;
  return set;
}

function diffInto(node: FieldSet, a: unknown, b: unknown, schema: SchemaNode | undefined): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined || b === undefined) {
    collectFields(node, a ?? b, schema, 'update');
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const list = keyedList(schema);
    const ai = list && keyedItems(a, list);
    const bi = list && keyedItems(b, list);
    if (list && ai && bi) {
      for (const pe of new Set([...ai.keys(), ...bi.keys()])) diffInto(node.child(pe), ai.get(pe), bi.get(pe), list.item);
      for (const pe of new Set([...ai.keys(), ...bi.keys()])) if (!ai.has(pe) || !bi.has(pe)) node.child(pe).self = true;
      return;
    }
    if (setList(schema)) {
      for (const v of a) if (!b.some((x) => deepEqual(x, v))) node.child(valueElement(v)).self = true;
      for (const v of b) if (!a.some((x) => deepEqual(x, v))) node.child(valueElement(v)).self = true;
      return;
    }
  }
  if (isObject(a) && isObject(b) && !schema?.atomic) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffInto(node.child(fieldElement(k)), a[k], b[k], fieldSchema(schema, k));
    return;
  }
  if (!deepEqual(a, b)) node.self = true;
}

/** Merges an apply configuration into a live value: keyed lists and sets per item, the rest replaced. */
export function mergeApplied(live: unknown, applied: unknown, schema: SchemaNode | undefined): unknown {
  if (isObject(applied) && !schema?.atomic) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(out[k], v, fieldSchema(schema, k));
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const list = keyedList(schema);
    if (list && keyedItems(applied, list) && keyedItems(live, list)) {
      const out = [...live];
      for (const item of applied) {
        const pe = itemElement(item, list);
        const at = out.findIndex((o) => itemElement(o, list) === pe);
        if (at >= 0) out[at] = mergeApplied(out[at], item, list.item);
        else out.push(cloneJson(item));
      }
      return out;
    }
    if (setList(schema)) return [...live, ...applied.filter((v) => !live.some((x) => deepEqual(x, v)))];
  }
  return cloneJson(applied);
}

/**
 * Removes from `value` the paths in `remove`, keeping anything `kept` still holds below them.
 * Maps and lists emptied by the removal disappear too. `value` must be a private copy.
 */
export function removeFields(value: JsonObject, remove: FieldSet, kept: FieldSet, schema: SchemaNode | undefined): void {
  pruneObject(value, remove, kept, schema);
}

function pruneObject(obj: JsonObject, remove: FieldSet, kept: FieldSet | undefined, schema: SchemaNode | undefined): void {
  for (const [pe, sub] of remove.children) {
    if (!pe.startsWith('f:')) continue;
    const key = pe.slice(2);
    if (!Object.hasOwn(obj, key)) continue;
    const keptSub = kept?.children.get(pe);
    if (sub.self && !keptSub?.hasAny()) delete obj[key];
    else if (pruneValue(obj[key], sub, keptSub, fieldSchema(schema, key))) delete obj[key];
  }
}

/** Prunes inside a value; true when the value was emptied and should go as well. */
function pruneValue(value: unknown, remove: FieldSet, kept: FieldSet | undefined, schema: SchemaNode | undefined): boolean {
  if (isObject(value)) {
    if (Object.keys(value).length === 0) return false;
    pruneObject(value, remove, kept, schema);
    return Object.keys(value).length === 0;
  }
  if (!Array.isArray(value) || value.length === 0) return false;
  const list = keyedList(schema);
  for (const [pe, sub] of remove.children) {
    const keptSub = kept?.children.get(pe);
    const at = value.findIndex((item) => (pe.startsWith('v:') ? valueElement(item) === pe : list && itemElement(item, list) === pe));
    if (at < 0) continue;
    if (sub.self && !keptSub?.hasAny()) value.splice(at, 1);
    else if (list && pruneValue(value[at], sub, keptSub, list.item)) value.splice(at, 1);
  }
  return value.length === 0;
}
