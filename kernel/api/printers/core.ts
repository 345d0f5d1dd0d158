// Printers for core/v1 types other than pods.
import type { KubeObject } from '../../objects/types.js';
import { formatLabels, joinHostPort, since, sortedUnique } from './format.js';
import { ageColumn, col, nameColumn, type Printer } from './types.js';

/** NAME cell. */
export function nameOf(obj: KubeObject): string {
  return obj.metadata.name ?? '';
}

/** AGE cell. */
export function ageOf(obj: KubeObject, now: Date): string {
  return since(obj.metadata.creationTimestamp, now);
}

/** Printer for `NAME <value columns…> AGE`, the most common layout. */
export function simplePrinter<T extends KubeObject>(
  columns: Printer['columns'],
  values: (obj: T, now: Date) => Array<string | number | boolean>,
): Printer {
  return {
    columns: [nameColumn(), ...columns, ageColumn()],
    cells: (obj, now) => [nameOf(obj), ...values(obj as T, now), ageOf(obj, now)],
  };
}

interface NodeLike extends KubeObject {
  spec?: { unschedulable?: boolean };
  status?: {
    conditions?: Array<{ type?: string; status?: string }>;
    addresses?: Array<{ type?: string; address?: string }>;
    nodeInfo?: { kubeletVersion?: string; osImage?: string; kernelVersion?: string; containerRuntimeVersion?: string };
  };
}

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_NODE_ROLE_LABEL = 'kubernetes.io/role';

function nodeRoles(node: KubeObject): string {
  const roles: string[] = [];
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith(NODE_ROLE_PREFIX) && key.length > NODE_ROLE_PREFIX.length) roles.push(key.slice(NODE_ROLE_PREFIX.length));
    else if (key === LEGACY_NODE_ROLE_LABEL && value !== '') roles.push(value);
  }
  return roles.length === 0 ? '<none>' : sortedUnique(roles).join(',');
}

function nodeStatus(node: NodeLike): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeAddress(node: NodeLike, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    nameColumn(),
    col('Status', 'string', 0, 'The status of the node.'),
    col('Roles', 'string', 0, 'The roles of the node.'),
    ageColumn(),
    col('Version', 'string', 0, 'Kubelet version.'),
    col('Internal-IP', 'string', 1, 'First internal address.'),
    col('External-IP', 'string', 1, 'First external address.'),
    col('OS-Image', 'string', 1, 'Operating system image.'),
    col('Kernel-Version', 'string', 1, 'Kernel version.'),
    col('Container-Runtime', 'string', 1, 'Container runtime version.'),
  ],
  cells(obj, now) {
    const node = obj as NodeLike;
    const info = node.status?.nodeInfo ?? {};
    return [
      nameOf(node),
      nodeStatus(node),
      nodeRoles(node),
      ageOf(node, now),
      info.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info.osImage || '<unknown>',
      info.kernelVersion || '<unknown>',
      info.containerRuntimeVersion || '<unknown>',
    ];
  },
};

export const namespacePrinter = simplePrinter<KubeObject & { status?: { phase?: string } }>(
  [col('Status', 'string', 0, 'The status of the namespace.')],
  (ns) => [ns.status?.phase ?? ''],
);

interface ServiceLike extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalIPs?: string[];
    externalName?: string;
    selector?: Record<string, string>;
    ports?: Array<{ port?: number; nodePort?: number; protocol?: string }>;
  };
  status?: { loadBalancer?: LoadBalancerStatusLike };
}

export interface LoadBalancerStatusLike {
  ingress?: Array<{ ip?: string; hostname?: string }>;
}

/** Load-balancer ingress points (IP, else hostname), sorted and comma-joined. */
export function loadBalancerAddresses(status: LoadBalancerStatusLike | undefined): string {
  const points = (status?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((p) => p !== '');
  return sortedUnique(points).join(',');
}

function serviceExternalIP(svc: ServiceLike, type: string): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function servicePorts(svc: ServiceLike): string {
  const ports = (svc.spec?.ports ?? []).map((p) => {
    const protocol = p.protocol ?? 'TCP';
    return p.nodePort ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
  });
  return ports.length > 0 ? ports.join(',') : '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    nameColumn(),
    col('Type', 'string', 0, 'How the service is exposed.'),
    col('Cluster-IP', 'string', 0, 'Cluster-internal virtual IP.'),
    col('External-IP', 'string', 0, 'External addresses.'),
    col('Port(s)', 'string', 0, 'Service ports.'),
    ageColumn(),
    col('Selector', 'string', 1, 'Pod selector.'),
  ],
  cells(obj, now) {
    const svc = obj as ServiceLike;
    // Defaulting sets type ClusterIP, and clusterIPs from clusterIP; tolerate objects without it.
    const type = svc.spec?.type ?? 'ClusterIP';
    const clusterIP = svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || '<none>';
    return [nameOf(svc), type, clusterIP, serviceExternalIP(svc, type), servicePorts(svc), ageOf(svc, now), formatLabels(svc.spec?.selector)];
  },
};

interface EndpointsLike extends KubeObject {
  subsets?: Array<{ addresses?: Array<{ ip?: string }>; ports?: Array<{ port?: number }> }>;
}

/** Up to three `ip:port` endpoints, then `+ N more...`; `<none>` without subsets. */
function formatEndpoints(ep: EndpointsLike): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let count = 0;
  for (const subset of subsets) {
    const addresses = subset.addresses ?? [];
    const ports = subset.ports ?? [];
    // Headless services may have no ports: list the bare addresses.
    const portList: Array<number | undefined> = ports.length === 0 ? [undefined] : ports.map((p) => p.port ?? 0);
    for (const port of portList) {
      count += addresses.length;
      for (const address of addresses) {
        if (shown.length === max) break;
        const ip = address.ip ?? '';
        shown.push(port === undefined ? ip : joinHostPort(ip, port));
      }
    }
  }
  const text = shown.join(',');
  return count > max ? `${text} + ${count - max} more...` : text;
}

export const endpointsPrinter = simplePrinter<EndpointsLike>([col('Endpoints', 'string', 0, 'Endpoint addresses.')], (ep) => [
  formatEndpoints(ep),
]);

function countKeys(...maps: unknown[]): number {
  return maps.reduce<number>((n, m) => n + (m && typeof m === 'object' ? Object.keys(m).length : 0), 0);
}

export const configMapPrinter = simplePrinter([col('Data', 'string', 0, 'Number of data entries.')], (cm) =>
  [countKeys(cm['data'], cm['binaryData'])],
);

export const secretPrinter = simplePrinter(
  [col('Type', 'string', 0, 'Secret type.'), col('Data', 'string', 0, 'Number of data entries.')],
  (secret) => [typeof secret['type'] === 'string' ? secret['type'] : 'Opaque', countKeys(secret['data'])],
);

export const serviceAccountPrinter = simplePrinter([col('Secrets', 'string', 0, 'Number of referenced secrets.')], (sa) => [
  Array.isArray(sa['secrets']) ? sa['secrets'].length : 0,
]);
