// Serves `kite.node.<node>.proxy` bus streams (the node side of the API server's nodes/<node>/proxy
// and pods/<pod>/proxy): one HTTP request each. Without a pod target the agent answers from its
// kubelet endpoints; with one it makes the request to the pod — to the pod's IP when it has one
// (host-network pods: the node's), else to localhost in the pod's network namespace through the
// port-forward relay — and streams the answer back. Frames: PortForwardPipe both ways, the first
// one back is the JSON response head (kernel/api/streams/protocol.ts, ProxyStreamRequest).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Bus, BusSubscription } from '../../kernel/bus/types.js';
import { subjects } from '../../kernel/bus/types.js';
import { PortForwardPipe } from '../../kernel/api/streams/pipe.js';
import { PROXY_CALL, endToEndHeaders, type ProxyPodTarget, type ProxyResponseHead, type ProxyStreamRequest } from '../../kernel/api/streams/protocol.js';
import { dialError, joinHostPort } from './dial-error.js';
import type { KubeletEndpoints } from './kubelet-endpoints.js';
import type { PodWorker } from './pod-worker.js';
import type { PortForwarder } from './portforward.js';
import type { ContainerRuntime } from './runtime.js';

/** One bus message stays well under NATS's 1 MiB payload limit. */
const MAX_FRAME_BYTES = 256 * 1024;
const DIAL_TIMEOUT_MS = 30_000;

export interface ProxyDeps {
  bus: Bus;
  nodeName: string;
  endpoints: KubeletEndpoints;
  runtime: ContainerRuntime;
  portForwarder: PortForwarder;
  findPod(namespace: string, name: string): PodWorker | undefined;
}

function sendHead(pipe: PortForwardPipe, head: ProxyResponseHead): void {
  pipe.send(Buffer.from(JSON.stringify(head)));
}

/** Sends `body` in frames, waiting for credit whenever the API server is a window behind. */
async function sendBody(pipe: PortForwardPipe, body: Buffer): Promise<void> {
  for (let at = 0; at < body.length; at += MAX_FRAME_BYTES) {
    if (!pipe.send(body.subarray(at, at + MAX_FRAME_BYTES))) await pipe.whenWritable();
  }
}

/** A TCP connection, failing with Go's dial words (kube-apiserver shows them after "error trying to reach service: "). */
function dialTcp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    const timer = setTimeout(() => { socket.destroy(); reject(dialError(host, port, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }))); }, DIAL_TIMEOUT_MS);
    socket.once('connect', () => { clearTimeout(timer); socket.off('error', onError); resolve(socket); });
    const onError = (e: Error) => { clearTimeout(timer); reject(dialError(host, port, e)); };
    socket.once('error', onError);
  });
}

/**
 * A connection to the pod's port, and the Host header that names it. A pod with a network namespace
 * is dialled from inside it (through the port-forward relay): at its own IP, which always routes
 * there, whatever the node's routing table holds (several Kites on one host, or a leftover bridge,
 * give the host several routes to one pod CIDR), or at localhost when it has only loopback.
 * Host-network pods are dialled at the node's address.
 */
async function connectToPod(deps: ProxyDeps, worker: PodWorker, target: ProxyPodTarget): Promise<{ socket: Socket; host: string }> {
  const pod = worker.current;
  const sandbox = (await deps.runtime.listSandboxes()).find((s) => s.podUid === worker.uid);
  if (!sandbox?.ready) throw new Error(`pod ${target.name} has no running sandbox on node ${deps.nodeName}`);
  const ip = sandbox.ip ?? (pod.spec.hostNetwork ? pod.status?.podIP : undefined);
  const hostHeader = (h: string) => joinHostPort(h, target.port);
  if (sandbox.netnsPath) {
    // Paused by the relay handshake; the HTTP client resumes it once it reads (see answerFromPod).
    const socket = await deps.portForwarder.dial(worker.uid, sandbox.netnsPath, target.port, ip);
    return { socket, host: hostHeader(ip ?? 'localhost') };
  }
  if (ip) return { socket: await dialTcp(ip, target.port), host: hostHeader(ip) };
  throw new Error(`pod ${target.name} has no network on node ${deps.nodeName} (no IP and no network namespace)`);
}

/** The agent's own endpoints: the request body is read and dropped, the answer is small and in memory. */
async function answerLocally(deps: ProxyDeps, pipe: PortForwardPipe, req: ProxyStreamRequest): Promise<void> {
  void pipe.receive(() => undefined, () => undefined).catch(() => undefined);
  const out = await deps.endpoints.answer(req.method, req.path);
  sendHead(pipe, { status: out.status, headers: out.headers });
  await sendBody(pipe, out.body);
  pipe.finish();
  pipe.end();
}

/** Makes the request to the pod and relays both bodies; settles when the answer is complete. */
async function answerFromPod(deps: ProxyDeps, pipe: PortForwardPipe, req: ProxyStreamRequest, target: ProxyPodTarget): Promise<void> {
  const worker = deps.findPod(target.namespace, target.name);
  if (!worker || (target.uid && worker.uid !== target.uid)) throw new Error(`pod ${target.name} not found on node ${deps.nodeName}`);
  const { socket, host } = await connectToPod(deps, worker, target);
  // The HTTP client (or TLS) reports the connection's failures; this keeps a late one from throwing.
  socket.on('error', () => undefined);
  if (target.scheme === 'https') socket.resume();
  // kube-apiserver does not verify pods' serving certificates either (its proxy transport skips it).
  const transport: Duplex = target.scheme === 'https' ? tlsConnect({ socket, rejectUnauthorized: false }) : socket;
  // Lenient parsing as Go's client (upstream's proxy) is: CGI servers such as busybox httpd end
  // header lines with a bare LF, which Node's strict parser refuses.
  const outgoing = httpRequest({ method: req.method, path: req.path, headers: { ...req.headers, host }, insecureHTTPParser: true, createConnection: () => transport as Socket });
  outgoing.once('socket', () => socket.resume());
  let headSent = false;
  const brokeOff = (why: string) => pipe.fail(`the answer of pod ${target.name} broke off: ${why}`);
  const answered = new Promise<void>((resolve, reject) => {
    outgoing.on('error', (e) => { if (headSent) { brokeOff(e.message); resolve(); } else reject(e); });
    outgoing.once('response', (res: IncomingMessage) => {
      headSent = true;
      sendHead(pipe, { status: res.statusCode ?? 502, headers: endToEndHeaders(res.headers) });
      res.on('data', (chunk: Buffer) => {
        for (let at = 0; at < chunk.length; at += MAX_FRAME_BYTES) {
          if (!pipe.send(chunk.subarray(at, at + MAX_FRAME_BYTES))) {
            res.pause();
            void pipe.whenWritable().then(() => res.resume());
          }
        }
      });
      let complete = false;
      res.once('end', () => { complete = true; pipe.finish(); resolve(); });
      res.on('error', () => undefined);
      res.once('close', () => { if (!complete) { brokeOff('the connection closed'); resolve(); } });
    });
  });
  // The API server's side: the request body, then its end; its leaving aborts the request.
  const clientDone = pipe.receive(
    (data) => new Promise<void>((resolve) => {
      if (outgoing.destroyed || outgoing.write(data)) return resolve();
      const done = () => { outgoing.off('drain', done); outgoing.off('close', done); resolve(); };
      outgoing.once('drain', done);
      outgoing.once('close', done);
    }),
    () => outgoing.end(),
  ).catch(() => undefined);
  void clientDone.then(() => { if (!outgoing.writableEnded || !headSent) outgoing.destroy(); });
  try {
    await answered;
  } finally {
    transport.destroy();
  }
  pipe.end();
}

export function serveProxy(deps: ProxyDeps): BusSubscription {
  return deps.bus.serveStreams(subjects.node(deps.nodeName, PROXY_CALL), async (stream, init) => {
    const req = init.json<ProxyStreamRequest>();
    const pipe = new PortForwardPipe(stream);
    if (!req.pod) return answerLocally(deps, pipe, req);
    await answerFromPod(deps, pipe, req, req.pod);
  });
}
