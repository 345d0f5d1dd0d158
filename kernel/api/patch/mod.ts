// The patch library of the API server: pure functions from (object, patch) to a new object.
// How the REST layer uses it:
//   PATCH json/merge/strategic: patched = applyPatch(contentType, current, body, rt), then
//     recordUpdate(current, patched, manager, rt, now, subresource); 404 when there is no object.
//   PATCH application/apply-patch+yaml: serverSideApply(current | undefined,
//     parseApplyConfiguration(body), { manager: ?fieldManager (required), force: ?force=true, rt });
//     an absent object is created from the result.
//   POST/PUT: recordUpdate(undefined | old, object, manager, rt, now, subresource).
//   `manager` is ?fieldManager, else the User-Agent up to its first '/' (kubectl/v1.32… → kubectl),
//   as upstream; kubectl scale sends none, so its entry is ("kubectl", Update, subresource scale).
import yaml from 'js-yaml';
import type { ResourceType } from '../../objects/registry.js';
import { errors, StatusError } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import { unprocessable } from './errors.js';
import { applyJsonPatch, parseJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { schemaFor } from './merge-keys.js';
import { applyStrategicPatch } from './strategic.js';
import { isObject, parseJsonBody } from './values.js';

export { serverSideApply, recordUpdate, type ApplyOptions } from './apply.js';
export { FieldSet, pathString } from './fields-v1.js';

export const PatchType = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** The media type of a Content-Type header, without parameters (`; charset=utf-8`). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export function isApplyPatch(contentType: string | undefined): boolean {
  return mediaType(contentType) === PatchType.apply;
}

export function unsupportedMediaType(): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${[PatchType.json, PatchType.merge, PatchType.apply, PatchType.strategic].join(', ')}`,
  );
}

/**
 * Applies a JSON, merge or strategic merge patch to `original` and returns the patched copy
 * (`original` is never modified). Throws StatusError: 400 for a malformed patch, 422 for a JSON
 * patch that does not apply, 415 for an unknown Content-Type.
 */
export function applyPatch(contentType: string, original: KubeObject, patchBody: Buffer, rt: ResourceType): KubeObject {
  const type = mediaType(contentType);
  switch (type) {
    case PatchType.json: {
      const patched = applyJsonPatch(original, parseJsonPatch(patchBody));
      if (!isObject(patched)) throw unprocessable('the patched object is not a JSON object');
      return patched;
    }
    case PatchType.merge:
      return applyMergePatch(original, parseObjectPatch(patchBody, 'Invalid JSON Patch')) as KubeObject;
    case PatchType.strategic:
      return applyStrategicPatch(original, parseObjectPatch(patchBody), schemaFor(rt)) as KubeObject;
    case PatchType.apply:
      throw errors.internal('apply patches are served by serverSideApply, which needs the field manager');
    default:
      throw unsupportedMediaType();
  }
}

function parseObjectPatch(body: Buffer, syntaxMessage?: string): Record<string, unknown> {
  let patch: unknown;
  try {
    patch = parseJsonBody(body);
  } catch (e) {
    throw errors.badRequest(syntaxMessage ?? (e as Error).message);
  }
  if (!isObject(patch)) throw errors.badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
  return patch;
}

/** Parses the body of an `application/apply-patch+yaml` request (YAML or JSON). */
export function parseApplyConfiguration(body: Buffer): KubeObject {
  let config: unknown;
  try {
    config = yaml.load(body.toString('utf8'), { schema: yaml.CORE_SCHEMA });
  } catch (e) {
    throw errors.badRequest(`error decoding YAML: ${(e as Error).message}`);
  }
  if (!isObject(config)) throw errors.badRequest('error decoding YAML: the apply configuration is not an object');
  if (config.metadata === undefined) config.metadata = {};
  return config as KubeObject;
}
