// Shared fixtures for the printer tests: a fixed clock and a one-object print helper.
import { ResourceRegistry, type ResourceType } from '../../objects/registry.js';
import type { KubeObject, ObjectMeta } from '../../objects/types.js';
import { toTable } from './mod.js';
import type { TableCell } from './types.js';

export const NOW = new Date('2024-06-01T12:00:00Z');

const registry = new ResourceRegistry();

/** RFC 3339 timestamp `ms` before NOW (whole seconds, like the API server writes). */
export function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export const sec = (n: number) => n * 1000;
export const min = (n: number) => n * 60_000;
export const hour = (n: number) => n * 3_600_000;
export const day = (n: number) => n * 86_400_000;

export function resourceType(group: string, resource: string): ResourceType {
  const rt = registry.byResource(group, resource);
  if (!rt) throw new Error(`no builtin resource ${resource}.${group}`);
  return rt;
}

/** An object created 5 minutes before NOW, with extra fields merged in. */
export function object(name: string, fields: Record<string, unknown> = {}, meta: Partial<ObjectMeta> = {}): KubeObject {
  return { metadata: { name, namespace: 'default', creationTimestamp: ago(min(5)), ...meta }, ...fields };
}

/** The cells kube-apiserver would print for one object of group/resource. */
export function cellsOf(group: string, resource: string, obj: KubeObject): TableCell[] {
  const table = toTable(resourceType(group, resource), [obj], { includeObject: 'None', now: NOW });
  if (table.rows[0]!.cells.length !== table.columnDefinitions.length) {
    throw new Error(`${resource}: ${table.rows[0]!.cells.length} cells for ${table.columnDefinitions.length} columns`);
  }
  return table.rows[0]!.cells;
}
