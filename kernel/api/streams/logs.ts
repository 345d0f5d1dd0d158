// pods/log on the API server: finds the pod's node and streams the container log from that
// node's agent over the bus (`kite.node.<node>.logs`), written as chunked text/plain, so
// `kubectl logs [-f] [-c] [--previous] [--tail]` works without a connection to the node.
import type { SubresourceHandler } from '../rest/deps.js';
import { StatusError, errors } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import { subjects } from '../../bus/types.js';
import { LOGS_CALL, type LogStreamRequest } from './protocol.js';

interface PodShape extends KubeObject {
  spec?: { nodeName?: string; containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
  status?: { containerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }> };
}

const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`${name}: Invalid value: "${v}": must be an integer`);
  return n;
}

const boolParam = (q: URLSearchParams, name: string) => q.get(name) === 'true' || q.get(name) === '1';

/** The request the node agent gets, after the checks the API server does itself. */
export function logRequestFor(pod: PodShape, query: URLSearchParams): LogStreamRequest {
  const name = pod.metadata.name!;
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  let container = query.get('container') ?? undefined;
  if (!container) {
    if (containers.length !== 1) {
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]${inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''}`);
    }
    container = containers[0];
  } else if (!containers.includes(container) && !inits.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const tailLines = intParam(query, 'tailLines');
  const limitBytes = intParam(query, 'limitBytes');
  if (tailLines !== undefined && tailLines < 0) throw badRequest('tailLines: Invalid value: must be greater than or equal to 0');
  return {
    namespace: pod.metadata.namespace ?? 'default',
    pod: name,
    uid: pod.metadata.uid,
    container,
    follow: boolParam(query, 'follow'),
    previous: boolParam(query, 'previous'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
}

export const podLogHandler: SubresourceHandler = async (req, { store, bus }) => {
  if (req.verb !== 'get') throw new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${req.method} pods/log)`);
  const pod = await store.get<PodShape>({ group: '', resource: 'pods', namespaced: true }, req.namespace, req.name!);
  const init = logRequestFor(pod, req.query);
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) {
    const reason = pod.status?.containerStatuses?.find((c) => c.name === init.container)?.state?.waiting?.reason ?? 'ContainerCreating';
    throw badRequest(`container "${init.container}" in pod "${init.pod}" is waiting to start: ${reason}`);
  }
  if (!bus) throw errors.unavailable('pods/log needs the event bus to reach the node agent');
  let stream;
  try {
    stream = await bus.openStream(subjects.node(nodeName, LOGS_CALL), init, { timeoutMs: 5000 });
  } catch (e) {
    throw errors.unavailable(`cannot reach the node agent of node ${nodeName}: ${(e as Error).message}`);
  }
  const iterator = stream[Symbol.asyncIterator]();
  // The node's refusal (e.g. no previous container) becomes a 400 before any byte is written.
  let first: IteratorResult<Uint8Array>;
  try {
    first = await iterator.next();
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  const res = req.res;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  const clientGone = () => stream.end();
  req.raw.once('close', clientGone);
  try {
    if (!first.done) res.write(first.value);
    for (let next = first.done ? first : await iterator.next(); !next.done; next = await iterator.next()) {
      if (!res.write(next.value)) await new Promise<void>((resolve) => { res.once('drain', resolve); req.raw.once('close', resolve); });
    }
  } catch {
    // The node went away mid-stream: end what we have.
  } finally {
    req.raw.off('close', clientGone);
    stream.end();
    res.end();
  }
};

