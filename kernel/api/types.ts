// Contracts between the parts of the API server: the HTTP layer (kernel/api/http) parses,
// authenticates and routes; the REST layer (kernel/api/rest) serves resource requests.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceType } from '../objects/registry.js';

export interface ApiUser {
  name: string;
  groups: string[];
}

export type ApiVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';

/** A request for a resource path: /api/v1/... or /apis/<group>/<version>/... */
export interface ApiRequest {
  method: string;
  verb: ApiVerb;
  resource: ResourceType;
  /** Version in the URL (the type's served version). */
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The request body, already read (at most the body limit); empty for GET/DELETE without body. */
  body: Buffer;
  user: ApiUser;
  /** For streaming answers (watch, logs) and upgrades (exec, attach, port-forward). */
  raw: IncomingMessage;
  res: ServerResponse;
}

/** Serves one resource request and writes the whole response to req.res (errors: throw StatusError). */
export type RestHandler = (req: ApiRequest) => Promise<void>;
