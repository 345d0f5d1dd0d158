// /openapi/v2 and /openapi/v3: served from pluggable providers. Without a provider the server
// still answers 200 with an empty body, which makes kubectl apply/diff skip client-side schema
// validation instead of failing with "failed to download openapi" (see KUBECTL-COMPAT.md).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { notFound } from './paths.js';

/** A group-version path as the v3 index names it ("api/v1", "apis/apps/v1") → its OpenAPI v3 document. */
export type OpenApiV3Documents = Record<string, unknown> | Map<string, unknown>;

export interface OpenApiProviders {
  /** The OpenAPI v3 documents by group-version path; called on each index request (cheap or cached by the provider). */
  v3?: () => OpenApiV3Documents;
  /** The OpenAPI v2 document: an object (served as JSON) or a ready body with its content type. */
  v2?: () => object | { contentType: string; body: Buffer };
}

interface Serialized {
  body: Buffer;
  hash: string;
}

// kubectl asks with `…spec.v2@v1.0+protobuf`; the answer's type must parse as a MIME type, as upstream's does.
const PROTOBUF_V2_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const PROTOBUF_V2 = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

export class OpenApiRoutes {
  // Documents are usually static: serialize and hash each object once.
  private readonly serialized = new WeakMap<object, Serialized>();

  constructor(private readonly providers: OpenApiProviders = {}) {}

  private documents(): Map<string, unknown> {
    const docs = this.providers.v3?.();
    if (!docs) return new Map();
    return docs instanceof Map ? docs : new Map(Object.entries(docs));
  }

  private serialize(doc: unknown): Serialized {
    const cached = typeof doc === 'object' && doc !== null ? this.serialized.get(doc) : undefined;
    if (cached) return cached;
    const body = Buffer.isBuffer(doc) ? doc : Buffer.from(JSON.stringify(doc));
    const out = { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
    if (typeof doc === 'object' && doc !== null) this.serialized.set(doc, out);
    return out;
  }

  /** Serves `/openapi/...`; returns false when the path is not an OpenAPI path. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams): boolean {
    if (pathname === '/openapi/v2' || pathname === '/swagger.json') {
      this.serveV2(req, res);
      return true;
    }
    if (pathname === '/openapi/v3') {
      this.serveV3Index(res);
      return true;
    }
    if (pathname.startsWith('/openapi/v3/')) {
      this.serveV3Document(res, pathname.slice('/openapi/v3/'.length), query);
      return true;
    }
    return false;
  }

  private serveV2(req: IncomingMessage, res: ServerResponse): void {
    const doc = this.providers.v2?.();
    if (!doc) {
      const wantsProtobuf = (req.headers.accept ?? '').includes(PROTOBUF_V2_ACCEPT);
      send(res, 200, wantsProtobuf ? PROTOBUF_V2 : 'application/json', Buffer.alloc(0));
      return;
    }
    if ('contentType' in doc && Buffer.isBuffer((doc as { body?: unknown }).body)) {
      const ready = doc as { contentType: string; body: Buffer };
      send(res, 200, ready.contentType, ready.body);
      return;
    }
    send(res, 200, 'application/json', this.serialize(doc).body);
  }

  private serveV3Index(res: ServerResponse): void {
    if (!this.providers.v3) {
      send(res, 200, 'application/json', Buffer.alloc(0));
      return;
    }
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [gvPath, doc] of this.documents()) {
      paths[gvPath] = { serverRelativeURL: `/openapi/v3/${gvPath}?hash=${this.serialize(doc).hash}` };
    }
    send(res, 200, 'application/json', Buffer.from(JSON.stringify({ paths })));
  }

  private serveV3Document(res: ServerResponse, gvPath: string, query: URLSearchParams): void {
    const doc = this.documents().get(gvPath);
    if (doc === undefined) throw notFound();
    const { body, hash } = this.serialize(doc);
    // A URL carrying the current hash names immutable content, as upstream; anything else revalidates.
    const cache = query.get('hash') === hash ? 'public, immutable' : 'no-cache, private';
    send(res, 200, 'application/json', body, { ETag: `"${hash}"`, 'Cache-Control': cache });
  }
}

function send(res: ServerResponse, code: number, contentType: string, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': body.length, 'Cache-Control': 'no-cache, private', ...headers });
  res.end(body);
}
