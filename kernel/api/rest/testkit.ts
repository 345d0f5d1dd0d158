// Test helpers for the REST layer: a plain-HTTP server that turns URLs into ApiRequests (a small
// stand-in for kernel/api/http routing) in front of createRestHandler, plus simple stand-ins for
// the injected patch / table / schema functions. Used by rest.test.ts only.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../log.js';
import { ResourceRegistry, type ResourceType } from '../../objects/registry.js';
import { errors } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import type { ObjectStore } from '../../store/types.js';
import { sendError } from '../http/respond.js';
import type { ApiVerb } from '../types.js';
import type { PatchFunctions, RestDeps, TablePrinter } from './deps.js';
import { createRestHandler } from './mod.js';

interface Teardownable {
  teardown(fn: () => unknown): void;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386 merge patch: the stand-in for every patch flavour in these tests. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export const standInPatch: PatchFunctions = {
  applyPatch: (_ct, original, body) => mergePatch(original, JSON.parse(body.toString('utf8'))) as KubeObject,
  serverSideApply: (current, applied, opts) => {
    const merged = mergePatch(current ?? {}, applied) as KubeObject;
    merged.metadata.managedFields = [{ manager: opts.manager, operation: 'Apply' }];
    return merged;
  },
};

export const standInTable: TablePrinter = (_rt, objects, opts) => ({
  kind: 'Table',
  apiVersion: opts.apiVersion ?? 'meta.k8s.io/v1',
  metadata: { resourceVersion: opts.resourceVersion, continue: opts.continue },
  columnDefinitions: opts.omitColumnDefinitions ? [] : [{ name: 'Name', type: 'string', format: 'name', description: '', priority: 0 }],
  rows: objects.map((o) => ({
    cells: [o.metadata.name],
    object: opts.includeObject === 'Metadata' ? { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } : opts.includeObject === 'Object' ? o : undefined,
  })),
});

const KNOWN_CONTAINER_FIELDS = ['name', 'image', 'command', 'args', 'env', 'ports'];

/** Knows only container fields of pods: enough to exercise fieldValidation. */
export function standInUnknownFields(rt: ResourceType, obj: unknown): string[] {
  if (rt.resource !== 'pods' || !isObject(obj) || !isObject(obj.spec) || !Array.isArray(obj.spec.containers)) return [];
  const out: string[] = [];
  obj.spec.containers.forEach((c, i) => {
    if (isObject(c)) for (const k of Object.keys(c)) if (!KNOWN_CONTAINER_FIELDS.includes(k)) out.push(`spec.containers[${i}].${k}`);
  });
  return out;
}

/** /api/v1/[namespaces/<ns>/]<resource>[/<name>[/<sub>]] and the /apis/<g>/<v>/... equivalent. */
function route(registry: ResourceRegistry, method: string, url: URL) {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const group = parts[0] === 'api' ? '' : parts[1]!;
  let rest = parts.slice(parts[0] === 'api' ? 2 : 3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resourceName, name, subresource] = rest;
  const resource = registry.byResource(group, resourceName ?? '');
  if (!resource) throw errors.notFound('resources', resourceName ?? '');
  const watch = url.searchParams.get('watch') === 'true';
  const verbs: Record<string, ApiVerb> = {
    GET: watch ? 'watch' : name ? 'get' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name ? 'delete' : 'deletecollection',
  };
  const verb: ApiVerb = ['exec', 'attach', 'portforward'].includes(subresource ?? '') ? 'connect' : verbs[method]!;
  return { resource, version: resource.version, verb, namespace, name, subresource };
}

export interface TestApi {
  url: string;
  registry: ResourceRegistry;
  server: Server;
}

export async function startRestServer(t: Teardownable, store: ObjectStore, extra: Partial<RestDeps> = {}): Promise<TestApi> {
  const registry = new ResourceRegistry();
  const handler = createRestHandler({
    store,
    registry,
    patch: standInPatch,
    toTable: standInTable,
    unknownFields: standInUnknownFields,
    logger: createLogger({ component: 'rest-test' }, 'error'),
    ...extra,
  });
  const server = createServer(async (raw, res) => {
    const chunks: Buffer[] = [];
    for await (const c of raw) chunks.push(c as Buffer);
    const url = new URL(raw.url ?? '/', 'http://localhost');
    try {
      const parsed = route(registry, raw.method ?? 'GET', url);
      await handler({ ...parsed, method: raw.method ?? 'GET', query: url.searchParams, headers: raw.headers, body: Buffer.concat(chunks), user: { name: 'test', groups: [] }, raw, res });
    } catch (e) {
      sendError(res, e);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, registry, server };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function call(api: TestApi, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const r = await fetch(api.url + path, init);
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: r.status, headers: r.headers, body: parsed };
}

/** A watch stream read line by line. */
export interface WatchReader {
  status: number;
  headers: Headers;
  /** The next event, or undefined when the stream ended. */
  next(): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): void;
}

export async function openWatch(api: TestApi, path: string, headers: Record<string, string> = {}): Promise<WatchReader> {
  const abort = new AbortController();
  const r = await fetch(api.url + path, { headers, signal: abort.signal });
  const reader = r.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    status: r.status,
    headers: r.headers,
    async next() {
      for (;;) {
        const nl = buffered.indexOf('\n');
        if (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) return JSON.parse(line);
          continue;
        }
        const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (chunk.done) return undefined;
        buffered += decoder.decode(chunk.value, { stream: true });
      }
    },
    close: () => abort.abort(),
  };
}
