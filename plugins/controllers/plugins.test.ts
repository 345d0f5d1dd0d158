// The built-in controllers as plugins: loaded by the PluginHost from `builtin:controllers/<name>`
// entries (one in a worker thread), they run a Deployment to availability and delete a namespace.
import 'reflect-metadata';
import t from 'tap';
import { NatsBus } from '../../kernel/bus/nats-bus.js';
import { HollowKubelet } from '../../kernel/controller/testing.js';
import { kernelConfigurationFromObject } from '../../kernel/plugin/config.js';
import { PluginHost } from '../../kernel/plugin/host.js';
import { isStatusError } from '../../kernel/objects/status.js';
import { startTestNats } from '../../kernel/testing/nats.js';
import { openObjectStore } from '../../kernel/store/mod.js';
import { createAdmission } from '../../kernel/objects/validation/mod.js';
import { ResourceRegistry } from '../../kernel/objects/registry.js';
import { createLogger } from '../../kernel/log.js';
import { Registry } from 'prom-client';
import { DEPLOYMENTS } from './deployment/controller.js';
import type { Deployment } from './deployment/util.js';
import { NAMESPACES, PODS } from './resources.js';
import { container, waitFor } from './testing.js';
import { controllerSetup } from './setup.js';
import { PluginConfigError } from '../../kernel/plugin/types.js';

const builtinControllers = ['replicaset', 'deployment', 'gc', 'namespace', 'serviceaccount', 'job', 'endpoints', 'endpointslice', 'nodelifecycle'];

t.test('built-in controllers load and run through the plugin host', async (t) => {
  const nats = await startTestNats(t);
  const logger = createLogger({}, 'error');
  const store = await openObjectStore(await nats.connect(), { admission: createAdmission(new ResourceRegistry()), logger });
  t.teardown(() => store.close());
  await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const config = kernelConfigurationFromObject(
    {
      apiVersion: 'kite.dev/v1alpha1',
      kind: 'KernelConfiguration',
      plugins: builtinControllers.map((name) => ({
        name: `${name}-controller`,
        module: `builtin:controllers/${name}`,
        // The ReplicaSet controller in its own thread: placement is configuration.
        placement: name === 'replicaset' ? 'worker' : 'inProcess',
        options: { leaderElection: { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 0.2 } },
      })),
    },
    { source: 'test', baseDir: process.cwd() },
  );
  const host = new PluginHost({ config, bus: new NatsBus(await nats.connect()), store, metrics: new Registry(), logger, natsServers: [nats.url], dataDir: nats.dataDir, stopGraceMs: 3000 });
  t.teardown(() => host.stop());
  await host.start();
  t.same(host.statuses().map((s) => s.state), builtinControllers.map(() => 'running'), 'all running');
  const kubelet = new HollowKubelet(store, { readyDelayMs: 20, selects: () => true });
  await kubelet.start();
  t.teardown(() => kubelet.stop());

  await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
  await store.create(DEPLOYMENTS, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'app' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: container('web') } },
  });
  const d = await waitFor('deployment available', async () => {
    const d = await store.get<Deployment>(DEPLOYMENTS, 'app', 'web');
    return d.status?.availableReplicas === 3 && d.status.updatedReplicas === 3 ? d : undefined;
  });
  t.equal(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  await waitFor('default service account', () => store.get({ group: '', resource: 'serviceaccounts', namespaced: true }, 'app', 'default').catch(() => undefined));

  await store.delete(NAMESPACES, undefined, 'app', { addFinalizers: ['kubernetes'] });
  await waitFor('namespace gone', () => store.get(NAMESPACES, undefined, 'app').then(() => false, (e: unknown) => isStatusError(e, 'NotFound')), 30_000);
  t.equal((await store.list(PODS, { namespace: 'app' })).items.length, 0, 'pods gone');
});

t.test('controller options: defaults, and refusals naming the key', async (t) => {
  const setup = controllerSetup({ burstReplicas: 500 }, 5);
  const d = setup(undefined);
  t.equal(d.workers, 5);
  t.equal(d.burstReplicas, 500);
  t.same(d.leaderElection, { enabled: true, leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2, namespace: 'kube-system' });
  t.equal(setup({ burstReplicas: 10, leaderElection: { enabled: false } }).leaderElection.enabled, false);
  const key = (raw: unknown) => {
    try {
      setup(raw);
      return undefined;
    } catch (e) {
      return e instanceof PluginConfigError ? e.key : 'not a PluginConfigError';
    }
  };
  t.equal(key({ wrokers: 2 }), 'wrokers');
  t.equal(key({ workers: 0 }), 'workers');
  t.equal(key({ burstReplicas: -1 }), 'burstReplicas');
  t.equal(key({ leaderElection: { leaseDurationSeconds: 5 } }), 'leaderElection.renewDeadlineSeconds');
  t.equal(key({ leaderElection: { foo: 1 } }), 'leaderElection.foo');
});
