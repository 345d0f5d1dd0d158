// The ServiceAccount controller: a `default` ServiceAccount in every active namespace.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions } from '../../../kernel/controller/controller.js';
import type { Informer } from '../../../kernel/controller/informer.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';
import { NAMESPACES } from '../resources.js';

export const SERVICEACCOUNTS: ResourceKey = { group: '', resource: 'serviceaccounts', namespaced: true };

@injectable()
export class ServiceAccountController extends Controller {
  private readonly namespaces: Informer<KubeObject>;
  private readonly accounts: Informer<KubeObject>;

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) options: ControllerOptions,
  ) {
    super('serviceaccount', { store, logger: logger.child({ controller: 'serviceaccount' }), metrics }, options);
    this.namespaces = this.informer(NAMESPACES);
    this.accounts = this.informer(SERVICEACCOUNTS);
    this.namespaces.addHandler({ add: (ns) => this.enqueue(ns), update: (_o, ns) => this.enqueue(ns) });
    this.accounts.addHandler({ delete: (sa) => sa.metadata.name === 'default' && this.enqueue(sa.metadata.namespace ?? '') });
  }

  protected async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.get(undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp || this.accounts.get(namespace, 'default')) return;
    try {
      await this.store.create(SERVICEACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
    } catch (e) {
      // Already there, namespace gone or terminating: nothing to do.
      if (!isStatusError(e, 'AlreadyExists') && !isStatusError(e, 'NotFound') && !isStatusError(e, 'Forbidden')) throw e;
    }
  }
}
