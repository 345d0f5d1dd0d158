// Object listers the advanced plugins read besides the node snapshot: upstream gives them
// informer listers (Services, ReplicationControllers, ReplicaSets, StatefulSets for
// PodTopologySpread's default constraints; PodDisruptionBudgets for preemption; PVCs, PVs and
// StorageClasses for VolumeBinding). A Handle offers them by implementing `listObjects`; a handle
// without it (or returning undefined for a resource) means "not watched", and each plugin
// documents what it then does (ADVANCED.md).
import type { KubeObject } from '../../../kernel/objects/types.js';
import type { Handle } from '../framework/interfaces.js';

export type ListedResource =
  | 'services'
  | 'replicationcontrollers'
  | 'replicasets'
  | 'statefulsets'
  | 'poddisruptionbudgets'
  | 'persistentvolumeclaims'
  | 'persistentvolumes'
  | 'storageclasses';

export interface ObjectListers {
  /** Objects of one resource (in `namespace`, when given and the resource is namespaced); undefined = not watched. */
  listObjects?(resource: ListedResource, namespace?: string): readonly KubeObject[] | undefined;
  /** One object by name (faster than list when the runtime indexes it); undefined = absent or not watched. */
  getObject?(resource: ListedResource, namespace: string | undefined, name: string): KubeObject | undefined;
}

/** Lists `resource` through the handle, or undefined when the handle does not watch it. */
export function listObjects(handle: Handle, resource: ListedResource, namespace?: string): readonly KubeObject[] | undefined {
  const l = handle as Handle & ObjectListers;
  return typeof l.listObjects === 'function' ? l.listObjects(resource, namespace) : undefined;
}

/** Whether the handle watches `resource` at all (so "absent" means absent, not unknown). */
export function watches(handle: Handle, resource: ListedResource): boolean {
  return listObjects(handle, resource) !== undefined;
}

/** One object by namespace/name through the handle (getObject, else a scan of listObjects). */
export function getObject(handle: Handle, resource: ListedResource, namespace: string | undefined, name: string): KubeObject | undefined {
  const l = handle as Handle & ObjectListers;
  if (typeof l.getObject === 'function') return l.getObject(resource, namespace, name);
  return listObjects(handle, resource, namespace)?.find((o) => o.metadata.name === name && (namespace === undefined || (o.metadata.namespace ?? 'default') === namespace));
}
