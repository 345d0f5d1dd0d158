// pods/portforward on the API server. kubectl 1.32 first asks for a WebSocket with subprotocol
// `SPDY/3.1+portforward.k8s.io` (SPDY frames inside binary messages) and falls back to a plain
// `Upgrade: SPDY/3.1` with `X-Stream-Protocol-Version: portforward.k8s.io`; both end in the same
// SPDY session. Per forwarded connection kubectl opens an `error` and a `data` stream sharing a
// `requestid`; each pair becomes one bus stream to the pod's node (`kite.node.<node>.portforward`),
// which connects to localhost:<port> inside the pod's network namespace.
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bus } from '../../bus/types.js';
import { subjects } from '../../bus/types.js';
import type { Logger } from '../../log.js';
import { StatusError, errors } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import type { SubresourceHandler } from '../rest/deps.js';
import { PortForwardPipe } from './pipe.js';
import { PORTFORWARD_CALL, type PortForwardStreamRequest } from './protocol.js';
import { SpdySession, type SpdyStream, type SpdyTransport } from './spdy.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const TUNNELED_PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
/** Bytes queued on the client connection before frames wait for it to drain. */
const TRANSPORT_HIGH_WATER = 256 * 1024;

interface PodShape extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);

// The ws library refuses subprotocol names with '/', which this one has: the header is taken off
// the request before ws sees it and the chosen protocol is put back into the 101 answer.
const tunnelUpgrader = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const tunnelRequests = new WeakSet<object>();
tunnelUpgrader.on('headers', (headers, req) => {
  if (tunnelRequests.has(req)) headers.push(`Sec-WebSocket-Protocol: ${TUNNELED_PORT_FORWARD_PROTOCOL}`);
});

function offeredProtocols(header: string | string[] | undefined): string[] {
  return (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((p) => p.trim()).filter(Boolean);
}

/** A transport over the upgraded socket itself (SPDY/3.1 over HTTP/1.1 Upgrade). */
function socketTransport(socket: Duplex): { transport: SpdyTransport; pause(): void; resume(): void } {
  return {
    transport: {
      write: (frame) => socket.write(frame),
      onDrain: (listener) => socket.on('drain', listener),
      close: () => socket.end(),
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

/** A transport over WebSocket binary messages; back-pressure by the bytes ws has not yet written. */
function websocketTransport(ws: WebSocket): { transport: SpdyTransport; pause(): void; resume(): void } {
  const drainListeners: Array<() => void> = [];
  let queued = 0;
  return {
    transport: {
      write: (frame) => {
        queued += frame.length;
        ws.send(frame, { binary: true }, () => {
          const wasFull = queued >= TRANSPORT_HIGH_WATER;
          queued -= frame.length;
          if (wasFull && queued < TRANSPORT_HIGH_WATER) for (const l of drainListeners) l();
        });
        return queued < TRANSPORT_HIGH_WATER;
      },
      onDrain: (listener) => drainListeners.push(listener),
      close: () => ws.close(1000),
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  };
}

interface StreamPair {
  error?: SpdyStream;
  data?: SpdyStream;
}

/** Serves one SPDY session: pairs kubectl's streams by request id and forwards each pair. */
export function servePortForwardSession(
  session: SpdySession,
  flow: { pause(): void; resume(): void },
  target: { bus: Bus; nodeName: string; request: Omit<PortForwardStreamRequest, 'port'> },
  logger?: Logger,
): void {
  const pairs = new Map<string, StreamPair>();
  let paused = 0;
  const hold = () => { if (paused++ === 0) flow.pause(); };
  const release = () => { if (--paused === 0) flow.resume(); };

  session.on('error', (e: Error) => logger?.debug('port-forward session error', { error: e }));
  session.on('stream', (stream: SpdyStream) => {
    const type = stream.headers.streamtype;
    const port = Number(stream.headers.port);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      stream.reset();
      return;
    }
    void stream.reply();
    const key = stream.headers.requestid ?? `port-${port}`;
    const pair = pairs.get(key) ?? {};
    pair[type] = stream;
    pairs.set(key, pair);
    if (!pair.error || !pair.data) return;
    pairs.delete(key);
    void forward(pair.error, pair.data, port).catch((e: unknown) => logger?.debug('port-forward connection failed', { error: e as Error }));
  });

  async function forward(errorStream: SpdyStream, dataStream: SpdyStream, port: number): Promise<void> {
    const fail = async (message: string) => {
      await errorStream.write(Buffer.from(message));
      await errorStream.end();
      await dataStream.end();
    };
    let busStream;
    try {
      busStream = await target.bus.openStream(subjects.node(target.nodeName, PORTFORWARD_CALL), { ...target.request, port }, { timeoutMs: 5000 });
    } catch (e) {
      return fail(`error forwarding port ${port} to pod ${target.request.pod}, uid ${target.request.uid ?? ''}: cannot reach the node agent of node ${target.nodeName}: ${(e as Error).message}`);
    }
    const pipe = new PortForwardPipe(busStream);
    dataStream.consume((data: Buffer) => {
      if (!pipe.send(data)) {
        hold();
        void pipe.whenWritable().then(release);
      }
    });
    if (dataStream.wasReset) pipe.end();
    else if (dataStream.remoteClosed) pipe.finish();
    dataStream.on('end', () => pipe.finish());
    dataStream.on('reset', () => pipe.end());
    try {
      await pipe.receive((data) => dataStream.write(Buffer.from(data.buffer, data.byteOffset, data.length)), () => void dataStream.end());
    } catch (e) {
      return fail((e as Error).message);
    } finally {
      pipe.end();
    }
    await dataStream.end();
    await errorStream.end();
  }
}

export const podPortForwardHandler: SubresourceHandler = async (req, { store, bus, logger }) => {
  const pod = await store.get<PodShape>({ group: '', resource: 'pods', namespaced: true }, req.namespace, req.name!);
  const name = pod.metadata.name!;
  const upgrade = String(req.raw.headers.upgrade ?? '').toLowerCase();
  if (!upgrade) throw badRequest('Upgrade request required');
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
    throw badRequest(`cannot port-forward to a completed pod; current phase is ${pod.status.phase}`);
  }
  const nodeName = pod.spec?.nodeName;
  if (!nodeName || !bus) throw errors.unavailable(`the node of pod ${name} cannot be reached`);
  const target = { bus, nodeName, request: { namespace: pod.metadata.namespace ?? 'default', pod: name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) } };
  const raw = req.raw;

  if (upgrade === 'websocket') {
    if (!offeredProtocols(raw.headers['sec-websocket-protocol']).includes(TUNNELED_PORT_FORWARD_PROTOCOL)) {
      throw badRequest(`port-forward over WebSocket needs the subprotocol ${TUNNELED_PORT_FORWARD_PROTOCOL}`);
    }
    delete raw.headers['sec-websocket-protocol'];
    tunnelRequests.add(raw);
    const ws = await new Promise<WebSocket>((resolve) => tunnelUpgrader.handleUpgrade(raw, raw.socket, Buffer.alloc(0), resolve));
    const { transport, pause, resume } = websocketTransport(ws);
    const session = new SpdySession(transport);
    ws.on('message', (data: Buffer, isBinary: boolean) => { if (isBinary) session.receive(data); });
    ws.on('close', () => session.close());
    ws.on('error', () => session.close());
    servePortForwardSession(session, { pause, resume }, target, logger);
    return;
  }

  const versions = offeredProtocols(raw.headers['x-stream-protocol-version']);
  if (!upgrade.includes('spdy/3.1') || !versions.includes(PORT_FORWARD_PROTOCOL)) {
    throw badRequest(`unable to upgrade: unsupported protocol; port-forward speaks ${TUNNELED_PORT_FORWARD_PROTOCOL} over WebSocket or SPDY/3.1 with ${PORT_FORWARD_PROTOCOL}`);
  }
  const socket = raw.socket;
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
  const { transport, pause, resume } = socketTransport(socket);
  const session = new SpdySession(transport);
  socket.on('data', (chunk: Buffer) => session.receive(chunk));
  socket.on('end', () => session.close());
  socket.on('close', () => session.close());
  socket.on('error', () => session.close());
  servePortForwardSession(session, { pause, resume }, target, logger);
};
