// The object store contract. The kernel's implementation keeps objects in a NATS JetStream KV
// bucket (see README.md); everything above it (API server, plugins) uses only this interface.
import type { KubeObject, ListMeta, ResourceKey, WatchEvent } from '../objects/types.js';

export interface WriteOptions {
  /** Validate and compute the result without persisting it (`dryRun=All`). */
  dryRun?: boolean;
  /**
   * The write is a subresource's, whose own admission rules apply instead of the resource's
   * (`binding` on pods: upstream's binding storage writes the pod without the pod update
   * strategy, so no defaulting or pod update validation; the binding's own checks run before).
   */
  subresource?: 'binding';
}

export interface GuaranteedUpdateOptions extends WriteOptions {
  /**
   * `mutate` treats the object it is given as read-only and returns a new one (sharing unchanged
   * parts is fine): the store then skips its deep copy of the current object. The result may share
   * those parts with the store's cache: do not change it.
   */
  mutatorCopies?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  /** Delete only if the stored object still has this uid / resourceVersion (409 Conflict otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Recorded as metadata.deletionGracePeriodSeconds when finalizers keep the object (pods: the node agent's grace). */
  gracePeriodSeconds?: number;
  /** Finalizer to add before deletion starts (e.g. `foregroundDeletion`, `orphan`). */
  addFinalizers?: string[];
}

export interface DeleteResult<T extends KubeObject = KubeObject> {
  /** The object as last stored: with deletionTimestamp set when finalizers keep it. */
  object: T;
  /** True when the object is gone from the store; false when finalizers keep it (Terminating). */
  deleted: boolean;
}

export interface ListOptions<T extends KubeObject = KubeObject> {
  /** Namespace to list; undefined lists every namespace. */
  namespace?: string;
  /** Objects kept only when this returns true (label/field selectors compiled by the caller). */
  predicate?: (obj: T) => boolean;
  /** Page size; 0 or undefined means no limit. */
  limit?: number;
  /** Opaque token from a previous page's ListMeta.continue. */
  continue?: string;
  /**
   * '' or undefined: most recent, including this client's own writes. '0': any cached state.
   * 'N': at least as new as N (waits briefly for the cache to reach it).
   */
  resourceVersion?: string;
}

export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  metadata: ListMeta;
}

export interface WatchOptions<T extends KubeObject = KubeObject> {
  namespace?: string;
  predicate?: (obj: T) => boolean;
  /**
   * '' / undefined / '0': synthetic ADDED events for current objects, then changes.
   * 'N': every change after N; 410 Gone (StatusError reason Expired) if N is below the floor.
   */
  resourceVersion?: string;
  /** Send BOOKMARK events carrying only metadata.resourceVersion, periodically. */
  allowBookmarks?: boolean;
}

/** A running watch. Iterate it for events; stop() ends the iteration and frees the watcher. */
export interface Watch<T extends KubeObject = KubeObject> extends AsyncIterable<WatchEvent<T>> {
  stop(): void;
}

export interface ObjectStore {
  /** Fails with AlreadyExists if the name is taken. Sets uid, creationTimestamp, generation, resourceVersion. */
  create<T extends KubeObject>(res: ResourceKey, obj: T, opts?: WriteOptions): Promise<T>;
  /** Fails with NotFound. */
  get<T extends KubeObject>(res: ResourceKey, namespace: string | undefined, name: string): Promise<T>;
  /**
   * Replaces the object. With metadata.resourceVersion set it is compare-and-swap (stale → Conflict);
   * without it the update is unconditional. Bumps generation only when `spec` changes. Removing the
   * last finalizer of an object with deletionTimestamp deletes it.
   */
  update<T extends KubeObject>(res: ResourceKey, obj: T, opts?: WriteOptions): Promise<T>;
  /**
   * Reads, applies `mutate`, writes with CAS, and retries on conflict. `mutate` returning undefined
   * means "no change" and the current object is returned without a write.
   */
  guaranteedUpdate<T extends KubeObject>(
    res: ResourceKey,
    namespace: string | undefined,
    name: string,
    mutate: (current: T) => T | undefined | Promise<T | undefined>,
    opts?: GuaranteedUpdateOptions,
  ): Promise<T>;
  /** With finalizers the object gets deletionTimestamp and stays; otherwise it is removed. */
  delete<T extends KubeObject>(res: ResourceKey, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<DeleteResult<T>>;
  list<T extends KubeObject>(res: ResourceKey, opts?: ListOptions<T>): Promise<ListResult<T>>;
  watch<T extends KubeObject>(res: ResourceKey, opts?: WatchOptions<T>): Promise<Watch<T>>;
  /** The newest resourceVersion this client has seen. */
  currentResourceVersion(): string;
  close(): Promise<void>;
}
