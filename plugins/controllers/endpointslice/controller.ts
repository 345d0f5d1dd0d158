// The EndpointSlice controller: for each Service with a selector, one IPv4 EndpointSlice per
// distinct resolved port list, labelled with the service name and owned by the Service.
import { inject, injectable } from 'tsyringe';
import { Controller, type ControllerOptions } from '../../../kernel/controller/controller.js';
import { splitKey, type Informer } from '../../../kernel/controller/informer.js';
import { newControllerRef } from '../../../kernel/controller/owners.js';
import { PODS } from '../../../kernel/controller/podcontrol.js';
import { canonicalJson, isPodReady, type PodLike } from '../../../kernel/controller/pods.js';
import { isStatusError } from '../../../kernel/objects/status.js';
import type { KubeObject, ResourceKey } from '../../../kernel/objects/types.js';
import { Logger, MetricsRegistry, ObjectStore, PluginOptions } from '../../../kernel/tokens.js';
import { groupEndpoints, podHandlers, SERVICES, targetRef, type EndpointPort, type Service } from '../endpoint-pods.js';

export const ENDPOINTSLICES: ResourceKey = { group: 'discovery.k8s.io', resource: 'endpointslices', namespaced: true };
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';

interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: unknown[];
  ports?: EndpointPort[];
}

@injectable()
export class EndpointSliceController extends Controller {
  private readonly services: Informer<Service>;
  private readonly pods: Informer<PodLike>;
  private readonly slices: Informer<EndpointSlice>;

  constructor(
    @inject(ObjectStore) store: ObjectStore,
    @inject(Logger) logger: Logger,
    @inject(MetricsRegistry) metrics: MetricsRegistry,
    @inject(PluginOptions) options: ControllerOptions,
  ) {
    super('endpointslice', { store, logger: logger.child({ controller: 'endpointslice' }), metrics }, options);
    this.services = this.informer<Service>(SERVICES);
    this.pods = this.informer<PodLike>(PODS);
    this.slices = this.informer<EndpointSlice>(ENDPOINTSLICES);
    this.slices.addIndex('service', (s) => (s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && s.metadata.labels[SERVICE_NAME_LABEL] ? [`${s.metadata.namespace}/${s.metadata.labels[SERVICE_NAME_LABEL]}`] : []));
    this.services.addHandler({ add: (s) => this.enqueue(s), update: (_o, s) => this.enqueue(s), delete: (s) => this.enqueue(s) });
    this.pods.addHandler(podHandlers(this.services, (s) => this.enqueue(s)));
    this.slices.addHandler({ delete: (s) => { const svc = s.metadata.labels?.[SERVICE_NAME_LABEL]; if (svc) this.enqueue(`${s.metadata.namespace}/${svc}`); } });
  }

  protected async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.get(namespace, name);
    const existing = this.slices.byIndex('service', key);
    const wanted = svc?.spec?.selector && Object.keys(svc.spec.selector).length > 0 ? this.desired(svc) : [];
    const unused = [...existing];
    for (const slice of wanted) {
      const portsKey = canonicalJson(slice.ports ?? []);
      const i = unused.findIndex((s) => canonicalJson(s.ports ?? []) === portsKey);
      const match = i >= 0 ? unused.splice(i, 1)[0] : undefined;
      if (!match) {
        this.slices.assume(await this.store.create(ENDPOINTSLICES, { ...slice, metadata: { ...slice.metadata, generateName: `${name}-` } }));
      } else if (canonicalJson(match.endpoints ?? []) !== canonicalJson(slice.endpoints ?? []) || canonicalJson(match.metadata.labels ?? {}) !== canonicalJson(slice.metadata.labels ?? {})) {
        this.slices.assume(await this.store.guaranteedUpdate<EndpointSlice>(ENDPOINTSLICES, namespace, match.metadata.name!, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: slice.metadata.labels }, endpoints: slice.endpoints, ports: slice.ports })));
      }
    }
    for (const stale of unused) {
      await this.store.delete(ENDPOINTSLICES, namespace, stale.metadata.name!, { preconditions: { uid: stale.metadata.uid } }).catch((e: unknown) => {
        if (!isStatusError(e, 'NotFound')) throw e;
      });
    }
  }

  private desired(svc: Service): EndpointSlice[] {
    const groups = groupEndpoints(svc, this.pods.list(svc.metadata.namespace ?? ''));
    // A service without ready or not-ready pods still gets one empty slice, as upstream.
    if (groups.length === 0) groups.push({ ports: [], ready: [], notReady: [] });
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: svc.metadata.name!, [MANAGED_BY_LABEL]: MANAGED_BY };
    if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    return groups.map((g) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: svc.metadata.namespace, labels, ownerReferences: [newControllerRef(svc, 'v1', 'Service')] },
      addressType: 'IPv4',
      endpoints: [...g.ready, ...g.notReady].map((p) => {
        const ready = svc.spec?.publishNotReadyAddresses === true || isPodReady(p);
        return {
          addresses: [p.status!.podIP!],
          conditions: { ready, serving: isPodReady(p), terminating: false },
          ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
          targetRef: targetRef(p),
        };
      }),
      ports: g.ports,
    }));
  }
}
