// Admission: the one set of defaulting and validation rules every write goes through, whether it
// comes from the API server or from a plugin's store client.
import type { KubeObject, ResourceKey } from './types.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE';

export interface Admission {
  /**
   * Returns the object to store (defaulted), or throws a StatusError (Invalid, Forbidden, ...).
   * `obj` is the caller's own copy: admission may default it in place (and return it), which
   * saves a deep copy per write. `old` is the stored object on UPDATE: never mutated.
   * `subresource` names the subresource a write comes through (its rules replace the resource's).
   */
  admit(res: ResourceKey, obj: KubeObject, old: KubeObject | undefined, op: AdmissionOperation, subresource?: string): KubeObject | Promise<KubeObject>;
}

/** Accepts everything unchanged: for stores that hold kernel-internal records only. */
export const admitAll: Admission = { admit: (_res, obj) => obj };
