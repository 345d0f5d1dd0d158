// Helpers shared by the admission tests.
import type { AdmissionOperation } from '../admission.js';
import { ResourceRegistry, type ResourceType } from '../registry.js';
import { isStatusError, type StatusCause } from '../status.js';
import type { KubeObject } from '../types.js';
import { createAdmission } from './mod.js';

export const registry = new ResourceRegistry();
export const admission = createAdmission(registry);

export function typeOf(obj: KubeObject): ResourceType {
  const rt = registry.forObject(obj.apiVersion ?? '', obj.kind ?? '');
  if (!rt) throw new Error(`no resource type for ${obj.apiVersion} ${obj.kind}`);
  return rt;
}

/** Admits like the API server does: the namespace comes from the URL. */
export function admit(obj: object, op: AdmissionOperation = 'CREATE', old?: object): KubeObject {
  const o = structuredClone(obj) as KubeObject;
  const rt = typeOf(o);
  if (rt.namespaced) o.metadata = { namespace: 'default', ...o.metadata };
  return admission.admit(rt, o, old as KubeObject | undefined, op) as KubeObject;
}

export function causesOf(fn: () => unknown): { message: string; causes: StatusCause[] } {
  try {
    fn();
  } catch (e) {
    if (isStatusError(e, 'Invalid')) return { message: e.message, causes: e.details?.causes ?? [] };
    throw e;
  }
  throw new Error('expected an Invalid error');
}

export const pod = (spec: object, metadata: object = { name: 'p' }) => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec });
export const nginx = { name: 'nginx', image: 'nginx' };
export const deployment = (spec: object) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec });
export const template = (labels: object, containers: object[] = [nginx]) => ({ metadata: { labels }, spec: { containers } });
