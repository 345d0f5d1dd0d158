// Server-side apply and field ownership. `metadata.managedFields` records, per manager and
// operation, the set of fields it owns (FieldsV1). An apply merges the configuration into the live
// object, fails on fields another manager owns with a different value (unless forced), and drops
// fields this manager applied before but no longer does and nobody else owns. Ordinary writes
// (`recordUpdate`) move ownership of the fields they change to their manager.
import { apiVersionOf, type ResourceType } from '../../objects/registry.js';
import { errors, StatusError, type StatusCause } from '../../objects/status.js';
import type { KubeObject, ManagedFieldsEntry } from '../../objects/types.js';
import { changedFields, fieldsOf, mergeApplied, removeFields } from './field-walk.js';
import { FieldSet, pathString, type FieldPath } from './fields-v1.js';
import { conflictsAllowedByLastApplied, KUBECTL_APPLY_MANAGER, syncLastApplied } from './last-applied.js';
import { schemaFor } from './merge-keys.js';
import { cloneJson, deepEqual, isObject, withoutNulls, type JsonObject } from './values.js';

export interface ApplyOptions {
  manager: string;
  force: boolean;
  rt: ResourceType;
  now?: Date;
}

interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
  /** Entries we cannot read (another fieldsType) are carried over untouched. */
  opaque?: ManagedFieldsEntry;
}

interface Conflict {
  owner: Owner;
  path: FieldPath;
}

const BEFORE_FIRST_APPLY = 'before-first-apply';

/** Fields the server sets itself; upstream never tracks their ownership. */
const UNTRACKED_META = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'];

/** The part of an object whose ownership is tracked by a write to `subresource`. */
function trackedView(obj: KubeObject | undefined, rt: ResourceType, subresource?: string): JsonObject {
  if (!obj) return {};
  if (subresource === 'status') return obj.status === undefined ? {} : { status: obj.status };
  const { apiVersion: _v, kind: _k, metadata, ...rest } = obj;
  const view: JsonObject = rest;
  // The main resource of a type with a status subresource ignores status (upstream reset fields).
  if (rt.subresources?.includes('status')) delete view.status;
  const meta: JsonObject = { ...(metadata ?? {}) };
  for (const k of UNTRACKED_META) delete meta[k];
  if (Object.keys(meta).length > 0) view.metadata = meta;
  return view;
}

function withoutManagedFields(o: KubeObject): KubeObject {
  const { managedFields: _m, ...metadata } = o.metadata;
  return { ...o, metadata };
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function readOwners(entries: ManagedFieldsEntry[] | undefined): Owner[] {
  return (entries ?? []).map((e) => {
    const owner: Owner = {
      manager: e.manager ?? '',
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: e.apiVersion,
      time: e.time,
      subresource: e.subresource,
      set: FieldSet.fromFieldsV1(e.fieldsV1),
    };
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') owner.opaque = cloneJson(e);
    return owner;
  });
}

function writeOwners(obj: KubeObject, owners: Owner[]): void {
  const entries = owners
    .filter((o) => o.opaque || !o.set.isEmpty())
    .sort(
      (a, b) =>
        cmp(a.operation, b.operation) || cmp(a.time ?? '', b.time ?? '') || cmp(a.manager, b.manager) || cmp(a.apiVersion ?? '', b.apiVersion ?? ''),
    )
    .map((o): ManagedFieldsEntry => {
      if (o.opaque) return o.opaque;
      const e: ManagedFieldsEntry = { manager: o.manager, operation: o.operation, apiVersion: o.apiVersion };
      if (o.time) e.time = o.time;
      e.fieldsType = 'FieldsV1';
      e.fieldsV1 = o.set.toFieldsV1();
      if (o.subresource) e.subresource = o.subresource;
      return e;
    });
  if (entries.length > 0) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How upstream names a manager in conflict messages. */
function describeOwner(o: Owner): string {
  let s = JSON.stringify(o.manager);
  if (o.subresource) s += ` with subresource ${JSON.stringify(o.subresource)}`;
  if (o.operation === 'Update') s += ` using ${o.apiVersion ?? ''}`;
  return s;
}

function conflictError(conflicts: Conflict[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeOwner(c.owner)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeOwner(conflicts[0].owner)}: ${pathString(conflicts[0].path)}`;
  } else {
    const byOwner = new Map<string, string[]>();
    for (const c of conflicts) {
      const name = describeOwner(c.owner);
      byOwner.set(name, [...(byOwner.get(name) ?? []), pathString(c.path)]);
    }
    const lines = [...byOwner.keys()].sort().flatMap((name) => [`conflicts with ${name}:`, ...byOwner.get(name)!.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

/**
 * Server-side apply of `applied` (the parsed apply configuration) onto `current` (undefined when
 * the object does not exist yet). Returns the new object with updated managedFields; the caller
 * stores it (and defaults/validates it like any write).
 */
export function serverSideApply(current: KubeObject | undefined, applied: KubeObject, opts: ApplyOptions): KubeObject {
  const { manager, rt } = opts;
  let force = opts.force;
  if (!manager) throw errors.badRequest('fieldManager is required for apply requests');
  if (!isObject(applied) || !isObject(applied.metadata)) throw errors.badRequest('the apply configuration must be an object with metadata');
  if (applied.metadata.managedFields !== undefined && applied.metadata.managedFields !== null) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  const schema = schemaFor(rt);
  const config = withoutNulls(applied) as KubeObject;
  // Like upstream's reset fields: an apply to the main resource does not touch status.
  if (rt.subresources?.includes('status')) delete config.status;
  const appliedSet = fieldsOf(trackedView(config, rt), schema, 'apply');
  // An existing object nobody tracked yet: its fields belong to a stand-in manager (upstream's
  // "before-first-apply"), so the first apply still reports what it would overwrite.
  if (current && !current.metadata.managedFields?.length) current = recordUpdate(undefined, current, BEFORE_FIRST_APPLY, rt, opts.now);
  const live = current ? cloneJson(current) : undefined;
  // A separate copy: pruning below edits `merged` in place and `live` must stay the before-image.
  const merged = mergeApplied(current ? cloneJson(current) : {}, config, schema) as KubeObject;

  const owners = readOwners(live?.metadata.managedFields);
  const isMine = (o: Owner) => o.manager === manager && o.operation === 'Apply' && !o.subresource;
  const mine = owners.find(isMine);
  const others = owners.filter((o) => !isMine(o));

  const changed = changedFields(trackedView(live, rt), trackedView(merged, rt), schema).intersection(appliedSet);
  let conflicts = others.flatMap((owner) => owner.set.intersection(changed).paths().map((path) => ({ owner, path })));
  if (conflicts.length > 0 && !force && manager === KUBECTL_APPLY_MANAGER) {
    // Taking over from client-side apply: fields its annotation still describes do not conflict.
    const allowed = conflictsAllowedByLastApplied(live, (o) => trackedView(o, rt), schema);
    if (allowed) conflicts = conflicts.filter((c) => !allowed.has(c.path));
    if (conflicts.length === 0) force = true;
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  if (force) for (const o of others) o.set = o.set.difference(changed);

  const ownedByOthers = others.reduce((acc, o) => acc.union(o.set), new FieldSet());
  const dropped = (mine?.set ?? new FieldSet()).difference(appliedSet).difference(ownedByOthers);
  removeFields(merged, dropped, ownedByOthers.union(appliedSet), schema);
  if (manager === KUBECTL_APPLY_MANAGER) syncLastApplied(merged, live, config);

  // Like upstream, the applier's time moves only when the apply changed something.
  const unchanged = live !== undefined && mine?.set.equals(appliedSet) && deepEqual(withoutManagedFields(live), withoutManagedFields(merged));
  const entry: Owner = mine ?? { manager, operation: 'Apply', set: appliedSet };
  entry.set = appliedSet;
  entry.apiVersion = apiVersionOf(rt);
  if (!unchanged || !entry.time) entry.time = rfc3339(opts.now ?? new Date());
  writeOwners(merged, mine ? owners : [...owners, entry]);
  return merged;
}

/**
 * Records an ordinary write (create, update, patch) by `manager`: it takes ownership of the fields
 * it changed, and removed fields leave every manager's set. Returns `updated` with new managedFields.
 */
export function recordUpdate(
  old: KubeObject | undefined,
  updated: KubeObject,
  manager: string,
  rt: ResourceType,
  now?: Date,
  subresource?: string,
): KubeObject {
  const result = cloneJson(updated);
  const sent = updated.metadata?.managedFields;
  const oldEntries = old?.metadata.managedFields;
  // `[{}]` resets ownership (upstream); `[]` or an unchanged list keeps what the server had.
  if (Array.isArray(sent) && sent.length === 1 && isObject(sent[0]) && Object.keys(sent[0]).length === 0) {
    delete result.metadata.managedFields;
    return result;
  }
  const kept = sent === undefined || sent.length === 0 || deepEqual(sent, oldEntries);
  const owners = readOwners(kept ? oldEntries : sent);

  const schema = schemaFor(rt);
  const before = trackedView(old, rt, subresource);
  const after = trackedView(updated, rt, subresource);
  const changed = changedFields(before, after, schema);
  if (changed.isEmpty() && kept) {
    if (oldEntries) result.metadata.managedFields = cloneJson(oldEntries);
    else delete result.metadata.managedFields;
    return result;
  }
  const removed = fieldsOf(before, schema, 'update').difference(fieldsOf(after, schema, 'update'));
  const gained = changed.difference(removed);

  const isMine = (o: Owner) => o.manager === manager && o.operation === 'Update' && (o.subresource ?? '') === (subresource ?? '');
  for (const o of owners) if (!isMine(o)) o.set = o.set.difference(changed);
  let mine = owners.find(isMine);
  if (!mine) owners.push((mine = { manager, operation: 'Update', set: new FieldSet(), subresource: subresource || undefined }));
  mine.set = mine.set.union(gained).difference(removed);
  mine.apiVersion = apiVersionOf(rt);
  if (!gained.isEmpty() || !mine.time) mine.time = rfc3339(now ?? new Date());
  writeOwners(result, capUpdaters(owners.filter((o) => o.opaque || !o.set.isEmpty())));
  return result;
}

const MAX_UPDATERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';

/** Like upstream, the oldest Update entries beyond ten fold into one "ancient-changes" entry. */
function capUpdaters(owners: Owner[]): Owner[] {
  const isBucket = (o: Owner) => o.manager === ANCIENT_CHANGES && o.operation === 'Update' && !o.subresource;
  const existing = owners.find(isBucket);
  const updaters = owners.filter((o) => o.operation === 'Update' && !o.opaque && !isBucket(o)).sort((a, b) => cmp(a.time ?? '', b.time ?? ''));
  if (updaters.length + (existing ? 1 : 0) <= MAX_UPDATERS) return owners;
  // Keep the newest MAX_UPDATERS - 1 updaters; the bucket is the last one.
  const fold = updaters.slice(0, updaters.length - (MAX_UPDATERS - 1));
  const bucket: Owner = existing ?? { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: fold[0].apiVersion, set: new FieldSet() };
  for (const o of fold) {
    bucket.set = bucket.set.union(o.set);
    if (cmp(o.time ?? '', bucket.time ?? '') > 0) bucket.time = o.time;
  }
  return [...owners.filter((o) => !fold.includes(o) && o !== existing), bucket];
}
