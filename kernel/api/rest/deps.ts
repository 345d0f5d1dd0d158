// What the REST layer needs from the rest of the kernel. Patch, table printing and schema checks
// are injected so each can be swapped (and stubbed in tests) without touching request handling.
import type { Bus } from '../../bus/types.js';
import type { Logger } from '../../log.js';
import type { ResourceRegistry, ResourceType } from '../../objects/registry.js';
import type { KubeObject } from '../../objects/types.js';
import type { ObjectStore } from '../../store/types.js';
import type { ApiRequest } from '../types.js';

export interface PatchFunctions {
  /** Applies a json-patch / merge-patch / strategic-merge-patch body to `original` (not mutated). */
  applyPatch(contentType: string, original: KubeObject, patchBody: Buffer, rt: ResourceType): KubeObject;
  /** Server-side apply of `applied` onto `current` (undefined: the object does not exist yet). */
  serverSideApply(current: KubeObject | undefined, applied: KubeObject, opts: { manager: string; force: boolean; rt: ResourceType }): KubeObject;
  /** Records an ordinary write (create/update/patch) by `manager` in managedFields; optional. */
  recordUpdate?(old: KubeObject | undefined, updated: KubeObject, manager: string, rt: ResourceType, now?: Date, subresource?: string): KubeObject;
}

/** Matches kernel/api/printers ToTableOptions (the fields the REST layer sets). */
export interface TableRequestOptions {
  includeObject: 'None' | 'Metadata' | 'Object';
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  /** Watch events after the first carry no columnDefinitions. */
  omitColumnDefinitions?: boolean;
  /** meta.k8s.io/v1 or meta.k8s.io/v1beta1, following the Accept header. */
  apiVersion?: string;
}

export type TablePrinter = (rt: ResourceType, objects: KubeObject[], opts: TableRequestOptions) => object;

/**
 * Serves a subresource the REST layer does not own (pods/log, pods/exec, serviceaccounts/token...).
 * Keyed `<resource>/<subresource>` in RestDeps.subresourceHandlers; writes the whole response.
 */
export type SubresourceHandler = (req: ApiRequest, ctx: { store: ObjectStore; bus?: Bus; logger: Logger }) => Promise<void>;

export interface RestDeps {
  store: ObjectStore;
  registry: ResourceRegistry;
  patch: PatchFunctions;
  toTable: TablePrinter;
  /** Field paths of `obj` that its schema does not know (fieldValidation); absent: no checks. */
  unknownFields?: (rt: ResourceType, obj: unknown) => string[];
  logger: Logger;
  /** For node-directed streams (logs, exec, port-forward) once a node agent serves them. */
  bus?: Bus;
  /**
   * Request-body decoders by media type beyond JSON/YAML, e.g. `application/vnd.kubernetes.protobuf`
   * (kubectl's typed clients: `kubectl create configmap`, `drain`); the result is the object as JSON.
   */
  bodyDecoders?: Record<string, (body: Buffer) => Record<string, unknown>>;
  /** Handlers for streaming/connect subresources; without one they answer 503. */
  subresourceHandlers?: Record<string, SubresourceHandler>;
}
