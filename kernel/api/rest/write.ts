// create (POST), update (PUT), patch (PATCH, including server-side apply) of a resource or of a
// status-like subresource. The store applies admission; this layer checks the request against
// the URL, field validation, preconditions, and which fields the write may touch.
import { apiVersionOf, type ResourceType } from '../../objects/registry.js';
import { StatusError, errors, isStatusError } from '../../objects/status.js';
import { resourceKeyString, type KubeObject } from '../../objects/types.js';
import type { ApiRequest } from '../types.js';
import type { RestDeps } from './deps.js';
import { checkTypeMeta, contentTypeOf, decodeBody, sendObject } from './negotiate.js';
import { casUpdate, finishWrite } from './scope.js';

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/** `dryRun=All` (query or DeleteOptions); anything else but absence is rejected. */
export function isDryRun(values: string[]): boolean {
  for (const v of values) if (v !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}

export function dryRunQuery(req: ApiRequest): boolean {
  return isDryRun(req.query.getAll('dryRun').filter((v) => v !== ''));
}

/** fieldValidation=Strict rejects unknown fields; Warn (the default) reports them in Warning headers. */
export function checkFields(deps: RestDeps, req: ApiRequest, rt: ResourceType, obj: KubeObject): void {
  const mode = req.query.get('fieldValidation') || 'Warn';
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw errors.badRequest(`invalid fieldValidation directive: ${mode}. Valid values: Ignore, Warn, Strict`);
  }
  if (mode === 'Ignore' || !deps.unknownFields) return;
  const unknown = deps.unknownFields(rt, obj);
  if (unknown.length === 0) return;
  const listed = unknown.map((f) => `unknown field "${f}"`);
  if (mode === 'Strict') {
    throw errors.badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${listed.join(', ')}`);
  }
  req.res.setHeader('Warning', listed.map((w) => `299 - ${JSON.stringify(w)}`));
}

/** Namespace from the URL; a body naming another one is rejected, as upstream. */
export function placeInNamespace(req: ApiRequest, obj: KubeObject): void {
  if (!req.resource.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const ns = obj.metadata.namespace;
  if (ns && ns !== req.namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  obj.metadata.namespace = req.namespace;
}

export function matchUrlName(req: ApiRequest, obj: KubeObject): void {
  const name = obj.metadata.name;
  if (name && name !== req.name) throw errors.badRequest(`the name of the object (${name}) does not match the name on the URL (${req.name})`);
  obj.metadata.name = req.name;
}

/** Field manager of an ordinary write: `fieldManager`, else the client's User-Agent name, as upstream. */
export function fieldManagerOf(req: ApiRequest): string {
  const explicit = req.query.get('fieldManager');
  if (explicit) return explicit;
  const agent = req.headers['user-agent'];
  return (agent ? agent.split('/')[0] : '') || 'unknown';
}

/** managedFields bookkeeping for ordinary writes (when the patch library provides it). */
export function updateRecorder(deps: RestDeps, req: ApiRequest): (old: KubeObject | undefined, next: KubeObject) => KubeObject {
  const record = deps.patch.recordUpdate;
  if (!record) return (_old, next) => next;
  const manager = fieldManagerOf(req);
  return (old, next) => callPatch(() => record(old, next, manager, req.resource, undefined, req.subresource));
}

/** Decodes a body of the request's resource type and checks it against the URL. */
function decodeObject(deps: RestDeps, req: ApiRequest, ct?: string): KubeObject {
  const rt = req.resource;
  const obj = checkTypeMeta(decodeBody(deps, req, ct), apiVersionOf(rt), rt.kind);
  placeInNamespace(req, obj);
  return obj;
}

/** Runs a patch library call; its plain errors (bad patch documents) are the client's fault. */
export function callPatch<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw errors.badRequest(err instanceof Error ? err.message : String(err));
  }
}

export async function createObject(deps: RestDeps, req: ApiRequest): Promise<void> {
  const rt = req.resource;
  const obj = decodeObject(deps, req);
  checkFields(deps, req, rt, obj);
  const dryRun = dryRunQuery(req);
  if (dryRun && obj.metadata.name) {
    // A dry run must fail as the real create would on an existing name.
    const existing = await deps.store.get(rt, obj.metadata.namespace, obj.metadata.name).catch((e: unknown) => {
      if (isStatusError(e, 'NotFound')) return undefined;
      throw e;
    });
    if (existing) throw errors.alreadyExists(resourceKeyString(rt), obj.metadata.name);
  }
  const created = await deps.store.create(rt, updateRecorder(deps, req)(undefined, obj), { dryRun });
  sendObject(deps, req, 201, created);
}

/** PUT of the resource or of a status-like subresource (`req.subresource`). */
export async function updateObject(deps: RestDeps, req: ApiRequest): Promise<void> {
  const rt = req.resource;
  const candidate = decodeObject(deps, req);
  matchUrlName(req, candidate);
  checkFields(deps, req, rt, candidate);
  const record = updateRecorder(deps, req);
  const updated = await casUpdate(deps.store, rt, req.namespace, req.name!, (current) => finishWrite(rt, req.subresource, current, candidate, record), {
    dryRun: dryRunQuery(req),
  });
  sendObject(deps, req, 200, updated);
}

/** The object `current` becomes under this PATCH request (json/merge/strategic patch). */
export function patchedObject(deps: RestDeps, req: ApiRequest, rt: ResourceType, current: KubeObject): KubeObject {
  const ct = contentTypeOf(req);
  if (!PATCH_TYPES.includes(ct)) {
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${[...PATCH_TYPES, APPLY_PATCH].join(', ')}`,
    );
  }
  const patched = callPatch(() => deps.patch.applyPatch(ct, current, req.body, rt));
  const checked = checkTypeMeta(patched as Record<string, unknown>, current.apiVersion ?? apiVersionOf(rt), current.kind ?? rt.kind);
  if (checked.metadata.name !== current.metadata.name) {
    throw errors.badRequest(`the name of the object (${checked.metadata.name ?? ''}) does not match the name on the URL (${current.metadata.name ?? ''})`);
  }
  if (rt.namespaced && checked.metadata.namespace !== current.metadata.namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return checked;
}

/** PATCH of the resource or of a status-like subresource. */
export async function patchObject(deps: RestDeps, req: ApiRequest): Promise<void> {
  if (contentTypeOf(req) === APPLY_PATCH) return applyObject(deps, req);
  const rt = req.resource;
  const record = updateRecorder(deps, req);
  const updated = await casUpdate(
    deps.store,
    rt,
    req.namespace,
    req.name!,
    (current) => {
      const candidate = patchedObject(deps, req, rt, current);
      checkFields(deps, req, rt, candidate);
      return finishWrite(rt, req.subresource, current, candidate, record);
    },
    { dryRun: dryRunQuery(req) },
  );
  sendObject(deps, req, 200, updated);
}

export function applyOptions(req: ApiRequest): { manager: string; force: boolean } {
  const manager = req.query.get('fieldManager');
  if (!manager) throw errors.badRequest('PATCH with application/apply-patch+yaml requires the fieldManager parameter');
  const force = req.query.get('force');
  if (force !== null && force !== 'true' && force !== 'false') throw errors.badRequest(`force: invalid value "${force}": must be true or false`);
  return { manager, force: force === 'true' };
}

/** Server-side apply: creates the object when missing (the main resource only), else merges. */
async function applyObject(deps: RestDeps, req: ApiRequest): Promise<void> {
  const rt = req.resource;
  const { manager, force } = applyOptions(req);
  const applied = decodeObject(deps, req, APPLY_PATCH);
  matchUrlName(req, applied);
  checkFields(deps, req, rt, applied);
  const dryRun = dryRunQuery(req);
  const ssa = (current: KubeObject | undefined) => callPatch(() => deps.patch.serverSideApply(current, applied, { manager, force, rt }));
  for (let attempt = 0; ; attempt++) {
    const exists = await deps.store.get(rt, req.namespace, req.name!).then(
      () => true,
      (e: unknown) => {
        if (isStatusError(e, 'NotFound') && req.subresource === undefined) return false;
        throw e;
      },
    );
    try {
      if (!exists) {
        sendObject(deps, req, 201, await deps.store.create(rt, ssa(undefined), { dryRun }));
        return;
      }
      const updated = await casUpdate(deps.store, rt, req.namespace, req.name!, (current) => finishWrite(rt, req.subresource, current, ssa(current)), {
        dryRun,
      });
      sendObject(deps, req, 200, updated);
      return;
    } catch (e) {
      // Lost a race with another create/delete: decide again from the new state.
      const raced = (!exists && isStatusError(e, 'AlreadyExists')) || (exists && isStatusError(e, 'NotFound') && req.subresource === undefined);
      if (!raced || attempt >= 3) throw e;
    }
  }
}
