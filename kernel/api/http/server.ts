// The API server's HTTPS listener: TLS from the data dir's PKI, bearer-token authentication,
// routing to discovery/OpenAPI/health/metrics or the RestHandler, and the kubeconfig for kubectl.
import { ServerResponse, type IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log.js';
import type { ResourceRegistry } from '../../objects/registry.js';
import type { RestHandler } from '../types.js';
import { createRequestListener } from './handler.js';
import { writeKubeconfig } from './kubeconfig.js';
import type { OpenApiProviders } from './openapi.js';
import { ensurePki } from './tls.js';

export interface ApiServerOptions {
  /** Holds `pki/` (CA, serving cert, admin token) and the `kubeconfig` written for kubectl. */
  dataDir: string;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 6443; 0 picks a free port. */
  port?: number;
  /** The resource types served (discovery and routing). */
  registry: ResourceRegistry;
  /** Serves every resource request (`/api/v1/...`, `/apis/<g>/<v>/...`) after parsing and authentication. */
  rest: RestHandler;
  /** prom-client registry: request metrics are registered here and served at /metrics. */
  metrics: Registry;
  logger: Logger;
  /** /readyz answers `ok` only while this is true. */
  ready: () => boolean;
  /** Why the server is not ready, shown by /readyz. */
  notReadyReason?: () => string;
  /** OpenAPI documents; without them /openapi/v2 and /openapi/v3 answer 200 with an empty body. */
  openapi?: OpenApiProviders;
  /** Request body limit in bytes; default 3 MiB. Larger bodies get 413. */
  maxBodyBytes?: number;
  /** Serve aggregated discovery (apidiscovery.k8s.io) when asked; default true. False forces clients onto the legacy per-group documents. */
  aggregatedDiscovery?: boolean;
  /** Extra DNS names for the serving certificate (only used when it is first created). */
  extraSans?: string[];
  /** Write `<dataDir>/kubeconfig` once listening; default true. */
  writeKubeconfig?: boolean;
}

export interface ApiServer {
  /** https://<host>:<port>, with 127.0.0.1 for a wildcard listen address. */
  url: string;
  port: number;
  kubeconfigPath: string;
  caCertPem: string;
  adminToken: string;
  /** Stops listening and cuts every open connection (watches, exec streams). */
  close(): Promise<void>;
}

function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const extraSans = [...(opts.extraSans ?? []), ...(isIP(host) ? [] : [host])];
  const pki = await ensurePki(opts.dataDir, extraSans);
  const listener = createRequestListener({ ...opts, adminToken: pki.adminToken });

  const server = createServer({ key: pki.keyPem, cert: pki.certPem });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', listener);
  // Upgrade requests (exec/attach/port-forward over WebSocket) go through the same routing with a
  // response bound to the raw socket, so errors are still answered as Status; a handler that
  // accepts the upgrade takes over `req.raw.socket` (e.g. ws `handleUpgrade(req.raw, req.raw.socket, Buffer.alloc(0), …)`).
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (head.length > 0) socket.unshift(head);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => socket.end());
    listener(req, res);
  });
  server.on('clientError', (err, socket) => {
    opts.logger.debug('client error', { err });
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 6443, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${clientHost(host)}:${port}`;
  const kubeconfigPath = join(opts.dataDir, 'kubeconfig');
  if (opts.writeKubeconfig !== false) {
    await writeKubeconfig(kubeconfigPath, { server: url, caCertPem: pki.caCertPem, token: pki.adminToken });
  }
  opts.logger.info('API server listening', { url, kubeconfig: kubeconfigPath });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    kubeconfigPath,
    caCertPem: pki.caCertPem,
    adminToken: pki.adminToken,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
