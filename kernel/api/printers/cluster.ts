// Printers for events, networking, coordination, discovery, scheduling and RBAC types.
import type { KubeObject } from '../../objects/types.js';
import { formatLabelSelector, listWithMore, parseTime, since, type LabelSelector } from './format.js';
import { ageOf, loadBalancerAddresses, nameOf, simplePrinter, type LoadBalancerStatusLike } from './core.js';
import { ageColumn, col, nameColumn, type Printer } from './types.js';

interface EventLike extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  series?: { count?: number; lastObservedTime?: string };
  involvedObject?: { kind?: string; name?: string; fieldPath?: string };
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
}

function eventSource(ev: EventLike): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'string', 0, 'Time since the event was last seen.'),
    col('Type', 'string', 0, 'Normal or Warning.'),
    col('Reason', 'string', 0, 'Short machine-readable reason.'),
    col('Object', 'string', 0, 'The object the event is about.'),
    col('Subobject', 'string', 1, 'Field path within the object.'),
    col('Source', 'string', 1, 'Component that reported the event.'),
    col('Message', 'string', 0, 'Human-readable description.'),
    col('First Seen', 'string', 1, 'Time since the event was first seen.'),
    col('Count', 'string', 1, 'How often the event occurred.'),
    { ...nameColumn(), priority: 1 },
  ],
  cells(obj, now) {
    const ev = obj as EventLike;
    // Events written through events.k8s.io carry eventTime/series instead of the legacy fields.
    const firstSeen = parseTime(ev.firstTimestamp) !== undefined ? since(ev.firstTimestamp, now) : since(ev.eventTime, now);
    let lastSeen = parseTime(ev.lastTimestamp) !== undefined ? since(ev.lastTimestamp, now) : firstSeen;
    let count = ev.count ?? 0;
    if (ev.series) {
      lastSeen = since(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) {
      count = 1;
    }
    const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
    const target = ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
    return [
      lastSeen,
      ev.type ?? '',
      ev.reason ?? '',
      target,
      ev.involvedObject?.fieldPath ?? '',
      eventSource(ev),
      (ev.message ?? '').trim(),
      firstSeen,
      count,
      nameOf(ev),
    ];
  },
};

interface IngressLike extends KubeObject {
  spec?: { ingressClassName?: string; rules?: Array<{ host?: string }>; tls?: unknown[] };
  status?: { loadBalancer?: LoadBalancerStatusLike };
}

/** Up to three rule hosts, `*` when no rule names one. */
function ingressHosts(rules: Array<{ host?: string }>): string {
  const max = 3;
  const hosts: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (hosts.length === max) more = true;
    if (!more && rule.host) hosts.push(rule.host);
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${rules.length - max} more...` : hosts.join(',');
}

export const ingressPrinter = simplePrinter<IngressLike>(
  [
    col('Class', 'string', 0, 'IngressClass that handles this ingress.'),
    col('Hosts', 'string', 0, 'Hosts the rules match.'),
    col('Address', 'string', 0, 'Load-balancer ingress points.'),
    col('Ports', 'string', 0, 'Ports served.'),
  ],
  (ing) => [
    ing.spec?.ingressClassName ?? '<none>',
    ingressHosts(ing.spec?.rules ?? []),
    loadBalancerAddresses(ing.status?.loadBalancer),
    (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
  ],
);

interface IngressClassLike extends KubeObject {
  spec?: { controller?: string; parameters?: { apiGroup?: string; kind?: string; name?: string } };
}

export const ingressClassPrinter = simplePrinter<IngressClassLike>(
  [col('Controller', 'string', 0, 'Controller that handles this class.'), col('Parameters', 'string', 0, 'Resource with additional parameters.')],
  (ic) => {
    const p = ic.spec?.parameters;
    const parameters = p ? `${p.kind ?? ''}${p.apiGroup ? `.${p.apiGroup}` : ''}/${p.name ?? ''}` : '<none>';
    return [ic.spec?.controller ?? '', parameters];
  },
);

export const leasePrinter = simplePrinter<KubeObject & { spec?: { holderIdentity?: string } }>(
  [col('Holder', 'string', 0, 'Identity of the current holder.')],
  (lease) => [lease.spec?.holderIdentity ?? ''],
);

interface EndpointSliceLike extends KubeObject {
  addressType?: string;
  ports?: Array<{ port?: number; name?: string }>;
  endpoints?: Array<{ addresses?: string[] }>;
}

export const endpointSlicePrinter = simplePrinter<EndpointSliceLike>(
  [
    col('AddressType', 'string', 0, 'IPv4, IPv6 or FQDN.'),
    col('Ports', 'string', 0, 'Ports of the slice.'),
    col('Endpoints', 'string', 0, 'Endpoint addresses.'),
  ],
  (slice) => [
    slice.addressType ?? '',
    listWithMore((slice.ports ?? []).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : (p.name ?? '*')))),
    listWithMore((slice.endpoints ?? []).flatMap((e) => e.addresses ?? [])),
  ],
);

interface PriorityClassLike extends KubeObject {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
}

export const priorityClassPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Value', 'integer', 0, 'Priority value.'),
    col('Global-Default', 'boolean', 0, 'Whether this is the default class.'),
    ageColumn(),
    col('PreemptionPolicy', 'string', 0, 'Whether pods of this class may preempt others.'),
  ],
  cells(obj, now) {
    const pc = obj as PriorityClassLike;
    return [nameOf(pc), pc.value ?? 0, pc.globalDefault ?? false, ageOf(pc, now), pc.preemptionPolicy ?? ''];
  },
};

interface BindingLike extends KubeObject {
  roleRef?: { kind?: string; name?: string };
  subjects?: Array<{ kind?: string; name?: string; namespace?: string }>;
}

/** Printer for RoleBinding and ClusterRoleBinding. */
export const bindingPrinter: Printer = {
  columns: [
    nameColumn(),
    col('Role', 'string', 0, 'The role that is bound.'),
    ageColumn(),
    col('Users', 'string', 1, 'Users in the binding.'),
    col('Groups', 'string', 1, 'Groups in the binding.'),
    col('ServiceAccounts', 'string', 1, 'ServiceAccounts in the binding.'),
  ],
  cells(obj, now) {
    const b = obj as BindingLike;
    const subjects = b.subjects ?? [];
    const named = (kind: string) => subjects.filter((s) => s.kind === kind).map((s) => s.name ?? '');
    const serviceAccounts = subjects.filter((s) => s.kind === 'ServiceAccount').map((s) => `${s.namespace ?? ''}/${s.name ?? ''}`);
    return [
      nameOf(b),
      `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`,
      ageOf(b, now),
      named('User').join(', '),
      named('Group').join(', '),
      serviceAccounts.join(', '),
    ];
  },
};

export const networkPolicyPrinter = simplePrinter<KubeObject & { spec?: { podSelector?: LabelSelector } }>(
  [col('Pod-Selector', 'string', 0, 'Pods the policy applies to.')],
  (np) => [formatLabelSelector(np.spec?.podSelector)],
);
