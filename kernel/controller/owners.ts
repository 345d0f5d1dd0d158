// Owner references: the controller reference, and adopting/releasing objects the way upstream's
// ControllerRefManager does (claim what matches, release what stopped matching).
import { cloneJson } from '../objects/clone.js';
import type { KubeObject, OwnerReference, ResourceKey } from '../objects/types.js';
import type { ObjectStore } from '../store/types.js';
import { isStatusError } from '../objects/status.js';

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** The reference a controller puts on what it creates: controller=true, blockOwnerDeletion=true. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerRef(obj)?.uid === owner.metadata.uid;
}

export interface ClaimOptions<T extends KubeObject> {
  store: ObjectStore;
  resource: ResourceKey;
  owner: KubeObject;
  ownerApiVersion: string;
  ownerKind: string;
  matches(obj: T): boolean;
  /** Called with the stored object after an adopt/release write (e.g. informer.assume). */
  written?(obj: T): void;
}

/**
 * Returns the objects the owner controls after adopting matching orphans and releasing owned
 * objects that no longer match. An owner being deleted adopts nothing.
 */
export async function claimObjects<T extends KubeObject>(candidates: T[], o: ClaimOptions<T>): Promise<T[]> {
  const claimed: T[] = [];
  const ownerDeleting = Boolean(o.owner.metadata.deletionTimestamp);
  for (const obj of candidates) {
    const ref = controllerRef(obj);
    if (ref) {
      if (ref.uid !== o.owner.metadata.uid) continue;
      if (o.matches(obj)) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      await writeRefs(o, obj, (refs) => refs.filter((r) => r.uid !== o.owner.metadata.uid));
      continue;
    }
    if (ownerDeleting || obj.metadata.deletionTimestamp || !o.matches(obj)) continue;
    const adopted = await writeRefs(o, obj, (refs) => (refs.some((r) => r.controller) ? undefined : [...refs, newControllerRef(o.owner, o.ownerApiVersion, o.ownerKind)]));
    if (adopted && isControlledBy(adopted, o.owner)) claimed.push(adopted);
  }
  return claimed;
}

async function writeRefs<T extends KubeObject>(o: ClaimOptions<T>, obj: T, change: (refs: OwnerReference[]) => OwnerReference[] | undefined): Promise<T | undefined> {
  try {
    const updated = await o.store.guaranteedUpdate<T>(o.resource, obj.metadata.namespace, obj.metadata.name ?? '', (current) => {
      if (current.metadata.uid !== obj.metadata.uid) return undefined;
      const refs = change([...(current.metadata.ownerReferences ?? [])]);
      if (!refs) return undefined;
      const next = cloneJson(current);
      if (refs.length > 0) next.metadata.ownerReferences = refs;
      else delete next.metadata.ownerReferences;
      return next;
    });
    o.written?.(updated);
    return updated;
  } catch (e) {
    if (isStatusError(e, 'NotFound')) return undefined;
    throw e;
  }
}
