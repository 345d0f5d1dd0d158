// get and list: one object, or a List / Table / PartialObjectMetadataList of the selected objects.
import { apiVersionOf } from '../../objects/registry.js';
import { errors } from '../../objects/status.js';
import type { ApiRequest } from '../types.js';
import { sendJson } from '../http/respond.js';
import type { RestDeps } from './deps.js';
import { predicateFromQuery } from './filters.js';
import { includeObjectParam, negotiateOutput, partialMetadata, sendObject, withTypeMeta } from './negotiate.js';

export async function getObject(deps: RestDeps, req: ApiRequest): Promise<void> {
  const obj = await deps.store.get(req.resource, req.namespace, req.name!);
  sendObject(deps, req, 200, obj);
}

function limitParam(query: URLSearchParams): number | undefined {
  const raw = query.get('limit');
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`limit: Invalid value: "${raw}": must be a non-negative integer`);
  return n === 0 ? undefined : n;
}

export async function listObjects(deps: RestDeps, req: ApiRequest): Promise<void> {
  const rt = req.resource;
  const format = negotiateOutput(req.headers.accept);
  const includeObject = format.as === 'Table' ? includeObjectParam(req.query) : 'Metadata';
  const cont = req.query.get('continue') || undefined;
  const resourceVersion = req.query.get('resourceVersion') ?? undefined;
  if (cont && resourceVersion) throw errors.badRequest('specifying resource version is not allowed when using continue');
  const result = await deps.store.list(rt, {
    namespace: req.namespace,
    predicate: predicateFromQuery(rt, req.query),
    limit: limitParam(req.query),
    continue: cont,
    resourceVersion,
  });
  const items = result.items.map((o) => withTypeMeta(rt, o));
  const metadata = result.metadata;
  switch (format.as) {
    case 'Table':
      sendJson(
        req.res,
        200,
        deps.toTable(rt, items, {
          includeObject,
          apiVersion: format.apiVersion,
          resourceVersion: metadata.resourceVersion,
          continue: metadata.continue,
          remainingItemCount: metadata.remainingItemCount,
        }),
      );
      return;
    case 'PartialObjectMetadata':
      sendJson(req.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: format.apiVersion, metadata, items: items.map((o) => partialMetadata(format.apiVersion, o)) });
      return;
    default:
      sendJson(req.res, 200, { kind: rt.listKind, apiVersion: apiVersionOf(rt), metadata, items });
  }
}
