// All described types in one table, and the way from a resource type to its schema name.
import type { ResourceType } from '../registry.js';
import type { Catalog, FieldDef, TypeDef } from './dsl.js';
import { autoscalingTypes } from './autoscaling-types.js';
import { coreTypes } from './core-types.js';
import { groupTypes } from './group-types.js';
import { metaTypes } from './meta-types.js';
import { podExtraTypes } from './pod-extra-types.js';
import { podTypes } from './pod-types.js';
import { policyTypes } from './policy-types.js';
import { workloadTypes } from './workload-types.js';

export const catalog: Catalog = new Map(Object.entries({ ...metaTypes, ...podTypes, ...podExtraTypes, ...coreTypes, ...workloadTypes, ...groupTypes, ...policyTypes, ...autoscalingTypes }));

/** Upstream Go package of an API group: '' → core, 'networking.k8s.io' → networking, 'rbac.authorization.k8s.io' → rbac. */
export function packageOf(group: string): string {
  return group === '' ? 'core' : group.split('.')[0]!;
}

/** Upstream OpenAPI name of a kind, e.g. io.k8s.api.apps.v1.Deployment. */
export function schemaNameOf(rt: Pick<ResourceType, 'group' | 'version' | 'kind'>): string {
  return `io.k8s.api.${packageOf(rt.group)}.${rt.version}.${rt.kind}`;
}

/** The described root type of a resource, or undefined for types this table does not know. */
export function rootTypeOf(rt: Pick<ResourceType, 'group' | 'version' | 'kind'>): TypeDef | undefined {
  return catalog.get(schemaNameOf(rt));
}

/** The named object type a field leads to (its own type, or its elements' type), if described. */
export function typeOfField(field: FieldDef): TypeDef | undefined {
  if (!field.ref) return undefined;
  const t = catalog.get(field.ref);
  return t && !t.scalar ? t : undefined;
}
