// Strategic merge patch as the Kubernetes API server applies it. Maps merge like JSON merge patch;
// lists that have merge facts (merge-keys.ts) merge per item instead of being replaced; and the
// patch may carry directives that kubectl's three-way diff produces:
//   $patch: replace | merge | delete        (in a map, or as a list item)
//   $retainKeys: [fields]                   (drop every other field of the original map)
//   $setElementOrder/<field>: [items]       (order of a merged list)
//   $deleteFromPrimitiveList/<field>: [v]   (remove values from a primitive merge list)
import { StatusError, errors } from '../../objects/status.js';
import { unprocessable } from './errors.js';
import { fieldSchema, type ListSchema, type SchemaNode } from './merge-keys.js';
import { cloneJson, deepEqual, isObject, type JsonObject } from './values.js';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVES = '$deleteFromPrimitiveList/';

/** Returns the patched copy of `original`; neither argument is modified. */
export function applyStrategicPatch(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
  return mergeMap(cloneJson(original), patch, schema);
}

function badFormat(message: string): StatusError {
  return errors.badRequest(message);
}

/** Merges patch into orig (which this function owns and may modify). */
function mergeMap(orig: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    if (directive === 'replace') return mergeMap({}, withoutKey(patch, PATCH), schema);
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw badFormat(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  }
  if (patch[RETAIN_KEYS] !== undefined) retainKeys(orig, patch);

  // A list with $setElementOrder is merged first and then ordered against the live list.
  const ordered = new Set<string>();
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    if (!Array.isArray(order)) throw badFormat('invalid patch format of setElementOrder list');
    const field = key.slice(SET_ORDER.length);
    const fs = fieldSchema(schema, field);
    const live = Array.isArray(orig[field]) ? (orig[field] as unknown[]) : [];
    const merged = patch[field] === undefined || patch[field] === null ? orig[field] : mergeValue(orig[field], patch[field], fs);
    if (Array.isArray(merged)) orig[field] = orderItems(merged, order, live, fs?.list?.mergeKey);
    if (patch[field] !== null) ordered.add(field);
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$') || ordered.has(key)) continue;
    if (value === null) delete orig[key];
    else orig[key] = mergeValue(orig[key], value, fieldSchema(schema, key));
  }

  for (const [key, values] of Object.entries(patch)) {
    if (!key.startsWith(DELETE_PRIMITIVES)) continue;
    if (!Array.isArray(values)) throw badFormat('invalid patch format of primitive list');
    const field = key.slice(DELETE_PRIMITIVES.length);
    const current = orig[field];
    if (Array.isArray(current)) orig[field] = current.filter((v) => !values.some((d) => deepEqual(d, v)));
  }
  return orig;
}

function withoutKey(o: JsonObject, key: string): JsonObject {
  const { [key]: _dropped, ...rest } = o;
  return rest;
}

function retainKeys(orig: JsonObject, patch: JsonObject): void {
  const keep = patch[RETAIN_KEYS];
  const invalid = () => badFormat('invalid patch format of retainKeys');
  if (!Array.isArray(keep) || !keep.every((k) => typeof k === 'string')) throw invalid();
  for (const key of Object.keys(patch)) {
    if (!key.startsWith('$') && patch[key] !== null && !keep.includes(key)) throw invalid();
  }
  for (const key of Object.keys(orig)) if (!keep.includes(key)) delete orig[key];
}

function mergeValue(orig: unknown, patch: unknown, schema: SchemaNode | undefined): unknown {
  if (isObject(patch)) return mergeMap(isObject(orig) && !schema?.replace ? orig : {}, patch, schema);
  if (Array.isArray(patch)) {
    if (patch.some(Array.isArray)) throw unprocessable('lists of lists are not supported');
    const list = schema?.list;
    if (list?.strategy === 'merge') return mergeList(Array.isArray(orig) ? orig : [], patch, list);
    return patch.map((item) => mergeValue(undefined, item, list?.item));
  }
  return patch;
}

function mergeList(live: unknown[], patch: unknown[], list: ListSchema): unknown[] {
  const key = list.mergeKey;
  if (!key) {
    // A primitive list with merge strategy is a set: the patch adds the values it lacks.
    const merged = [...live];
    for (const v of patch) if (!merged.some((o) => deepEqual(o, v))) merged.push(v);
    return orderItems(merged, patch, live, undefined);
  }
  let server = [...live];
  const items: JsonObject[] = [];
  let replace = false;
  for (const item of patch) {
    if (!isObject(item)) throw badFormat(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const directive = item[PATCH];
    if (directive === 'replace') {
      replace = true;
      continue;
    }
    if (!Object.hasOwn(item, key)) throw badFormat(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    if (directive === 'delete') server = server.filter((o) => !(isObject(o) && deepEqual(o[key], item[key])));
    else if (directive === 'merge') throw badFormat('merging lists cannot yet be specified in the patch');
    else if (directive !== undefined) throw badFormat(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(item)}`);
    else items.push(item);
  }
  if (replace) return items.map((item) => mergeMap({}, item, list.item));
  const merged = [...server];
  for (const item of items) {
    const at = merged.findIndex((o) => isObject(o) && deepEqual(o[key], item[key]));
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, list.item);
    else merged.push(mergeMap({}, item, list.item));
  }
  return orderItems(merged, items, server, key);
}

/**
 * Upstream's ordering of a merged list: items named by `order` (the patch list, or a
 * $setElementOrder list) come in that order; the other items keep their live order; the two runs
 * are interleaved, a live-only item going first when it preceded the next named item in the live
 * list. So items new to the list come before the live-only items that follow them.
 */
function orderItems(merged: unknown[], order: unknown[], live: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (v: unknown) => (mergeKey && isObject(v) ? v[mergeKey] : v);
  const indexIn = (list: unknown[], v: unknown) => list.findIndex((o) => deepEqual(keyOf(o), keyOf(v)));
  const named = merged.filter((v) => indexIn(order, v) >= 0).sort((a, b) => indexIn(order, a) - indexIn(order, b));
  const liveOnly = merged.filter((v) => indexIn(order, v) < 0).sort((a, b) => indexIn(live, a) - indexIn(live, b));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < liveOnly.length || j < named.length) {
    if (j >= named.length) out.push(liveOnly[i++]);
    else if (i >= liveOnly.length) out.push(named[j++]);
    else {
      const li = indexIn(live, liveOnly[i]);
      const ni = indexIn(live, named[j]);
      out.push(li >= 0 && ni >= 0 && li < ni ? liveOnly[i++] : named[j++]);
    }
  }
  return out;
}
