// The Endpoints controller: one Endpoints object per Service with a selector, named as the
// Service, with ready and not-ready addresses of the selected pods.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions } from '../../../kernel/controller/controller.js';
import { splitKey, type Informer } from '../../../kernel/controller/informer.js';
import { PODS } from '../../../kernel/controller/podcontrol.js';
import { canonicalJson, type PodLike } from '../../../kernel/controller/pods.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';
import { groupEndpoints, podHandlers, SERVICES, targetRef, type Service } from '../endpoint-pods.js';

export const ENDPOINTS: ResourceKey = { group: '', resource: 'endpoints', namespaced: true };
const HEADLESS_LABEL = 'service.kubernetes.io/headless';

@injectable()
export class EndpointsController extends Controller {
  private readonly services: Informer<Service>;
  private readonly pods: Informer<PodLike>;
  private readonly endpoints: Informer<KubeObject>;

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) options: ControllerOptions,
  ) {
    super('endpoint', { store, logger: logger.child({ controller: 'endpoint' }), metrics }, options);
    this.services = this.informer<Service>(SERVICES);
    this.pods = this.informer<PodLike>(PODS);
    this.endpoints = this.informer(ENDPOINTS);
    this.services.addHandler({ add: (s) => this.enqueue(s), update: (_o, s) => this.enqueue(s), delete: (s) => this.enqueue(s) });
    this.pods.addHandler(podHandlers(this.services, (s) => this.enqueue(s)));
    this.endpoints.addHandler({ delete: (e) => this.enqueue(e) });
  }

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.get(namespace, name);
    const current = this.endpoints.get(namespace, name);
    if (!svc) {
      if (current) await this.store.delete(ENDPOINTS, namespace, name).catch((e: unknown) => { if (!isStatusError(e, 'NotFound')) throw e; });
      return;
    }
    // Without a selector the Endpoints are the user's.
    if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) return;
    const address = (p: PodLike) => ({ ip: p.status!.podIP!, ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}), targetRef: targetRef(p) });
    const subsets = groupEndpoints(svc, this.pods.list(namespace ?? ''))
      .map((g) => ({
        ...(g.ready.length ? { addresses: g.ready.map(address) } : {}),
        ...(g.notReady.length ? { notReadyAddresses: g.notReady.map(address) } : {}),
        ...(g.ports.length ? { ports: g.ports } : {}),
      }));
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (svc.spec.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    if (current && canonicalJson(current.subsets ?? []) === canonicalJson(subsets) && canonicalJson(current.metadata.labels ?? {}) === canonicalJson(labels)) return;
    if (!current) {
      try {
        this.endpoints.assume(await this.store.create(ENDPOINTS, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels }, subsets }));
        return;
      } catch (e) {
        if (!isStatusError(e, 'AlreadyExists')) throw e;
      }
    }
    this.endpoints.assume(await this.store.guaranteedUpdate(ENDPOINTS, namespace, name, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels }, subsets })));
  }
}
