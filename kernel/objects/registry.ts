// The resource types Kite serves: one table drives the store keys, discovery, routing and kubectl's
// short names. Per-type defaulting/validation and table printing hang off the same names.
import type { ResourceKey } from './types.js';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface ResourceType extends ResourceKey {
  version: string;
  kind: string;
  listKind: string;
  singularName: string;
  shortNames?: string[];
  categories?: string[];
  verbs: Verb[];
  /** Subresources served, e.g. ['status', 'scale', 'binding', 'eviction', 'log', 'exec']. */
  subresources?: string[];
}

const ALL: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const NO_COLLECTION_DELETE: Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function t(group: string, version: string, resource: string, kind: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    namespaced,
    listKind: `${kind}List`,
    singularName: kind.toLowerCase(),
    verbs: ALL,
    ...extra,
  };
}

export const builtinResources: ResourceType[] = [
  t('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], verbs: NO_COLLECTION_DELETE, subresources: ['status', 'finalize'] }),
  t('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'proxy', 'ephemeralcontainers'] }),
  t('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: ['status', 'proxy'] }),
  t('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], verbs: NO_COLLECTION_DELETE, subresources: ['status', 'proxy'] }),
  t('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singularName: 'endpoints' }),
  t('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  t('', 'v1', 'secrets', 'Secret', true),
  t('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'], subresources: ['token'] }),
  t('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  t('', 'v1', 'persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'], subresources: ['status'] }),
  t('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { shortNames: ['pvc'], subresources: ['status'] }),
  t('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
  t('apps', 'v1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
  t('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], subresources: ['status'] }),
  t('apps', 'v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] }),
  t('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  t('batch', 'v1', 'jobs', 'Job', true, { categories: ['all'], subresources: ['status'] }),
  t('batch', 'v1', 'cronjobs', 'CronJob', true, { shortNames: ['cj'], categories: ['all'], subresources: ['status'] }),
  t('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, { shortNames: ['ing'], subresources: ['status'] }),
  t('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false),
  t('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
  t('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { shortNames: ['sc'] }),
  t('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  t('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  t('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false, { shortNames: ['pc'] }),
  t('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, { shortNames: ['hpa'], categories: ['all'], subresources: ['status'] }),
  t('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, { shortNames: ['pdb'], subresources: ['status'] }),
  t('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  t('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  t('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  t('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  t('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { verbs: ['create'] }),
  t('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false, { verbs: ['create'] }),
];

export class ResourceRegistry {
  private readonly byGroupResource = new Map<string, ResourceType>();
  private readonly byGroupKind = new Map<string, ResourceType>();

  constructor(types: ResourceType[] = builtinResources) {
    for (const rt of types) this.add(rt);
  }

  add(rt: ResourceType): void {
    this.byGroupResource.set(`${rt.group}/${rt.resource}`, rt);
    this.byGroupKind.set(`${rt.group}/${rt.kind}`, rt);
  }

  all(): ResourceType[] {
    return [...this.byGroupResource.values()];
  }

  byResource(group: string, resource: string): ResourceType | undefined {
    return this.byGroupResource.get(`${group}/${resource}`);
  }

  byKind(group: string, kind: string): ResourceType | undefined {
    return this.byGroupKind.get(`${group}/${kind}`);
  }

  /** Resolves `apiVersion` + `kind` of an object, e.g. ('apps/v1', 'Deployment'). */
  forObject(apiVersion: string, kind: string): ResourceType | undefined {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const rt = this.byKind(group, kind);
    return rt && rt.version === version ? rt : undefined;
  }

  /** Group → versions served, in discovery order (core group is ''). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const rt of this.byGroupResource.values()) {
      const versions = out.get(rt.group) ?? [];
      if (!versions.includes(rt.version)) versions.push(rt.version);
      out.set(rt.group, versions);
    }
    return out;
  }
}

export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}
