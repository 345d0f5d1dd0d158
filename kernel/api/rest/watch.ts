// watch: a chunked application/json stream, one `{"type":…,"object":…}` line per event. Objects
// are plain, Table-wrapped or PartialObjectMetadata, following the Accept header. The stream ends
// after timeoutSeconds (default: random 30–60 min, as upstream), on store errors (an ERROR event
// with the Status) or when the client goes away; the store watch is stopped in every case.
import type { ServerResponse } from 'node:http';
import { apiVersionOf } from '../../objects/registry.js';
import { errors, isStatusError } from '../../objects/status.js';
import type { KubeObject, WatchEvent } from '../../objects/types.js';
import type { Watch } from '../../store/types.js';
import type { ApiRequest } from '../types.js';
import { toStatusError } from '../http/respond.js';
import type { RestDeps } from './deps.js';
import { predicateFromQuery } from './filters.js';
import { includeObjectParam, negotiateOutput, partialMetadata, withTypeMeta, type OutputFormat } from './negotiate.js';

const MIN_DEFAULT_TIMEOUT_S = 30 * 60;

function timeoutMs(query: URLSearchParams): number {
  const raw = query.get('timeoutSeconds');
  if (raw === null || raw === '') return (MIN_DEFAULT_TIMEOUT_S + Math.random() * MIN_DEFAULT_TIMEOUT_S) * 1000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw errors.badRequest(`timeoutSeconds: Invalid value: "${raw}": must be a non-negative number`);
  return n * 1000;
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
}

/** Writes one line; waits while the socket's buffer is full (slow client) unless it closes. */
async function writeLine(res: ServerResponse, event: unknown): Promise<void> {
  if (res.destroyed || res.writableEnded) return;
  if (res.write(JSON.stringify(event) + '\n')) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Encodes one event's object in the negotiated representation. */
function eventEncoder(deps: RestDeps, req: ApiRequest, format: OutputFormat): (ev: WatchEvent) => unknown {
  const rt = req.resource;
  const includeObject = format.as === 'Table' ? includeObjectParam(req.query) : 'Metadata';
  let firstTable = true;
  return (ev) => {
    if (ev.type === 'ERROR') return ev;
    if (ev.type === 'BOOKMARK') {
      const metadata = { resourceVersion: ev.object.metadata.resourceVersion };
      if (format.as === 'Table') return { type: ev.type, object: { kind: 'Table', apiVersion: format.apiVersion, metadata, columnDefinitions: [], rows: [] } };
      if (format.as === 'PartialObjectMetadata') return { type: ev.type, object: { kind: 'PartialObjectMetadata', apiVersion: format.apiVersion, metadata } };
      return { type: ev.type, object: { kind: rt.kind, apiVersion: apiVersionOf(rt), metadata } };
    }
    const typed = withTypeMeta(rt, ev.object as KubeObject);
    if (format.as === 'Table') {
      const table = deps.toTable(rt, [typed], { includeObject, apiVersion: format.apiVersion, omitColumnDefinitions: !firstTable });
      firstTable = false;
      return { type: ev.type, object: table };
    }
    if (format.as === 'PartialObjectMetadata') return { type: ev.type, object: partialMetadata(format.apiVersion, typed) };
    return { type: ev.type, object: typed };
  };
}

export async function watchObjects(deps: RestDeps, req: ApiRequest): Promise<void> {
  const rt = req.resource;
  const format = negotiateOutput(req.headers.accept);
  const encode = eventEncoder(deps, req, format);
  const predicate = predicateFromQuery(rt, req.query, req.name);
  const limitMs = timeoutMs(req.query);
  const allowBookmarks = req.query.get('allowWatchBookmarks') === 'true';
  let watch: Watch;
  try {
    watch = await deps.store.watch(rt, {
      namespace: req.namespace,
      predicate,
      resourceVersion: req.query.get('resourceVersion') ?? undefined,
      allowBookmarks,
    });
  } catch (e) {
    // Upstream answers an expired resourceVersion inside a 200 stream, as one ERROR event.
    if (!isStatusError(e) || e.code !== 410) throw e;
    startStream(req.res);
    await writeLine(req.res, { type: 'ERROR', object: e.toStatus() });
    req.res.end();
    return;
  }
  const stop = () => watch.stop();
  req.res.on('close', stop);
  const timer = setTimeout(stop, limitMs);
  try {
    startStream(req.res);
    for await (const ev of watch) {
      if (req.res.destroyed) break;
      await writeLine(req.res, encode(ev));
    }
  } catch (e) {
    await writeLine(req.res, { type: 'ERROR', object: toStatusError(e).toStatus() });
  } finally {
    clearTimeout(timer);
    req.res.off('close', stop);
    watch.stop();
    if (!req.res.writableEnded) req.res.end();
  }
}
