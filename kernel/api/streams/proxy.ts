// nodes/<node>/proxy/..., pods/<pod>/proxy/... and services/<svc>/proxy/... (to one ready endpoint
// pod) on the API server: the HTTP request (method,
// path, query, end-to-end headers, body) is relayed over one bus stream to the node agent
// (`kite.node.<node>.proxy`), which answers from its kubelet endpoints or makes the request to the
// pod; status, headers and body come back the same way. Bodies stream both ways through the
// credit-based PortForwardPipe (at most 1 MiB in flight per direction): nothing is buffered whole.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bus } from '../../bus/types.js';
import { subjects } from '../../bus/types.js';
import { StatusError, errors } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import type { SubresourceHandler } from '../rest/deps.js';
import type { ApiRequest } from '../types.js';
import { PortForwardPipe } from './pipe.js';
import { PROXY_CALL, endToEndHeaders, type ProxyPodTarget, type ProxyResponseHead, type ProxyStreamRequest } from './protocol.js';

/** Larger client chunks are split so one bus message stays well under NATS's 1 MiB payload limit. */
const MAX_FRAME_BYTES = 256 * 1024;

interface PodShape extends KubeObject {
  spec?: { nodeName?: string; containers?: Array<{ name: string; ports?: Array<{ name?: string; containerPort: number }> }> };
  status?: { phase?: string };
}

const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);
/** kube-apiserver's words when the proxied target cannot be reached. */
const unreachable = (why: string) => errors.unavailable(`error trying to reach service: ${why}`);

/** `[scheme:]name[:port]` as upstream splits a proxy id (SplitSchemeNamePort). */
export function splitSchemeNamePort(id: string): { scheme: 'http' | 'https' | ''; name: string; port: string } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (!name || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) return undefined;
  return { scheme: scheme as 'http' | 'https' | '', name, port };
}

/**
 * The request URL split at `<resource>/<name>/proxy`: `prefix` up to and including `/proxy`, `path`
 * the rest (always starting with `/`) with the query, both kept as the client encoded them.
 */
export function proxiedPath(rawUrl: string, resource: string): { prefix: string; path: string } {
  const q = rawUrl.indexOf('?');
  const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q);
  const segments = pathname.split('/');
  for (let i = 2; i < segments.length; i++) {
    if (segments[i] === 'proxy' && segments[i - 2] === resource) {
      return { prefix: segments.slice(0, i + 1).join('/'), path: `/${segments.slice(i + 1).join('/')}${query}` };
    }
  }
  return { prefix: pathname, path: `/${query}` };
}

/**
 * Response headers for the client: hop-by-hop ones dropped, and a redirect to a path on the target
 * (`Location: /login`) made a path under the proxy again, as upstream's proxy transport does.
 */
export function clientHeaders(headers: Record<string, string | string[]>, prefix: string): Record<string, string | string[]> {
  const out = endToEndHeaders(headers);
  const location = out.location;
  if (typeof location === 'string' && location.startsWith('/') && !location.startsWith('//')) out.location = prefix + location;
  return out;
}

/** The port to reach in the pod: a number, a container port name, else the first container port, else 80. */
export function podPort(pod: PodShape, port: string): number {
  const ports = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  if (port === '') return ports[0]?.containerPort ?? 80;
  if (/^\d+$/.test(port)) {
    const n = Number(port);
    if (n >= 1 && n <= 65535) return n;
    throw badRequest(`invalid port ${port}: must be between 1 and 65535`);
  }
  const named = ports.find((p) => p.name === port);
  if (!named) throw unreachable(`pod ${pod.metadata.name} has no container port named "${port}"`);
  return named.containerPort;
}

function clientAddress(raw: IncomingMessage): string | undefined {
  const address = raw.socket.remoteAddress;
  const prior = raw.headers['x-forwarded-for'];
  if (!address) return undefined;
  return prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${address}` : address;
}

/**
 * What the node gets: the request as the client sent it, minus our credentials and hop-by-hop
 * headers, plus the X-Forwarded-* headers upstream's proxy transport sets.
 */
function proxyRequest(req: ApiRequest, resource: string, pod?: ProxyPodTarget): { init: ProxyStreamRequest; prefix: string } {
  const { prefix, path } = proxiedPath(req.raw.url ?? '/', resource);
  const headers = endToEndHeaders(req.raw.headers, ['authorization', 'host', 'x-forwarded-for']);
  const forwardedFor = clientAddress(req.raw);
  if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;
  headers['x-forwarded-uri'] = prefix + path;
  if (req.raw.headers.host) headers['x-forwarded-host'] = req.raw.headers.host;
  headers['x-forwarded-proto'] = 'https';
  return { init: { method: req.method, path, headers, ...(pod ? { pod } : {}) }, prefix };
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** Sends the client's body to the node with back-pressure: the client is paused while the node is behind. */
function pumpRequestBody(raw: IncomingMessage, pipe: PortForwardPipe): void {
  raw.on('data', (chunk: Buffer) => {
    for (let at = 0; at < chunk.length; at += MAX_FRAME_BYTES) {
      if (!pipe.send(chunk.subarray(at, at + MAX_FRAME_BYTES))) {
        raw.pause();
        void pipe.whenWritable().then(() => raw.resume());
      }
    }
  });
  raw.once('end', () => pipe.finish());
}

/** Opens the proxy stream to `nodeName`, relays the request and writes the node's answer to the client. */
async function relay(req: ApiRequest, bus: Bus | undefined, nodeName: string, { init, prefix }: { init: ProxyStreamRequest; prefix: string }, describeTarget: string): Promise<void> {
  if (req.raw.headers.upgrade) throw badRequest(`proxying upgrade requests (${String(req.raw.headers.upgrade)}) to ${describeTarget} is not supported`);
  if (!bus) throw unreachable(`no event bus to reach the node agent of node "${nodeName}"`);
  let stream;
  try {
    stream = await bus.openStream(subjects.node(nodeName, PROXY_CALL), init, { timeoutMs: 5000 });
  } catch (e) {
    throw unreachable(`the node agent of node "${nodeName}" does not answer (${(e as Error).message})`);
  }
  const pipe = new PortForwardPipe(stream);
  const res = req.res;
  // The client went away before the answer was complete: the node stops too.
  const clientGone = () => { if (!res.writableFinished) pipe.end(); };
  res.once('close', clientGone);
  pumpRequestBody(req.raw, pipe);
  let head: ProxyResponseHead | undefined;
  let complete = false;
  try {
    await pipe.receive(
      async (data) => {
        if (!head) {
          head = JSON.parse(Buffer.from(data).toString()) as ProxyResponseHead;
          res.writeHead(head.status, clientHeaders(head.headers, prefix));
          return;
        }
        if (!res.write(data)) await waitForDrain(res);
      },
      () => { complete = true; res.end(); },
    );
  } catch (e) {
    if (!head) throw unreachable((e as Error).message);
    // The target failed mid-answer: cut the connection so the client sees a truncated body.
    res.destroy();
    return;
  } finally {
    res.off('close', clientGone);
    pipe.end();
  }
  if (!head) throw unreachable(`the node agent of node "${nodeName}" ended the answer without a status`);
  // Ended without the end-of-body mark (the agent stopped): a truncated answer must not look whole.
  if (!complete) res.destroy();
}

export const nodeProxyHandler: SubresourceHandler = async (req, { store, bus }) => {
  const id = splitSchemeNamePort(req.name!);
  if (!id) throw badRequest(`invalid node request "${req.name}"`);
  // The port a kubelet would listen on is meaningless here: the agent answers on the bus.
  await store.get(req.resource, undefined, id.name);
  await relay(req, bus, id.name, proxyRequest(req, 'nodes'), `node ${id.name}`);
};

export const podProxyHandler: SubresourceHandler = async (req, { store, bus }) => {
  const id = splitSchemeNamePort(req.name!);
  if (!id) throw badRequest(`invalid pod request "${req.name}"`);
  const pod = await store.get<PodShape>(req.resource, req.namespace, id.name);
  const phase = pod.status?.phase ?? 'Pending';
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw unreachable(`pod ${id.name} is not scheduled to a node yet`);
  if (phase !== 'Running') throw unreachable(`pod ${id.name} is not running (phase ${phase})`);
  const target: ProxyPodTarget = {
    namespace: pod.metadata.namespace ?? req.namespace ?? 'default',
    name: id.name,
    ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
    port: podPort(pod, id.port),
    scheme: id.scheme || 'http',
  };
  await relay(req, bus, nodeName, proxyRequest(req, 'pods', target), `pod ${id.name}`);
};

interface ServiceShape extends KubeObject {
  spec?: { ports?: Array<{ name?: string; port: number }> };
}

interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

interface EndpointsShape extends KubeObject {
  subsets?: Array<{ addresses?: EndpointAddress[]; ports?: Array<{ name?: string; port: number }> }>;
}

const ENDPOINTS = { group: '', resource: 'endpoints', namespaced: true } as const;
const PODS = { group: '', resource: 'pods', namespaced: true } as const;

/**
 * A ready endpoint pod of the service for the given service port (name; a number is first turned
 * into the port's name), chosen at random as upstream does; its node agent reaches it.
 */
export function pickEndpoint(svc: ServiceShape, endpoints: EndpointsShape, portId: string, random = Math.random): { address: EndpointAddress; port: number } {
  const name = svc.metadata.name!;
  let portName = portId;
  if (/^\d+$/.test(portId)) {
    const declared = (svc.spec?.ports ?? []).find((p) => p.port === Number(portId));
    if (!declared) throw errors.unavailable(`no service port ${portId} found for service "${name}"`);
    portName = declared.name ?? '';
  }
  const subsets = (endpoints.subsets ?? []).filter((ss) => (ss.addresses ?? []).some((a) => a.targetRef?.kind === 'Pod' && a.nodeName));
  const start = Math.floor(random() * subsets.length);
  for (let i = 0; i < subsets.length; i++) {
    const ss = subsets[(start + i) % subsets.length]!;
    const port = (ss.ports ?? []).find((p) => (p.name ?? '') === portName);
    if (!port) continue;
    const candidates = (ss.addresses ?? []).filter((a) => a.targetRef?.kind === 'Pod' && a.nodeName);
    return { address: candidates[Math.floor(random() * candidates.length)]!, port: port.port };
  }
  throw errors.unavailable(`no endpoints available for service "${name}"`);
}

export const serviceProxyHandler: SubresourceHandler = async (req, { store, bus }) => {
  const id = splitSchemeNamePort(req.name!);
  if (!id) throw badRequest(`invalid service request "${req.name}"`);
  const svc = await store.get<ServiceShape>(req.resource, req.namespace, id.name);
  let endpoints: EndpointsShape;
  try {
    endpoints = await store.get<EndpointsShape>(ENDPOINTS, req.namespace, id.name);
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) throw errors.unavailable(`no endpoints available for service "${id.name}"`);
    throw e;
  }
  const { address, port } = pickEndpoint(svc, endpoints, id.port);
  const ref = address.targetRef!;
  const target: ProxyPodTarget = {
    namespace: ref.namespace ?? req.namespace ?? 'default',
    name: ref.name!,
    ...(ref.uid ? { uid: ref.uid } : {}),
    port,
    scheme: id.scheme || 'http',
  };
  // The pod must still be there (the Endpoints may lag behind a deletion).
  await store.get(PODS, target.namespace, target.name).catch(() => { throw errors.unavailable(`no endpoints available for service "${id.name}"`); });
  await relay(req, bus, address.nodeName!, proxyRequest(req, 'services', target), `service ${id.name}`);
};
