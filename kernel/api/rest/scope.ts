// Which parts of an object a write may change. A status-like subresource owns some paths
// (`status`, `spec.finalizers` for namespaces/finalize, ...): writes through it change only those,
// and writes to the main resource keep them as stored, as kube-apiserver's strategies do.
import type { ResourceType } from '../../objects/registry.js';
import { StatusError, errors } from '../../objects/status.js';
import type { ObjectStore, WriteOptions } from '../../store/types.js';
import type { KubeObject } from '../../objects/types.js';
import { resourceKeyString } from '../../objects/types.js';

const OWNED_PATHS: Record<string, string[][]> = {
  status: [['status']],
  finalize: [['spec', 'finalizers']],
  ephemeralcontainers: [['spec', 'ephemeralContainers']],
};

/** Subresources whose writes are a projection of the parent object (GET/PUT/PATCH on it). */
export function isProjectedSubresource(subresource: string): boolean {
  return subresource in OWNED_PATHS;
}

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const part of path.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      if (value === undefined) return;
      cur[part] = {};
    }
    cur = cur[part] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

function copyPaths(from: KubeObject, into: KubeObject, paths: string[][]): void {
  for (const path of paths) setPath(into, path, structuredClone(getPath(from, path)));
}

/**
 * The object to store when `candidate` (a PUT body or a patched object) is written through
 * `subresource` (undefined: the main resource) onto `current`.
 */
export function scopeWrite(rt: ResourceType, subresource: string | undefined, current: KubeObject, candidate: KubeObject): KubeObject {
  if (subresource !== undefined) {
    const next = structuredClone(current);
    copyPaths(candidate, next, OWNED_PATHS[subresource] ?? []);
    return next;
  }
  const next = structuredClone(candidate);
  for (const sub of rt.subresources ?? []) copyPaths(current, next, OWNED_PATHS[sub] ?? []);
  return next;
}

/** A failed resourceVersion precondition; casUpdate re-checks it against a fresh read. */
class PreconditionConflict extends StatusError {}

/** A resourceVersion in the written object is a precondition: it must be the stored one. */
export function checkResourceVersion(rt: ResourceType, current: KubeObject, candidate: KubeObject): void {
  const wanted = candidate.metadata?.resourceVersion;
  if (wanted && wanted !== current.metadata.resourceVersion) {
    const e = errors.conflict(resourceKeyString(rt), current.metadata.name ?? '', 'the object has been modified; please apply your changes to the latest version and try again');
    throw new PreconditionConflict(e.code, e.reason, e.message, e.details);
  }
}

/**
 * store.guaranteedUpdate, except that a failed resourceVersion precondition is checked once more
 * against a strongly consistent read: the store may hand `mutate` a cached copy that lags behind
 * the version the client saw, and that must not be reported as a conflict.
 */
export async function casUpdate(
  store: ObjectStore,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
  mutate: (current: KubeObject) => KubeObject | undefined,
  opts: WriteOptions,
): Promise<KubeObject> {
  try {
    return await store.guaranteedUpdate(rt, namespace, name, mutate, opts);
  } catch (e) {
    if (!(e instanceof PreconditionConflict)) throw e;
    const current = await store.get(rt, namespace, name);
    const next = mutate(current);
    if (next === undefined) return current;
    next.metadata = { ...next.metadata, resourceVersion: current.metadata.resourceVersion };
    return store.update(rt, next, opts);
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Completes a write inside guaranteedUpdate: precondition, scoping, and "no change → no write"
 * (undefined), so an identical update keeps its resourceVersion and wakes no watcher, as upstream.
 */
export function finishWrite(
  rt: ResourceType,
  subresource: string | undefined,
  current: KubeObject,
  candidate: KubeObject,
  record: (old: KubeObject, next: KubeObject) => KubeObject = (_old, next) => next,
): KubeObject | undefined {
  checkResourceVersion(rt, current, candidate);
  const next = scopeWrite(rt, subresource, current, candidate);
  // Server-managed fields the store restores anyway; filled here so a no-op write compares equal.
  const stored = current.metadata;
  next.metadata = {
    ...next.metadata,
    uid: next.metadata.uid ?? stored.uid,
    creationTimestamp: stored.creationTimestamp,
    generation: stored.generation,
    deletionTimestamp: stored.deletionTimestamp,
    deletionGracePeriodSeconds: stored.deletionGracePeriodSeconds,
    resourceVersion: stored.resourceVersion,
  };
  return deepEqual(next, current) ? undefined : record(current, next);
}
