// The namespace controller: a namespace with deletionTimestamp shows phase Terminating, every
// namespaced object in it is deleted, then the `kubernetes` finalizer is removed (from
// spec.finalizers and metadata.finalizers) so the store removes the namespace.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions, type SyncResult } from '../../../kernel/controller/controller.js';
import type { Informer } from '../../../kernel/controller/informer.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import { ResourceRegistry } from '../../../kernel/objects/registry.js';
import type { KubeObject } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';
import { NAMESPACES } from '../resources.js';

export { NAMESPACES };
export const KUBERNETES_FINALIZER = 'kubernetes';

export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: unknown[] };
}

export interface NamespaceOptions extends ControllerOptions {
  /** Wait before checking again while content is still being finalized. */
  recheckMs: number;
}

@injectable()
export class NamespaceController extends Controller {
  private readonly namespaces: Informer<Namespace>;
  private readonly registry = new ResourceRegistry();

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) private readonly nsOptions: NamespaceOptions,
  ) {
    super('namespace', { store, logger: logger.child({ controller: 'namespace' }), metrics }, nsOptions);
    this.namespaces = this.informer<Namespace>(NAMESPACES);
    const onChange = (ns: Namespace) => {
      if (ns.metadata.deletionTimestamp) this.enqueue(ns);
    };
    this.namespaces.addHandler({ add: onChange, update: (_o, ns) => onChange(ns) });
  }

  protected async sync(name: string): Promise<SyncResult | void> {
    const ns = this.namespaces.get(undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    if (ns.status?.phase !== 'Terminating') {
      await this.write(name, ns.metadata.uid, (cur) => ({ ...cur, status: { ...(cur.status ?? {}), phase: 'Terminating' } }));
    }
    let remaining = 0;
    for (const type of this.registry.all()) {
      if (!type.namespaced || !type.verbs.includes('list') || !type.verbs.includes('delete')) continue;
      const { items } = await this.store.list(type, { namespace: name });
      remaining += items.length;
      await Promise.all(
        items.filter((o) => !o.metadata.deletionTimestamp).map((o) =>
          this.store.delete(type, name, o.metadata.name ?? '', { preconditions: { uid: o.metadata.uid } }).catch((e: unknown) => {
            if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
          }),
        ),
      );
    }
    if (remaining > 0) return { requeueAfterMs: this.nsOptions.recheckMs };
    // Nothing was left before this pass's deletes: finalize.
    await this.write(name, ns.metadata.uid, (cur) => {
      const spec = (cur.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
      const meta = (cur.metadata.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
      if (spec.length === (cur.spec?.finalizers ?? []).length && meta.length === (cur.metadata.finalizers ?? []).length) return undefined;
      return { ...cur, spec: { ...(cur.spec ?? {}), finalizers: spec }, metadata: { ...cur.metadata, finalizers: meta } };
    });
  }

  private async write(name: string, uid: string | undefined, mutate: (ns: Namespace) => Namespace | undefined): Promise<void> {
    try {
      const updated = await this.store.guaranteedUpdate<Namespace>(NAMESPACES, undefined, name, (cur) => (cur.metadata.uid === uid ? mutate(cur) : undefined));
      this.namespaces.assume(updated);
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }
}
