// The REST layer of the API server: serves one parsed resource request (kernel/api/types.ts
// ApiRequest) against the object store. Errors are thrown as StatusError; the HTTP layer turns
// them into Status responses.
import { StatusError } from '../../objects/status.js';
import type { ApiRequest, RestHandler } from '../types.js';
import { deleteCollection, deleteObject } from './delete.js';
import type { RestDeps } from './deps.js';
import { getObject, listObjects } from './read.js';
import { serveSubresource } from './subresources.js';
import { watchObjects } from './watch.js';
import { createObject, patchObject, updateObject } from './write.js';

export type { PatchFunctions, RestDeps, SubresourceHandler, TablePrinter, TableRequestOptions } from './deps.js';
export { negotiateOutput, type OutputFormat } from './negotiate.js';
export { toScale } from './subresources.js';

function requireName(req: ApiRequest): void {
  if (!req.name) throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${req.method} ${req.resource.resource})`);
}

export function createRestHandler(deps: RestDeps): RestHandler {
  return async (req) => {
    if (req.subresource !== undefined) {
      requireName(req);
      return serveSubresource(deps, req);
    }
    switch (req.verb) {
      case 'get':
        requireName(req);
        return getObject(deps, req);
      case 'list':
        return listObjects(deps, req);
      case 'watch':
        return watchObjects(deps, req);
      case 'create':
        return createObject(deps, req);
      case 'update':
        requireName(req);
        return updateObject(deps, req);
      case 'patch':
        requireName(req);
        return patchObject(deps, req);
      case 'delete':
        requireName(req);
        return deleteObject(deps, req);
      case 'deletecollection':
        return deleteCollection(deps, req);
      default:
        throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${req.method} ${req.resource.resource})`);
    }
  };
}
