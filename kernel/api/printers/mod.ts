// Server-side printing: turns objects of one resource type into the meta.k8s.io Table that
// `kubectl get` requests. Types without a printer get the generic NAME / CREATED AT table.
import type { ResourceType } from '../../objects/registry.js';
import { apiVersionOf } from '../../objects/registry.js';
import type { KubeObject } from '../../objects/types.js';
import { bindingPrinter, endpointSlicePrinter, eventPrinter, ingressClassPrinter, ingressPrinter, leasePrinter, networkPolicyPrinter, priorityClassPrinter } from './cluster.js';
import { horizontalPodAutoscalerPrinter } from './autoscaling.js';
import { configMapPrinter, endpointsPrinter, namespacePrinter, nodePrinter, secretPrinter, serviceAccountPrinter, servicePrinter } from './core.js';
import { rfc3339 } from './format.js';
import { podPrinter } from './pod.js';
import { podDisruptionBudgetPrinter } from './policy.js';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter } from './storage.js';
import type { Printer, Table, TableColumnDefinition, TableRow } from './types.js';
import { nameColumn } from './types.js';
import { controllerRevisionPrinter, cronJobPrinter, daemonSetPrinter, deploymentPrinter, jobPrinter, replicaSetPrinter, statefulSetPrinter } from './workloads.js';

export type { Printer, Table, TableCell, TableColumnDefinition, TableRow, TableRowCondition, PartialObjectMetadata } from './types.js';
export { humanDuration, shortHumanDuration, formatLabels, formatLabelSelector, labelSelectorString } from './format.js';

export const TABLE_API_VERSION = 'meta.k8s.io/v1';

/** What a Table row carries besides its cells (the `includeObject` query parameter). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface ToTableOptions {
  includeObject: IncludeObject;
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  /** Clock for AGE and durations; defaults to the current time. */
  now?: Date;
  /** Leave out columnDefinitions (watch events after the first, or `?noHeaders`-style requests). */
  omitColumnDefinitions?: boolean;
  /** meta.k8s.io/v1 (default) or meta.k8s.io/v1beta1, following the Accept header. */
  apiVersion?: string;
}

/** Upstream's generic table for types without a printer: the timestamp is printed, not an age. */
export const defaultPrinter: Printer = {
  columns: [nameColumn(), { name: 'Created At', type: 'date', format: '', description: 'Time the object was created.', priority: 0 }],
  cells: (obj) => [obj.metadata.name ?? '', rfc3339(obj.metadata.creationTimestamp)],
};

function key(group: string, resource: string): string {
  return `${group}/${resource}`;
}

const printers = new Map<string, Printer>([
  [key('', 'pods'), podPrinter],
  [key('', 'nodes'), nodePrinter],
  [key('', 'namespaces'), namespacePrinter],
  [key('', 'services'), servicePrinter],
  [key('', 'endpoints'), endpointsPrinter],
  [key('', 'configmaps'), configMapPrinter],
  [key('', 'secrets'), secretPrinter],
  [key('', 'serviceaccounts'), serviceAccountPrinter],
  [key('', 'events'), eventPrinter],
  [key('', 'persistentvolumes'), persistentVolumePrinter],
  [key('', 'persistentvolumeclaims'), persistentVolumeClaimPrinter],
  [key('apps', 'deployments'), deploymentPrinter],
  [key('apps', 'replicasets'), replicaSetPrinter],
  [key('apps', 'daemonsets'), daemonSetPrinter],
  [key('apps', 'statefulsets'), statefulSetPrinter],
  [key('apps', 'controllerrevisions'), controllerRevisionPrinter],
  [key('batch', 'jobs'), jobPrinter],
  [key('batch', 'cronjobs'), cronJobPrinter],
  [key('networking.k8s.io', 'ingresses'), ingressPrinter],
  [key('networking.k8s.io', 'ingressclasses'), ingressClassPrinter],
  [key('networking.k8s.io', 'networkpolicies'), networkPolicyPrinter],
  [key('storage.k8s.io', 'storageclasses'), storageClassPrinter],
  [key('coordination.k8s.io', 'leases'), leasePrinter],
  [key('discovery.k8s.io', 'endpointslices'), endpointSlicePrinter],
  [key('scheduling.k8s.io', 'priorityclasses'), priorityClassPrinter],
  [key('autoscaling', 'horizontalpodautoscalers'), horizontalPodAutoscalerPrinter],
  [key('policy', 'poddisruptionbudgets'), podDisruptionBudgetPrinter],
  [key('rbac.authorization.k8s.io', 'rolebindings'), bindingPrinter],
  [key('rbac.authorization.k8s.io', 'clusterrolebindings'), bindingPrinter],
  // Roles and ClusterRoles have no printer upstream either: they use the default table.
]);

/** Registers (or replaces) the printer of a resource, e.g. for a plugin's own types. */
export function registerPrinter(group: string, resource: string, printer: Printer): void {
  printers.set(key(group, resource), printer);
}

export function printerFor(rt: Pick<ResourceType, 'group' | 'resource'>): Printer {
  return printers.get(key(rt.group, rt.resource)) ?? defaultPrinter;
}

/** Column definitions kube-apiserver would send for this resource type. */
export function columnsFor(rt: Pick<ResourceType, 'group' | 'resource'>): TableColumnDefinition[] {
  return printerFor(rt).columns.map((c) => ({ ...c }));
}

function rowObject(rt: ResourceType, obj: KubeObject, include: IncludeObject, tableApiVersion: string): TableRow['object'] {
  switch (include) {
    case 'None':
      return undefined;
    case 'Object':
      return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(rt), kind: obj.kind ?? rt.kind };
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: tableApiVersion, metadata: obj.metadata };
  }
}

/** Prints objects of one resource type as a Table (one object for a GET, all items for a LIST). */
export function toTable(rt: ResourceType, objects: KubeObject[], opts: ToTableOptions): Table {
  const printer = printerFor(rt);
  const now = opts.now ?? new Date();
  const apiVersion = opts.apiVersion ?? TABLE_API_VERSION;
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    const object = rowObject(rt, obj, opts.includeObject, apiVersion);
    if (object) row.object = object;
    return row;
  });
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion,
    metadata,
    columnDefinitions: opts.omitColumnDefinitions ? [] : columnsFor(rt),
    rows,
  };
}
