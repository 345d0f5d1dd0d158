// Test helper: a plain HTTP server serving /<namespace>/<pod>?query through the API server's
// pods/log handler, and /exec/<namespace>/<pod> (also as WebSocket upgrades) through pods/exec,
// as the REST layer would call them (kernel/api/streams).
import { createServer, ServerResponse as NodeServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { podExecHandler, podLogHandler } from '../../kernel/api/streams/mod.js';
import { sendError } from '../../kernel/api/http/respond.js';
import type { Bus } from '../../kernel/bus/types.js';
import { createLogger } from '../../kernel/log.js';
import { builtinResources } from '../../kernel/objects/registry.js';
import type { ObjectStore } from '../../kernel/store/types.js';

export async function serveApiLogs(t: { teardown(fn: () => unknown): void }, store: ObjectStore, bus: Bus): Promise<string> {
  const pods = builtinResources.find((r) => r.resource === 'pods')!;
  const logger = createLogger({}, 'error');
  const serve = (raw: IncomingMessage, res: ServerResponse) => {
    const url = new URL(raw.url!, 'http://x');
    const parts = url.pathname.split('/').slice(1);
    const exec = parts[0] === 'exec';
    const [namespace, name] = exec ? parts.slice(1) : parts;
    const handler = exec ? podExecHandler : podLogHandler;
    handler(
      { method: raw.method ?? 'GET', verb: exec ? 'connect' : 'get', resource: pods, version: 'v1', namespace, name, subresource: exec ? 'exec' : 'log', query: url.searchParams, headers: raw.headers, body: Buffer.alloc(0), user: { name: 'test', groups: [] }, raw, res },
      { store, bus, logger },
    ).catch((e: unknown) => (res.headersSent ? res.end() : sendError(res, e)));
  };
  const server = createServer(serve);
  // Upgrades carry no ServerResponse; errors before the upgrade are written on the socket by one.
  server.on('upgrade', (raw: IncomingMessage) => serve(raw, new ServerResponseOnSocket(raw)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

class ServerResponseOnSocket extends NodeServerResponse {
  constructor(req: IncomingMessage) {
    super(req);
    this.assignSocket(req.socket);
  }
}
