// Serving a type at a second API version than the one it is stored in (autoscaling/v1 beside the
// stored autoscaling/v2 HorizontalPodAutoscaler): the request body is converted to the stored
// version before the REST handler sees it, and the objects in its JSON answer (object, list,
// watch events) are converted back. Table and metadata-only answers pass through unchanged.
import type { IncomingHttpHeaders } from 'node:http';
import { apiVersionOf, type ResourceType } from '../../objects/registry.js';
import { unknownFields } from '../../objects/schema/unknown-fields.js';
import { StatusError, errors } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import type { ApiRequest, RestHandler } from '../types.js';
import { hpaV1ToV2, hpaV2ToV1 } from './autoscaling-v1.js';

interface Converter {
  /** A body in the served version to the stored one. */
  toStored(obj: Record<string, unknown>): KubeObject;
  /** A stored object to the served version. */
  fromStored(obj: Record<string, unknown>): KubeObject;
}

/** `<group>/<resource>@<served version>` → its converter. */
const converters: Record<string, Converter> = {
  'autoscaling/horizontalpodautoscalers@v1': { toStored: hpaV1ToV2, fromStored: hpaV2ToV1 },
};

/** Extra versions a stored type is served at (read by the path parser). */
export function convertedVersions(rt: Pick<ResourceType, 'group' | 'resource'>): string[] {
  const prefix = `${rt.group}/${rt.resource}@`;
  return Object.keys(converters).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
}

/** Fields a v1 patch may touch unconverted: they have the same path and meaning in both versions. */
const SHARED_SPEC_FIELDS = ['minReplicas', 'maxReplicas', 'scaleTargetRef'];

/**
 * A v1 patch is applied to the stored v2 object as it is, which is right only for fields both
 * versions share; any other patch is refused rather than applied to the wrong shape.
 */
function checkPatch(req: ApiRequest): void {
  let patch: unknown;
  try {
    patch = JSON.parse(req.body.toString('utf8'));
  } catch {
    return; // the REST handler reports the malformed body
  }
  const shared = (path: string[]) => path[0] === 'metadata' || (path[0] === 'spec' && (path.length === 1 ? false : SHARED_SPEC_FIELDS.includes(path[1]!)));
  let ok: boolean;
  if (Array.isArray(patch)) {
    ok = patch.every((op) => typeof op?.path === 'string' && shared(op.path.split('/').slice(1)) && (typeof op.from !== 'string' || shared(op.from.split('/').slice(1))));
  } else if (patch && typeof patch === 'object') {
    const top = patch as Record<string, unknown>;
    const spec = top.spec;
    ok = Object.keys(top).every((k) => k === 'metadata' || k === 'apiVersion' || k === 'kind' || k === 'spec')
      && (spec === undefined || (typeof spec === 'object' && spec !== null && Object.keys(spec).every((k) => SHARED_SPEC_FIELDS.includes(k))));
  } else ok = false;
  if (!ok) {
    throw new StatusError(415, 'UnsupportedMediaType', `this server applies autoscaling/${req.version} patches only to metadata and spec.${SHARED_SPEC_FIELDS.join('/')}: patch the autoscaling/${req.resource.version} form instead`);
  }
}

/**
 * fieldValidation against the served version's schema (the conversion drops fields it does not
 * know, so the REST handler's own check on the stored form cannot see them). Same answers as
 * rest/write.ts checkFields.
 */
function checkServedFields(req: ApiRequest, value: Record<string, unknown>): void {
  const mode = req.query.get('fieldValidation') || 'Warn';
  if (mode !== 'Strict' && mode !== 'Warn') return; // Ignore; bad values are reported by the REST handler
  const served = { group: req.resource.group, version: req.version, kind: req.resource.kind };
  const listed = unknownFields(served, value).map((f) => `unknown field "${f}"`);
  if (listed.length === 0) return;
  if (mode === 'Strict') throw errors.badRequest(`${served.kind} in version "${served.version}" cannot be handled as a ${served.kind}: strict decoding error: ${listed.join(', ')}`);
  req.res.setHeader('Warning', listed.map((w) => `299 - ${JSON.stringify(w)}`));
}

function convertBody(req: ApiRequest, converter: Converter): void {
  if (req.body.length === 0) return;
  if (req.method === 'PATCH') return checkPatch(req);
  if (req.method !== 'POST' && req.method !== 'PUT') return;
  let value: Record<string, unknown>;
  try {
    // Protobuf bodies were already decoded to JSON by the HTTP layer (http/handler.ts).
    value = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return; // the REST handler reports the malformed body
  }
  if (value?.kind === 'DeleteOptions' || typeof value !== 'object') return;
  checkServedFields(req, value);
  req.body = Buffer.from(JSON.stringify(converter.toStored(value)));
  const headers: IncomingHttpHeaders = { ...req.headers, 'content-type': 'application/json' };
  req.headers = headers;
}

function convertAnswer(value: Record<string, any>, converter: Converter, served: string, listKind: string): unknown { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!value || typeof value !== 'object') return value;
  if (value.kind === listKind && Array.isArray(value.items)) return { ...value, apiVersion: served, items: value.items.map((o: Record<string, unknown>) => converter.fromStored(o)) };
  // Watch events; BOOKMARKs carry only metadata and stay as they are.
  if (value.type && value.object && typeof value.object === 'object' && value.object.spec) return { ...value, object: converter.fromStored(value.object) };
  if (typeof value.kind === 'string' && value.kind !== 'Status' && value.kind !== 'Table' && !String(value.kind).startsWith('PartialObjectMetadata') && value.spec) return converter.fromStored(value);
  return value;
}

/** Rewrites the JSON the REST handler writes: whole answers at end(), watch events line by line. */
function interceptAnswer(req: ApiRequest, converter: Converter, served: string, listKind: string): void {
  const res = req.res;
  const origWriteHead = res.writeHead.bind(res) as (...a: unknown[]) => unknown;
  const origWrite = res.write.bind(res) as (...a: unknown[]) => boolean;
  const origEnd = res.end.bind(res) as (...a: unknown[]) => unknown;
  let head: unknown[] | undefined;
  let streaming = false;
  const chunks: Buffer[] = [];
  const convertText = (text: string) => {
    try {
      return JSON.stringify(convertAnswer(JSON.parse(text), converter, served, listKind));
    } catch {
      return text;
    }
  };
  (res as any).writeHead = (...args: unknown[]) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const headers = (args.find((a) => a && typeof a === 'object') ?? {}) as Record<string, unknown>;
    streaming = headers['Transfer-Encoding'] === 'chunked';
    if (streaming) return origWriteHead(...args);
    head = args;
    return res;
  };
  (res as any).write = (chunk: unknown, ...rest: unknown[]) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (streaming) {
      const lines = String(chunk).split('\n');
      return origWrite(lines.map((l) => (l.trim() ? convertText(l) : l)).join('\n'), ...rest);
    }
    chunks.push(Buffer.from(chunk as string));
    return true;
  };
  (res as any).end = (chunk?: unknown, ...rest: unknown[]) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (streaming) return typeof chunk === 'function' || chunk === undefined ? origEnd(chunk, ...rest) : origEnd(convertText(String(chunk)), ...rest);
    if (chunk !== undefined && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as string));
    const text = Buffer.concat(chunks).toString('utf8');
    const data = Buffer.from(text ? convertText(text) : '');
    if (head) {
      const [status, ...others] = head;
      const headers = { ...((others.find((a) => a && typeof a === 'object') ?? {}) as Record<string, unknown>) };
      if ('Content-Length' in headers) headers['Content-Length'] = data.length;
      origWriteHead(status, headers);
    } else if (!res.headersSent && res.getHeader('Content-Length') !== undefined) {
      res.setHeader('Content-Length', data.length);
    }
    return origEnd(data);
  };
}

/** Serves the converted versions of `converters`; everything else goes to `rest` untouched. */
export function withVersionConversion(rest: RestHandler): RestHandler {
  return async (req) => {
    const converter = req.version !== req.resource.version ? converters[`${req.resource.group}/${req.resource.resource}@${req.version}`] : undefined;
    if (!converter) return rest(req);
    convertBody(req, converter);
    const served = apiVersionOf({ group: req.resource.group, version: req.version });
    interceptAnswer(req, converter, served, req.resource.listKind);
    return rest({ ...req, version: req.resource.version });
  };
}
