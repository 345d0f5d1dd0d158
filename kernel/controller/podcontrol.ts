// Creating and deleting pods for a controller, with expectations and slow start.
import { cloneJson } from '../objects/clone.js';
import { isStatusError } from '../objects/status.js';
import type { KubeObject, ResourceKey } from '../objects/types.js';
import type { ObjectStore } from '../store/types.js';
import type { Expectations } from './expectations.js';
import { newControllerRef } from './owners.js';
import type { PodLike } from './pods.js';

export const PODS: ResourceKey = { group: '', resource: 'pods', namespaced: true };

export interface PodTemplateLike {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}

/** A pod from an owner's template: generateName `<owner>-`, controller reference. */
export function podFromTemplate(owner: KubeObject, template: PodTemplateLike, ownerApiVersion: string, ownerKind: string): PodLike {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(owner, ownerApiVersion, ownerKind)],
    },
    spec: cloneJson(template.spec ?? {}) as PodLike['spec'],
  };
}

/**
 * Creates `count` pods in batches of 1, 2, 4, ... so a failing template costs few requests;
 * stops at the first failing batch and throws its error.
 */
export async function createPods(store: ObjectStore, expectations: Expectations, key: string, count: number, make: () => PodLike, created?: (pod: PodLike) => void): Promise<void> {
  expectations.expect(key, count, []);
  let done = 0;
  for (let batch = 1; done < count; batch *= 2) {
    const size = Math.min(batch, count - done);
    const results = await Promise.allSettled(Array.from({ length: size }, () => store.create(PODS, make())));
    done += size;
    for (const r of results) if (r.status === 'fulfilled') created?.(r.value);
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      expectations.creationFailed(key, failed.length + (count - done));
      throw (failed[0] as PromiseRejectedResult).reason;
    }
  }
}

/** Deletes the pods (uid-preconditioned); returns the uids that are gone. Throws the first real failure. */
export async function deletePods(store: ObjectStore, expectations: Expectations, key: string, victims: PodLike[]): Promise<Set<string>> {
  expectations.expect(key, 0, victims.map((p) => p.metadata.uid ?? ''));
  const results = await Promise.allSettled(victims.map((p) => store.delete(PODS, p.metadata.namespace, p.metadata.name ?? '', { preconditions: { uid: p.metadata.uid } })));
  const gone = new Set<string>();
  let failure: unknown;
  results.forEach((r, i) => {
    const uid = victims[i]!.metadata.uid ?? '';
    if (r.status === 'fulfilled' || isStatusError(r.reason, 'NotFound')) gone.add(uid);
    else {
      expectations.observedDelete(key, uid);
      failure ??= r.reason;
    }
  });
  if (failure) throw failure;
  return gone;
}
