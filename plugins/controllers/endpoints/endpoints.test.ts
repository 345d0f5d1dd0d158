// Endpoints and EndpointSlice controllers: ready/not-ready addresses, named ports, headless.
import 'reflect-metadata';
import t from 'tap';
import { HollowKubelet } from '../../../kernel/controller/testing.js';
import { PODS } from '../../../kernel/controller/podcontrol.js';
import type { PodLike } from '../../../kernel/controller/pods.js';
import type { KubeObject } from '../../../kernel/objects/types.js';
import { ENDPOINTSLICES, EndpointSliceController, SERVICE_NAME_LABEL } from '../endpointslice/controller.js';
import { meta, startTestCluster, testOptions, waitFor } from '../testing.js';
import { SERVICES } from '../endpoint-pods.js';
import { ENDPOINTS, EndpointsController } from './controller.js';

type Loose = KubeObject & Record<string, any>;

t.test('endpoints and endpointslice controllers', async (t) => {
  const c = await startTestCluster(t);
  const { store } = c;
  const kubelet = new HollowKubelet(store, { readyDelayMs: 10, selects: (p) => p.metadata.labels?.ready === 'yes' });
  await kubelet.start();
  t.teardown(() => kubelet.stop());
  for (const ctl of [new EndpointsController(store, c.logger, c.metrics, testOptions()), new EndpointSliceController(store, c.logger, c.metrics, testOptions())]) {
    await ctl.start();
    t.teardown(() => ctl.stop());
  }
  const pod = (name: string, ready: boolean, port: number) =>
    store.create(PODS, {
      apiVersion: 'v1', kind: 'Pod', metadata: meta(name, 'default', { labels: { app: 'web', ready: ready ? 'yes' : 'no' } }),
      spec: { containers: [{ name: 'app', image: 'web', ports: [{ name: 'http', containerPort: port }] }] },
    });
  await pod('a', true, 8080);
  await pod('b', true, 8080);
  await pod('c', false, 8080);
  await pod('d', true, 9090);
  // c runs but is not ready.
  await store.guaranteedUpdate<PodLike>(PODS, 'default', 'c', (p) => ({ ...p, status: { phase: 'Running', podIP: '10.9.9.9', conditions: [{ type: 'Ready', status: 'False' }] } }));
  await store.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } });
  await store.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: meta('headless'), spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } });

  for (const svc of ['web', 'headless']) {
    const ep = await waitFor(`${svc} endpoints`, async () => {
      const ep = (await store.list<Loose>(ENDPOINTS, { namespace: 'default' })).items.find((e) => e.metadata.name === svc);
      const addrs = (ep?.subsets ?? []).flatMap((s: Loose) => s.addresses ?? []);
      return addrs.length === 3 ? ep : undefined;
    });
    const subsets = ep.subsets as Loose[];
    t.equal(subsets.length, 2, `${svc}: two port groups (8080 and 9090)`);
    const s8080 = subsets.find((s) => s.ports[0].port === 8080)!;
    t.same(s8080.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }], 'named targetPort resolved per pod');
    t.equal(s8080.addresses.length, 2);
    t.same(s8080.notReadyAddresses.map((a: Loose) => a.ip), ['10.9.9.9'], 'not-ready pod listed as such');
    t.equal(s8080.notReadyAddresses[0].targetRef.name, 'c');
    if (svc === 'headless') t.equal(ep.metadata.labels?.['service.kubernetes.io/headless'], '');
  }

  const slices = await waitFor('slices', async () => {
    const items = (await store.list<Loose>(ENDPOINTSLICES, { namespace: 'default' })).items.filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === 'web');
    return items.length === 2 && items.reduce((n, s) => n + s.endpoints.length, 0) === 4 ? items : undefined;
  });
  const s8080 = slices.find((s) => s.ports[0].port === 8080)!;
  t.equal(s8080.addressType, 'IPv4');
  t.same(s8080.endpoints.map((e: Loose) => e.conditions.ready).sort(), [false, true, true]);
  t.equal(s8080.metadata.ownerReferences?.[0]?.kind, 'Service');

  // A pod that stops matching leaves; deleting the service removes its Endpoints.
  await store.guaranteedUpdate<PodLike>(PODS, 'default', 'd', (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'other' } } }));
  await waitFor('9090 group gone', async () => ((await store.get<Loose>(ENDPOINTS, 'default', 'web')).subsets as Loose[]).length === 1);
  await waitFor('9090 slice gone', async () => (await store.list<Loose>(ENDPOINTSLICES, { namespace: 'default' })).items.filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === 'web').length === 1);
  await store.delete(SERVICES, 'default', 'web');
  await waitFor('endpoints deleted', async () => !(await store.list(ENDPOINTS, { namespace: 'default' })).items.some((e) => e.metadata.name === 'web'));
  await waitFor('slices deleted', async () => !(await store.list<Loose>(ENDPOINTSLICES, { namespace: 'default' })).items.some((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === 'web'));
});
