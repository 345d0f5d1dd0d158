// delete (DELETE on a name) and deletecollection (DELETE on a collection, with selectors).
import { errors, isStatusError } from '../../objects/status.js';
import { resourceKeyString, type KubeObject } from '../../objects/types.js';
import type { DeleteOptions as StoreDeleteOptions } from '../../store/types.js';
import { apiVersionOf } from '../../objects/registry.js';
import type { ApiRequest } from '../types.js';
import type { RestDeps } from './deps.js';
import { predicateFromQuery } from './filters.js';
import { decodeOptionalBody, sendObject, sendPlain, withTypeMeta } from './negotiate.js';
import { isDryRun } from './write.js';

/** The meta/v1 DeleteOptions fields Kite honours. */
interface DeleteOptionsBody {
  propagationPolicy?: string;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

/**
 * Store delete options from a DeleteOptions object (request body or Eviction.deleteOptions) and
 * the query parameters, which kubectl also uses (`propagationPolicy=Background`).
 * gracePeriodSeconds is recorded for the node agent's graceful termination; 0 on a pod skips it.
 */
export function deleteOptionsFrom(body: DeleteOptionsBody | undefined, query: URLSearchParams): StoreDeleteOptions {
  const opts = body ?? {};
  const policy = opts.propagationPolicy ?? query.get('propagationPolicy') ?? undefined;
  const orphanQuery = query.get('orphanDependents');
  const orphan = opts.orphanDependents ?? (orphanQuery === null ? undefined : orphanQuery === 'true');
  if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (policy !== undefined && orphan !== undefined) {
    throw errors.badRequest('orphanDependents: Invalid value: "...": Cannot both set OrphanDependents and PropagationPolicy');
  }
  const grace = opts.gracePeriodSeconds ?? (query.get('gracePeriodSeconds') === null ? undefined : Number(query.get('gracePeriodSeconds')));
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) {
    throw errors.badRequest(`gracePeriodSeconds: Invalid value: ${String(grace)}: must be greater than or equal to 0`);
  }
  const out: StoreDeleteOptions = {};
  if (policy === 'Foreground') out.addFinalizers = ['foregroundDeletion'];
  if (policy === 'Orphan' || orphan === true) out.addFinalizers = ['orphan'];
  if (grace !== undefined) out.gracePeriodSeconds = grace;
  if (opts.preconditions && (opts.preconditions.uid || opts.preconditions.resourceVersion)) out.preconditions = { ...opts.preconditions };
  const dryRun = isDryRun([...(opts.dryRun ?? []), ...query.getAll('dryRun').filter((v) => v !== '')]);
  if (dryRun) out.dryRun = true;
  return out;
}

function bodyOptions(deps: RestDeps, req: ApiRequest): DeleteOptionsBody | undefined {
  const body = decodeOptionalBody(deps, req);
  if (body === undefined) return undefined;
  if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw errors.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (DeleteOptions)`);
  return body as DeleteOptionsBody;
}

/** The Status kube-apiserver answers when an object is gone right away. */
export function deletedStatus(req: ApiRequest, obj: KubeObject): object {
  const rt = req.resource;
  const details: Record<string, string> = { name: obj.metadata.name ?? '', kind: rt.resource };
  if (rt.group) details.group = rt.group;
  if (obj.metadata.uid) details.uid = obj.metadata.uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

/** The node agent's finalizer: it stands for the kubelet's graceful termination of a pod. */
const NODE_AGENT_FINALIZER = 'kite.dev/node-agent';

/**
 * A pod deleted with gracePeriodSeconds=0 (`kubectl delete --force --grace-period=0`) is removed at
 * once, as upstream: the node agent's finalizer is dropped first (the agent then sees DELETED and
 * kills the containers without grace). Other finalizers still hold the pod. Returns the pod when
 * dropping the finalizer already removed it (it was Terminating with no other finalizer).
 */
async function skipGracefulTermination(deps: RestDeps, req: ApiRequest, name: string, opts: StoreDeleteOptions): Promise<KubeObject | undefined> {
  const rt = req.resource;
  if (rt.group !== '' || rt.resource !== 'pods' || opts.gracePeriodSeconds !== 0 || opts.dryRun) return undefined;
  let removed: KubeObject | undefined;
  try {
    await deps.store.guaranteedUpdate(rt, req.namespace, name, (cur) => {
      const finalizers = cur.metadata.finalizers ?? [];
      if (!finalizers.includes(NODE_AGENT_FINALIZER)) return undefined;
      if (opts.preconditions?.uid && opts.preconditions.uid !== cur.metadata.uid) return undefined;
      const next = structuredClone(cur);
      next.metadata.finalizers = finalizers.filter((f) => f !== NODE_AGENT_FINALIZER);
      if (cur.metadata.deletionTimestamp && next.metadata.finalizers.length === 0) removed = next;
      return next;
    });
  } catch (e) {
    if (!isStatusError(e, 'NotFound') || !removed) throw e;
  }
  return removed;
}

export async function deleteObject(deps: RestDeps, req: ApiRequest): Promise<void> {
  const opts = deleteOptionsFrom(bodyOptions(deps, req), req.query);
  const result = await deps.store.delete(req.resource, req.namespace, req.name!, opts);
  // Deleted first, then the agent's finalizer dropped: once deletionTimestamp is set the agent
  // never puts its finalizer back, so a force delete cannot race with it.
  const removed = result.deleted ? undefined : await skipGracefulTermination(deps, req, req.name!, opts);
  if (removed) return sendPlain(req, 200, deletedStatus(req, removed));
  // Kept by finalizers (Terminating): the object itself; removed: a Success Status.
  if (result.deleted) sendPlain(req, 200, deletedStatus(req, result.object));
  else sendObject(deps, req, 200, result.object);
}

/** Deletes every selected object; answers the List of what was deleted, as upstream. */
export async function deleteCollection(deps: RestDeps, req: ApiRequest): Promise<void> {
  const rt = req.resource;
  const opts = deleteOptionsFrom(bodyOptions(deps, req), req.query);
  const predicate = predicateFromQuery(rt, req.query);
  const listed = await deps.store.list(rt, { namespace: req.namespace, predicate });
  const deleted: KubeObject[] = [];
  for (const item of listed.items) {
    try {
      const result = await deps.store.delete(rt, item.metadata.namespace, item.metadata.name!, opts);
      const removed = result.deleted ? undefined : await skipGracefulTermination(deps, { ...req, namespace: item.metadata.namespace }, item.metadata.name!, opts);
      deleted.push(withTypeMeta(rt, removed ?? result.object));
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
      deps.logger.debug('deletecollection: already gone', { resource: resourceKeyString(rt), name: item.metadata.name });
    }
  }
  sendPlain(req, 200, { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: deps.store.currentResourceVersion() }, items: deleted });
}
