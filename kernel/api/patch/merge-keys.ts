// Merge facts of the built-in types: which lists merge per key (and on which key), which merge as
// a set of primitives, and which values are atomic. Strategic merge patch reads `mergeKey` and
// `strategy`; server-side apply reads `keys` (its list-map keys) and `atomic`. The facts follow the
// `patchStrategy`/`patchMergeKey`/`listType` markers of the Kubernetes API types. A list with no
// entry here is replaced as a whole, like JSON merge patch (upstream's behaviour for CRDs).
import type { ResourceType } from '../../objects/registry.js';

export interface ListSchema {
  /** 'merge': merged per item (by mergeKey, or as a set when there is no mergeKey). */
  strategy: 'merge' | 'replace';
  /** Strategic-merge-patch key of map items. */
  mergeKey?: string;
  /** Server-side-apply key fields of map items (defaults to [mergeKey]). */
  keys?: string[];
  item?: SchemaNode;
}

export interface SchemaNode {
  /** Named fields of a struct. */
  fields?: Record<string, SchemaNode>;
  /** Schema of each value of a map with free-form keys (labels, data, resources.limits). */
  values?: SchemaNode;
  list?: ListSchema;
  /**
   * Server-side apply replaces and owns it as one value (label selectors, tolerations, ...).
   * Strategic merge patch still merges maps; it replaces lists without a merge strategy anyway.
   */
  atomic?: boolean;
  /** A free-form map: an Update that creates it also owns the map itself (`.` in FieldsV1). */
  map?: boolean;
  /** `patchStrategy:"replace"` on a struct field: strategic merge patch replaces it whole (PDB selector). */
  replace?: boolean;
}

/** Server-side apply fills absent key fields with their API default before matching items. */
export const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

const ATOMIC: SchemaNode = { atomic: true };
const FREE_MAP: SchemaNode = { map: true };

function struct(fields: Record<string, SchemaNode>): SchemaNode {
  return { fields };
}
function keyedList(mergeKey: string, item: SchemaNode = {}, keys?: string[]): SchemaNode {
  return { list: { strategy: 'merge', mergeKey, keys, item } };
}
const PRIMITIVE_SET: SchemaNode = { list: { strategy: 'merge' } };

export const objectMeta = struct({
  labels: FREE_MAP,
  annotations: FREE_MAP,
  ownerReferences: keyedList('uid'),
  finalizers: PRIMITIVE_SET,
  managedFields: ATOMIC,
});

const conditions = keyedList('type');
const labelSelector = ATOMIC;

const container = struct({
  ports: keyedList('containerPort', {}, ['containerPort', 'protocol']),
  env: keyedList('name'),
  volumeMounts: keyedList('mountPath'),
  volumeDevices: keyedList('devicePath'),
  resources: struct({ limits: FREE_MAP, requests: FREE_MAP }),
});

const podSpec = struct({
  containers: keyedList('name', container),
  initContainers: keyedList('name', container),
  ephemeralContainers: keyedList('name', container),
  // retainKeys: a volume switching its source (emptyDir → configMap) drops the old source.
  volumes: keyedList('name'),
  imagePullSecrets: keyedList('name'),
  hostAliases: keyedList('ip'),
  topologySpreadConstraints: keyedList('topologyKey', {}, ['topologyKey', 'whenUnsatisfiable']),
  schedulingGates: keyedList('name'),
  resourceClaims: keyedList('name'),
  nodeSelector: FREE_MAP,
  tolerations: ATOMIC,
});

const podTemplate = struct({ metadata: objectMeta, spec: podSpec });

const podStatus = struct({ conditions, podIPs: keyedList('ip'), hostIPs: keyedList('ip') });

const workloadSpec = struct({ selector: labelSelector, template: podTemplate });
const workloadStatus = struct({ conditions });

const serviceSpec = struct({
  ports: keyedList('port', {}, ['port', 'protocol']),
  selector: ATOMIC,
});

const nodeStatus = struct({
  conditions,
  addresses: keyedList('type'),
  capacity: FREE_MAP,
  allocatable: FREE_MAP,
});

function resource(fields: Record<string, SchemaNode>): SchemaNode {
  return struct({ metadata: objectMeta, ...fields });
}

const byResource: Record<string, SchemaNode> = {
  '/pods': resource({ spec: podSpec, status: podStatus }),
  '/services': resource({ spec: serviceSpec, status: struct({ conditions }) }),
  '/nodes': resource({ spec: struct({ podCIDRs: PRIMITIVE_SET }), status: nodeStatus }),
  '/namespaces': resource({ spec: struct({ finalizers: PRIMITIVE_SET }), status: struct({ conditions }) }),
  '/configmaps': resource({ data: FREE_MAP, binaryData: FREE_MAP }),
  '/secrets': resource({ data: FREE_MAP, stringData: FREE_MAP }),
  '/serviceaccounts': resource({ secrets: keyedList('name'), imagePullSecrets: ATOMIC }),
  '/endpoints': resource({ subsets: ATOMIC }),
  '/persistentvolumeclaims': resource({ spec: struct({ selector: labelSelector }), status: struct({ conditions }) }),
  '/persistentvolumes': resource({ spec: struct({ claimRef: ATOMIC }) }),
  'apps/deployments': resource({
    spec: struct({ selector: labelSelector, template: podTemplate, strategy: struct({ rollingUpdate: {} }) }),
    status: workloadStatus,
  }),
  'apps/replicasets': resource({ spec: workloadSpec, status: workloadStatus }),
  'apps/daemonsets': resource({ spec: workloadSpec, status: workloadStatus }),
  'apps/statefulsets': resource({
    spec: struct({ selector: labelSelector, template: podTemplate, volumeClaimTemplates: ATOMIC }),
    status: workloadStatus,
  }),
  'batch/jobs': resource({ spec: workloadSpec, status: workloadStatus }),
  'batch/cronjobs': resource({
    spec: struct({ jobTemplate: struct({ metadata: objectMeta, spec: workloadSpec }) }),
    status: struct({ active: ATOMIC }),
  }),
  'networking.k8s.io/ingresses': resource({ spec: struct({ rules: ATOMIC, tls: ATOMIC }) }),
  'networking.k8s.io/networkpolicies': resource({ spec: struct({ podSelector: labelSelector }) }),
  'policy/poddisruptionbudgets': resource({ spec: struct({ selector: { atomic: true, replace: true } }), status: struct({ conditions }) }),
  'discovery.k8s.io/endpointslices': resource({ endpoints: ATOMIC, ports: ATOMIC }),
  'rbac.authorization.k8s.io/roles': resource({ rules: ATOMIC }),
  'rbac.authorization.k8s.io/clusterroles': resource({ rules: ATOMIC }),
  'rbac.authorization.k8s.io/rolebindings': resource({ subjects: ATOMIC, roleRef: ATOMIC }),
  'rbac.authorization.k8s.io/clusterrolebindings': resource({ subjects: ATOMIC, roleRef: ATOMIC }),
};

/** Only metadata is known for types without a table entry: every other list is replaced. */
const unknownType = resource({});

export function schemaFor(rt: Pick<ResourceType, 'group' | 'resource'>): SchemaNode {
  return byResource[`${rt.group}/${rt.resource}`] ?? unknownType;
}

/** Schema of field `name` inside `node` (a struct field, or any value of a free-form map). */
export function fieldSchema(node: SchemaNode | undefined, name: string): SchemaNode | undefined {
  return node?.fields?.[name] ?? node?.values;
}

/** Key fields server-side apply uses for items of a keyed list. */
export function listKeys(list: ListSchema): string[] {
  return list.keys ?? (list.mergeKey ? [list.mergeKey] : []);
}
