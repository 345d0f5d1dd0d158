// pods/exec on the API server: a WebSocket (`v5.channel.k8s.io`, also v4) upgraded here and relayed
// frame by frame to the node agent over the bus (`kite.node.<node>.exec`); the framing is the
// same on both hops. Errors found before the upgrade are Status answers, as upstream.
import { WebSocketServer, type WebSocket } from 'ws';
import { subjects } from '../../bus/types.js';
import { StatusError, errors } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import type { Bus } from '../../bus/types.js';
import type { SubresourceHandler } from '../rest/deps.js';
import type { ApiRequest } from '../types.js';
import { CHANNEL, EXEC_CALL, type ExecStreamRequest } from './protocol.js';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export interface PodShape extends KubeObject {
  spec?: { nodeName?: string; containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
  status?: { phase?: string; containerStatuses?: Array<{ name: string; state?: { running?: object } }>; initContainerStatuses?: Array<{ name: string; state?: { running?: object } }> };
}

const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);
const truthy = (v: string | null) => v === 'true' || v === '1';

/** Checks upstream does before upgrading: command given, container known and running. */
export function execRequestFor(pod: PodShape, query: URLSearchParams): ExecStreamRequest {
  const name = pod.metadata.name!;
  const command = query.getAll('command');
  if (command.length === 0) throw badRequest('you must specify at least 1 command');
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const container = query.get('container') || (containers.length === 1 ? containers[0]! : '');
  if (!container) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  if (!containers.includes(container) && !(pod.spec?.initContainers ?? []).some((c) => c.name === container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
    throw badRequest(`cannot exec into a container in a completed pod; current phase is ${pod.status.phase}`);
  }
  if (!statuses.find((s) => s.name === container)?.state?.running) throw badRequest(`unable to upgrade connection: container not found ("${container}")`);
  return { namespace: pod.metadata.namespace ?? 'default', pod: name, uid: pod.metadata.uid, container, command, stdin: truthy(query.get('stdin')), tty: truthy(query.get('tty')) };
}

const upgrader = new WebSocketServer({
  noServer: true,
  handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false,
});

export const podExecHandler: SubresourceHandler = async (req, { store, bus }) => {
  const pod = await store.get<PodShape>({ group: '', resource: 'pods', namespaced: true }, req.namespace, req.name!);
  const init = execRequestFor(pod, req.query);
  await relayChannelStream(req, bus, pod.spec?.nodeName, EXEC_CALL, init);
};

/**
 * Upgrades to a channel WebSocket (v5/v4) and relays frames as they are between it and a bus
 * stream to the pod's node (exec and attach share this); a node failure mid-stream becomes a
 * Failure status on channel 3.
 */
export async function relayChannelStream(req: ApiRequest, bus: Bus | undefined, nodeName: string | undefined, call: string, init: { pod: string }): Promise<void> {
  if (!req.raw.headers.upgrade) throw badRequest('Upgrade request required');
  if (!nodeName || !bus) throw errors.unavailable(`the node of pod ${init.pod} cannot be reached`);
  let stream;
  try {
    stream = await bus.openStream(subjects.node(nodeName, call), init, { timeoutMs: 5000 });
  } catch (e) {
    throw errors.unavailable(`cannot reach the node agent of node ${nodeName}: ${(e as Error).message}`);
  }
  const ws = await new Promise<WebSocket>((resolve) => upgrader.handleUpgrade(req.raw, req.raw.socket, Buffer.alloc(0), resolve));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary && data.length > 0) stream.send(new Uint8Array(data));
  });
  ws.on('close', () => stream.end());
  try {
    for await (const chunk of stream) ws.send(chunk);
  } catch (e) {
    const failure = { metadata: {}, status: 'Failure', message: (e as Error).message, reason: 'InternalError', code: 500 };
    ws.send(Buffer.concat([Buffer.from([CHANNEL.status]), Buffer.from(JSON.stringify(failure))]));
  }
  stream.end();
  ws.close(1000);
}
