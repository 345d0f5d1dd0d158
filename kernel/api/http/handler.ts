// One request, start to end: parse the path, authenticate, read the body (bounded), route to the
// non-resource endpoints or the RestHandler, turn errors into Status, record metrics and a log line.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log.js';
import type { ResourceRegistry } from '../../objects/registry.js';
import { StatusError } from '../../objects/status.js';
import { discoveryResponse } from '../discovery/discovery.js';
import type { ApiUser, RestHandler } from '../types.js';
import { HEALTH_PATHS, isSelfReview, serveHealth, serveSelfReview, versionInfo, type Readiness } from './endpoints.js';
import { createApiMetrics, reportedVerb, type RequestLabels } from './metrics.js';
import { OpenApiRoutes, type OpenApiProviders } from './openapi.js';
import { protobufToJson } from './proto-decode.js';
import { PROTOBUF_CONTENT_TYPE, isProtobuf } from './protobuf.js';
import { isResourcePath, notFound, parseResourcePath, type ParsedResourcePath } from './paths.js';
import { sendError, sendJson, sendJsonCacheable } from './respond.js';

export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface RequestHandlerDeps extends Readiness {
  registry: ResourceRegistry;
  rest: RestHandler;
  metrics: Registry;
  logger: Logger;
  adminToken: string;
  openapi?: OpenApiProviders;
  maxBodyBytes?: number;
  aggregatedDiscovery?: boolean;
}

export const ADMIN_USER: ApiUser = { name: 'kite-admin', groups: ['system:masters', 'system:authenticated'] };

const unauthorized = () => new StatusError(401, 'Unauthorized', 'Unauthorized');
const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function tokenMatches(presented: string, expected: Buffer): boolean {
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function splitUrl(rawUrl: string): { pathname: string; query: URLSearchParams } {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  return { pathname: path.length > 1 ? path.replace(/\/+$/, '') || '/' : path, query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)) };
}

/** Reads the whole body, refusing (413) as soon as it is known to exceed `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => {
    // Keep reading (and discarding) what the client still sends, so it is not cut off mid-write
    // (EPIPE) before it reads the 413; a client that never stops is cut off after 10 s.
    req.resume();
    setTimeout(() => { if (!req.complete) req.socket.destroy(); }, 10_000).unref();
    return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
  };
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

/**
 * After refusing a body: answer, and drain the rest of it unread. The connection is not closed
 * while the client still writes: a close with unread data makes the kernel reset the connection,
 * and a client can lose the answer it has not read yet (seen as EPIPE without a 413).
 */
function abandonBody(req: IncomingMessage, _res: ServerResponse): void {
  req.resume();
  // A client that keeps sending long after the answer is cut off.
  setTimeout(() => { if (!req.complete) req.socket.destroy(); }, 10_000).unref();
}

/**
 * Kite speaks JSON only: protobuf bodies (kubectl's typed clients) are decoded to JSON here, and
 * protobuf is dropped from Accept, so the RestHandler only ever sees JSON requests.
 */
function asJsonRequest(headers: IncomingHttpHeaders, body: Buffer): { headers: IncomingHttpHeaders; body: Buffer } {
  const protobufBody = body.length > 0 && isProtobuf(headers['content-type']);
  const accept = headers.accept;
  const protobufAccept = accept?.includes(PROTOBUF_CONTENT_TYPE) ?? false;
  if (!protobufBody && !protobufAccept) return { headers, body };
  const out: IncomingHttpHeaders = { ...headers };
  if (protobufAccept) {
    const rest = accept!.split(',').map((t) => t.trim()).filter((t) => !t.startsWith(PROTOBUF_CONTENT_TYPE));
    out.accept = rest.length > 0 ? rest.join(', ') : 'application/json';
  }
  if (!protobufBody) return { headers: out, body };
  out['content-type'] = 'application/json';
  const json = Buffer.from(JSON.stringify(protobufToJson(body)));
  out['content-length'] = String(json.length);
  return { headers: out, body: json };
}

function labelsFor(method: string, parsed: ParsedResourcePath | undefined, contentType: string | undefined): RequestLabels {
  if (!parsed) return { verb: method, group: '', version: '', resource: '', subresource: '', scope: '' };
  const scope = parsed.name !== undefined ? 'resource' : parsed.namespace !== undefined ? 'namespace' : 'cluster';
  return {
    verb: reportedVerb(method, parsed.verb, contentType),
    group: parsed.resource.group,
    version: parsed.version,
    resource: parsed.resource.resource,
    subresource: parsed.subresource ?? '',
    scope,
  };
}

function isLongRunning(parsed: ParsedResourcePath | undefined, query: URLSearchParams): boolean {
  if (!parsed) return false;
  if (parsed.verb === 'watch' || parsed.verb === 'connect') return true;
  return parsed.subresource === 'log' && (query.get('follow') === 'true' || query.get('follow') === '1');
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export function createRequestListener(deps: RequestHandlerDeps): RequestListener {
  const metrics = createApiMetrics(deps.metrics);
  const openapi = new OpenApiRoutes(deps.openapi);
  const expectedToken = Buffer.from(deps.adminToken);
  const maxBody = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = deps.logger;

  const authenticate = (req: IncomingMessage): ApiUser => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (match && tokenMatches(match[1], expectedToken)) return ADMIN_USER;
    throw unauthorized();
  };

  const serveNonResource = async (req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${req.method} ${pathname})`);
    }
    if (pathname === '/version') return sendJson(res, 200, versionInfo());
    if (pathname === '/metrics') {
      const text = await deps.metrics.metrics();
      res.writeHead(200, { 'Content-Type': deps.metrics.contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (openapi.handle(req, res, pathname, query)) return;
    const discovery = discoveryResponse(deps.registry, pathname, req.headers.accept, deps.aggregatedDiscovery !== false);
    if (discovery) return sendJsonCacheable(req, res, discovery.body, discovery.contentType);
    throw notFound();
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const { pathname, query } = splitUrl(req.url ?? '/');
    let parsed: ParsedResourcePath | undefined;
    let routeError: unknown;
    if (isResourcePath(pathname)) {
      try {
        parsed = parseResourcePath(deps.registry, method, pathname, query);
      } catch (err) {
        routeError = err;
      }
    }
    const labels = labelsFor(method, parsed, req.headers['content-type']);
    const record = metrics.begin(isLongRunning(parsed, query), !READ_ONLY_METHODS.has(method));
    const started = Date.now();
    let userName = '';
    res.once('close', () => {
      // An accepted upgrade never writes through `res`: count it as 101 Switching Protocols.
      const code = !res.headersSent && req.headers.upgrade ? 101 : res.statusCode;
      record(labels, code);
      log.debug('request', { method, path: pathname, verb: labels.verb, code, ms: Date.now() - started, user: userName || undefined });
    });

    try {
      if (HEALTH_PATHS.has(pathname)) return serveHealth(res, pathname, deps);
      const user = authenticate(req);
      userName = user.name;
      if (routeError) throw routeError;
      if (!parsed) return await serveNonResource(req, res, pathname, query);
      // Streams and upgrades (exec, port-forward, proxy) own the request body themselves.
      let body: Buffer = Buffer.alloc(0);
      if (parsed.verb !== 'connect' && !req.headers.upgrade) {
        try {
          body = await readBody(req, maxBody);
        } catch (err) {
          abandonBody(req, res);
          throw err;
        }
      }
      const json = asJsonRequest(req.headers, body);
      if (isSelfReview(parsed.resource) && parsed.verb === 'create') return serveSelfReview(parsed.resource, res, json.body, user);
      await deps.rest({ method, ...parsed, query, headers: json.headers, body: json.body, user, raw: req, res });
    } catch (err) {
      if (!(err instanceof StatusError)) log.error('request failed', { method, path: pathname, err });
      sendError(res, err);
    }
  };

  return (req, res) => {
    serve(req, res).catch((err) => {
      log.error('request failed', { path: req.url, err });
      sendError(res, err);
    });
  };
}
