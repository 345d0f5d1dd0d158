// Writing responses: JSON bodies and Kubernetes Status errors.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError, errors } from '../../objects/status.js';

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': data.length, 'Cache-Control': 'no-cache, private' });
  res.end(data);
}

/**
 * Like sendJson, with an ETag from the content and 304 Not Modified when the client already has
 * it (discovery documents: kubectl revalidates its cache instead of downloading them again).
 */
export function sendJsonCacheable(req: IncomingMessage, res: ServerResponse, body: unknown, contentType = 'application/json'): void {
  const data = Buffer.from(JSON.stringify(body));
  const etag = `"${createHash('sha256').update(contentType).update(data).digest('hex').slice(0, 32)}"`;
  const headers = { ETag: etag, 'Cache-Control': 'no-cache, private', Vary: 'Accept' };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': contentType, 'Content-Length': data.length });
  res.end(data);
}

/** Any thrown value becomes a Status; non-StatusErrors are 500 InternalError. */
export function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  return errors.internal(err instanceof Error ? err.message : String(err));
}

export function sendError(res: ServerResponse, err: unknown): void {
  const se = toStatusError(err);
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, se.code, se.toStatus());
}
