// pods/binding semantics, shared by the API server's POST pods/<name>/binding and the in-process
// scheduler: a compare-and-swap that sets spec.nodeName once (same uid, not being deleted, not
// yet assigned) and PodScheduled=True.
import { errors } from '../objects/status.js';
import type { KubeObject, ResourceKey } from '../objects/types.js';
import type { ObjectStore } from '../store/types.js';
import { PODS } from './podcontrol.js';
import { nowTime, setCondition, type PodLike } from './pods.js';

export interface BindOptions {
  /** Precondition: the pod's uid. */
  uid?: string;
  /** Annotations the Binding object carries, merged into the pod's. */
  annotations?: Record<string, string>;
  dryRun?: boolean;
  /** The pods resource as the caller names it (defaults to core/v1 pods). */
  resource?: ResourceKey;
}

export async function bindPodToNode(store: ObjectStore, namespace: string | undefined, name: string, nodeName: string, opts: BindOptions = {}): Promise<KubeObject> {
  const qualified = 'pods/binding';
  return store.guaranteedUpdate<PodLike>(
    opts.resource ?? PODS,
    namespace,
    name,
    (pod) => {
      if (opts.uid && opts.uid !== pod.metadata.uid) {
        throw errors.conflict(qualified, name, `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${pod.metadata.uid}`);
      }
      if (pod.metadata.deletionTimestamp) throw errors.conflict(qualified, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      const spec = pod.spec ?? {};
      if (spec.nodeName) throw errors.conflict(qualified, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      const status = pod.status ?? {};
      const conditions = setCondition(status.conditions?.filter((c) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowTime() });
      const annotations = { ...(pod.metadata.annotations ?? {}), ...(opts.annotations ?? {}) };
      const metadata = Object.keys(annotations).length ? { ...pod.metadata, annotations } : pod.metadata;
      return { ...pod, metadata, spec: { ...spec, nodeName }, status: { ...status, conditions } };
    },
    // The mutator builds new metadata/spec/status objects and leaves the current pod untouched.
    { dryRun: opts.dryRun, subresource: 'binding', mutatorCopies: true },
  );
}
