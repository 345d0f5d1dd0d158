// pods/attach on the API server: the same channel WebSocket as exec (v5.channel.k8s.io), joined to
// the container's own stdio on its node (`kite.node.<node>.attach`) instead of a new process.
// `kubectl attach [-i] [-t]` and `kubectl run -it` use it.
import { StatusError } from '../../objects/status.js';
import type { SubresourceHandler } from '../rest/deps.js';
import { relayChannelStream, type PodShape } from './exec.js';
import { ATTACH_CALL, type AttachStreamRequest } from './protocol.js';

const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);
const truthy = (v: string | null) => v === 'true' || v === '1';

/** Checks upstream does before upgrading: container known, pod not finished, container running. */
export function attachRequestFor(pod: PodShape, query: URLSearchParams): AttachStreamRequest {
  const name = pod.metadata.name!;
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const container = query.get('container') || (containers.length === 1 ? containers[0]! : '');
  if (!container) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
  if (!containers.includes(container) && !(pod.spec?.initContainers ?? []).some((c) => c.name === container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
    throw badRequest(`cannot attach to a container in a completed pod; current phase is ${pod.status.phase}`);
  }
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  if (!statuses.find((s) => s.name === container)?.state?.running) throw badRequest(`unable to upgrade connection: container not found ("${container}")`);
  return { namespace: pod.metadata.namespace ?? 'default', pod: name, uid: pod.metadata.uid, container, stdin: truthy(query.get('stdin')), tty: truthy(query.get('tty')) };
}

export const podAttachHandler: SubresourceHandler = async (req, { store, bus }) => {
  const pod = await store.get<PodShape>({ group: '', resource: 'pods', namespaced: true }, req.namespace, req.name!);
  const init = attachRequestFor(pod, req.query);
  await relayChannelStream(req, bus, pod.spec?.nodeName, ATTACH_CALL, init);
};
