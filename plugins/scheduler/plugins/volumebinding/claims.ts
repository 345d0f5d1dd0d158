// The pod's PersistentVolumeClaims as VolumeBinding classifies them (upstream podHasPVCs +
// GetPodVolumeClaims): missing, lost or deleting claims are errors; bound claims are checked
// against their PV's node affinity per node; unbound claims are "immediate" (the PV controller
// should have bound them) or "delayed" (WaitForFirstConsumer: binding is the volumes issue's).
import type { KubeObject } from '../../../../kernel/objects/types.js';
import type { Handle, Node, Pod } from '../../framework/interfaces.js';
import { getObject } from '../listers.js';
import { nodeMatchesNodeSelectorTerms, type NodeSelectorTerm } from '../shared/nodeselector.js';

export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  ephemeral?: unknown;
}

export interface PodClaims {
  bound: KubeObject[];
  unboundImmediate: KubeObject[];
  unboundDelayed: KubeObject[];
}

/** The claim name a volume refers to (generic ephemeral volumes: `<pod>-<volume>`), or undefined. */
export function claimNameOf(pod: Pod, v: Volume): { name: string; ephemeral: boolean } | undefined {
  if (v.persistentVolumeClaim) return { name: v.persistentVolumeClaim.claimName, ephemeral: false };
  if (v.ephemeral) return { name: `${pod.metadata.name}-${v.name}`, ephemeral: true };
  return undefined;
}

export function podVolumes(pod: Pod): Volume[] {
  return (pod.spec?.volumes ?? []) as Volume[];
}

export function hasClaims(pod: Pod): boolean {
  return podVolumes(pod).some((v) => claimNameOf(pod, v) !== undefined);
}

/** Upstream isPVCFullyBound; a claim whose status says Bound also counts (Kite's PV controller). */
function fullyBound(pvc: KubeObject): boolean {
  const spec = (pvc.spec ?? {}) as { volumeName?: string };
  if (!spec.volumeName) return false;
  return ANN_BIND_COMPLETED in (pvc.metadata.annotations ?? {}) || (pvc.status as { phase?: string } | undefined)?.phase === 'Bound';
}

function className(pvc: KubeObject): string {
  const spec = (pvc.spec ?? {}) as { storageClassName?: string | null };
  return pvc.metadata.annotations?.[ANN_BETA_STORAGE_CLASS] ?? spec.storageClassName ?? '';
}

/** Upstream IsDelayBindingMode; an error message when the class exists without a binding mode. */
function delayedBinding(handle: Handle, pvc: KubeObject): boolean | string {
  const name = className(pvc);
  if (!name) return false;
  const cls = getObject(handle, 'storageclasses', undefined, name);
  if (!cls) return false;
  const mode = (cls as { volumeBindingMode?: string }).volumeBindingMode;
  if (!mode) return `VolumeBindingMode not set for StorageClass "${name}"`;
  return mode === 'WaitForFirstConsumer';
}

/** Classifies the pod's claims; a string is the (unresolvable) reason the pod cannot proceed. */
export function classifyClaims(handle: Handle, pod: Pod): PodClaims | string {
  const ns = pod.metadata.namespace ?? 'default';
  const out: PodClaims = { bound: [], unboundImmediate: [], unboundDelayed: [] };
  for (const v of podVolumes(pod)) {
    const ref = claimNameOf(pod, v);
    if (!ref) continue;
    const pvc = getObject(handle, 'persistentvolumeclaims', ns, ref.name);
    if (!pvc) return ref.ephemeral ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${ref.name}"` : `persistentvolumeclaim "${ref.name}" not found`;
    const spec = (pvc.spec ?? {}) as { volumeName?: string };
    if ((pvc.status as { phase?: string } | undefined)?.phase === 'Lost') return `persistentvolumeclaim "${ref.name}" bound to non-existent persistentvolume "${spec.volumeName ?? ''}"`;
    if (pvc.metadata.deletionTimestamp) return `persistentvolumeclaim "${ref.name}" is being deleted`;
    if (ref.ephemeral) {
      const owner = (pvc.metadata.ownerReferences ?? []).find((o: { controller?: boolean }) => o.controller) as { uid?: string } | undefined;
      if (!owner || owner.uid !== pod.metadata.uid) return `PVC ${ns}/${ref.name} was not created for pod ${ns}/${pod.metadata.name} (pod is not owner)`;
    }
    if (fullyBound(pvc)) {
      out.bound.push(pvc);
      continue;
    }
    const delayed = delayedBinding(handle, pvc);
    if (typeof delayed === 'string') return delayed;
    // A pre-bound claim (volumeName set, not yet bound) waits for the PV controller: immediate.
    if (delayed && !spec.volumeName) out.unboundDelayed.push(pvc);
    else out.unboundImmediate.push(pvc);
  }
  return out;
}

/** Upstream CheckNodeAffinity: a PV without nodeAffinity.required fits every node. */
export function pvFitsNode(pv: KubeObject, node: Node): boolean {
  const required = (pv.spec as { nodeAffinity?: { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } } } | undefined)?.nodeAffinity?.required;
  if (!required) return true;
  return nodeMatchesNodeSelectorTerms(node, required.nodeSelectorTerms ?? []);
}
