// What Endpoints and EndpointSlices share: which pods back a Service, their readiness, and the
// service ports resolved against each pod (named targetPorts look up the pod's container ports).
import type { Informer } from '../../kernel/controller/informer.js';
import { canonicalJson, isPodReady, type PodLike } from '../../kernel/controller/pods.js';
import type { KubeObject, ResourceKey } from '../../kernel/objects/types.js';

export const SERVICES: ResourceKey = { group: '', resource: 'services', namespaced: true };

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

export interface Service extends KubeObject {
  spec?: { selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string; publishNotReadyAddresses?: boolean };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
}

/** Pods that share one resolved port list. */
export interface PortGroup {
  ports: EndpointPort[];
  ready: PodLike[];
  notReady: PodLike[];
}

export function selectsPod(svc: Service, pod: PodLike): boolean {
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return false;
  return Object.entries(sel).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

function resolvePort(pod: PodLike, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    const match = c.ports?.find((p) => p.name === target && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP'));
    if (match) return match.containerPort;
  }
  return undefined;
}

/** Groups the pods the service selects (with an IP, not finished, not deleting) by resolved ports. */
export function groupEndpoints(svc: Service, pods: PodLike[]): PortGroup[] {
  const groups = new Map<string, PortGroup>();
  const publishAll = svc.spec?.publishNotReadyAddresses === true;
  for (const pod of pods) {
    if (!selectsPod(svc, pod) || !pod.status?.podIP || pod.metadata.deletionTimestamp) continue;
    if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') continue;
    const ports: EndpointPort[] = [];
    let resolvable = true;
    for (const sp of svc.spec?.ports ?? []) {
      const port = resolvePort(pod, sp);
      if (port === undefined) {
        resolvable = false;
        break;
      }
      ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP' });
    }
    if (!resolvable) continue;
    const key = canonicalJson(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (publishAll || isPodReady(pod) ? g.ready : g.notReady).push(pod);
  }
  const byName = (a: PodLike, b: PodLike) => (a.status?.podIP ?? '').localeCompare(b.status?.podIP ?? '');
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => ({ ...g, ready: g.ready.sort(byName), notReady: g.notReady.sort(byName) }));
}

export function targetRef(pod: PodLike) {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

/** Pod events enqueue every service in the namespace that selects the pod before or after. */
export function podHandlers(services: Informer<Service>, enqueue: (svc: Service) => void) {
  const touch = (...pods: PodLike[]) => {
    for (const svc of services.list(pods[0]?.metadata.namespace ?? '')) if (pods.some((p) => selectsPod(svc, p))) enqueue(svc);
  };
  return { add: (p: PodLike) => touch(p), update: (o: PodLike, p: PodLike) => touch(o, p), delete: (p: PodLike) => touch(p) };
}
