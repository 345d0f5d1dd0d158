// The bridge between client-side and server-side apply that upstream builds into the API server
// for the manager `kubectl`: an object managed with `kubectl apply` (annotation
// kubectl.kubernetes.io/last-applied-configuration) can switch to `kubectl apply --server-side`
// without conflicts on the fields the annotation still describes, and while the annotation exists
// server-side applies keep it in sync so switching back works too.
import type { KubeObject } from '../../objects/types.js';
import { changedFields, fieldsOf } from './field-walk.js';
import type { FieldSet } from './fields-v1.js';
import type { SchemaNode } from './merge-keys.js';
import { cloneJson, isObject, type JsonObject } from './values.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Only kubectl's own server-side manager gets the upgrade path (as upstream). */
export const KUBECTL_APPLY_MANAGER = 'kubectl';

function lastAppliedOf(obj: KubeObject | undefined): string | undefined {
  const value = obj?.metadata.annotations?.[LAST_APPLIED];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Fields whose conflicts the applier may override: those the last client-side apply set and
 * that still hold the value it set. Undefined when there is no usable annotation.
 */
export function conflictsAllowedByLastApplied(
  live: KubeObject | undefined,
  view: (o: KubeObject) => JsonObject,
  schema: SchemaNode,
): FieldSet | undefined {
  const text = lastAppliedOf(live);
  if (!live || !text) return undefined;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(last)) return undefined;
  const lastObj = { metadata: {}, ...last } as KubeObject;
  const lastView = view(lastObj);
  return fieldsOf(lastView, schema, 'apply').difference(changedFields(lastView, view(live), schema));
}

/** Rewrites the annotation of `merged` from the applied configuration, if `live` had one. */
export function syncLastApplied(merged: KubeObject, live: KubeObject | undefined, config: KubeObject): void {
  if (!lastAppliedOf(live)) return;
  const copy = cloneJson(config);
  if (copy.metadata.annotations) delete copy.metadata.annotations[LAST_APPLIED];
  merged.metadata.annotations = { ...(merged.metadata.annotations ?? {}), [LAST_APPLIED]: `${sortedJson(copy)}\n` };
}

/** JSON with object keys in sorted order, the way Go encodes a generic map. */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
