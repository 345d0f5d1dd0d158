// Shared by the patch tests: frozen inputs prove the library never writes into what it is given.
import type t from 'tap';
import { builtinResources, type ResourceType } from '../../objects/registry.js';
import { isStatusError, type StatusError } from '../../objects/status.js';
import type { KubeObject } from '../../objects/types.js';
import { applyPatch } from './mod.js';

type Tap = typeof t;

export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

/** True when some object inside `v` is frozen, i.e. the result shares structure with an input. */
export function sharesFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  return Object.isFrozen(v) || Object.values(v).some(sharesFrozen);
}

export function resourceType(group: string, resource: string): ResourceType {
  const rt = builtinResources.find((r) => r.group === group && r.resource === resource);
  if (!rt) throw new Error(`no resource ${group}/${resource}`);
  return rt;
}

export const customResource: ResourceType = {
  group: 'example.com',
  version: 'v1',
  resource: 'widgets',
  kind: 'Widget',
  namespaced: true,
  listKind: 'WidgetList',
  singularName: 'widget',
  verbs: ['get', 'patch'],
};

/** Patches a frozen copy of `original` and checks the result shares nothing with it. */
export function patchFrozen(t: Pick<Tap, 'notOk'>, type: string, original: KubeObject, body: unknown, rt: ResourceType): KubeObject {
  const frozen = deepFreeze(structuredClone(original));
  const out = applyPatch(type, frozen, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), rt);
  t.notOk(sharesFrozen(out), 'result shares no structure with the input');
  return out;
}

/** The StatusError `fn` throws (fails the test through the thrown Error otherwise). */
export function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (isStatusError(e)) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

/** Loosely typed view of a patched Deployment for assertions. */
export type Deployment = KubeObject & { spec: any; metadata: any };

/** A Deployment with two containers, env, ports, a volume and tolerations. */
export function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'old', 'deployment.kubernetes.io/revision': '3' },
      finalizers: ['a.example/f', 'b.example/f'],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'app', image: 'app:1', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
            { name: 'x', image: 'sidecar:1' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'k1', operator: 'Exists' }],
        },
      },
    },
  };
}
