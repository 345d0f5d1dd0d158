// The scheduler as a plugin: loaded by the PluginHost from `builtin:scheduler` in two "servers";
// leader election lets only one of them schedule, and the other takes over when it stops.
import 'reflect-metadata';
import t from 'tap';
import { Registry } from 'prom-client';
import { NatsBus } from '../../kernel/bus/nats-bus.js';
import { LEASES } from '../../kernel/controller/leader.js';
import { kernelConfigurationFromObject } from '../../kernel/plugin/config.js';
import { PluginHost } from '../../kernel/plugin/host.js';
import { PluginConfigError } from '../../kernel/plugin/types.js';
import { openObjectStore } from '../../kernel/store/mod.js';
import { createAdmission } from '../../kernel/objects/validation/mod.js';
import { ResourceRegistry } from '../../kernel/objects/registry.js';
import { startTestNats } from '../../kernel/testing/nats.js';
import { createLogger } from '../../kernel/log.js';
import { NAMESPACES, NODES, PODS } from './binding.js';
import type { Pod } from './framework/interfaces.js';
import { makeNode } from './framework/nodeinfo.js';
import manifest from './index.js';
import { waitFor } from './testdata/cluster.js';

const scheduled = async (m: Registry) => {
  const text = await m.metrics();
  return Number(/scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} (\d+)/.exec(text)?.[1] ?? 0);
};

t.test('two kernels, one acting scheduler; the standby takes over', async (t) => {
  const nats = await startTestNats(t);
  const logger = createLogger({}, 'error');
  const admission = createAdmission(new ResourceRegistry());
  const store = await openObjectStore(await nats.connect(), { admission, logger });
  t.teardown(() => store.close());
  await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  await store.create(NODES, makeNode('node-1', { cpu: '8', memory: '16Gi', pods: 110 }));
  const config = kernelConfigurationFromObject(
    {
      apiVersion: 'kite.dev/v1alpha1',
      kind: 'KernelConfiguration',
      plugins: [{ name: 'scheduler', module: 'builtin:scheduler', options: { leaderElection: { leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '200ms' } } }],
    },
    { source: 'test', baseDir: process.cwd() },
  );
  const hosts = [];
  const registries = [new Registry(), new Registry()];
  for (const metrics of registries) {
    const s = await openObjectStore(await nats.connect(), { admission, logger });
    t.teardown(() => s.close());
    const host = new PluginHost({ config, bus: new NatsBus(await nats.connect()), store: s, metrics, logger, natsServers: [nats.url], dataDir: nats.dataDir, stopGraceMs: 3000 });
    t.teardown(() => host.stop());
    await host.start();
    hosts.push(host);
  }
  t.same(hosts.map((h) => h.statuses()[0]!.state), ['running', 'running']);
  for (let i = 0; i < 4; i++) await store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  await waitFor('all bound', async () => (await store.list<Pod>(PODS, { namespace: 'default' })).items.every((p) => p.spec.nodeName));
  const counts = await waitFor('attempts counted', async () => {
    const c = await Promise.all(registries.map(scheduled));
    return c[0]! + c[1]! >= 4 ? c : undefined;
  });
  t.equal(counts[0]! + counts[1]!, 4, 'each pod scheduled once');
  t.ok(counts.includes(0), 'only the leader scheduled');
  const lease = await store.get<{ metadata: object; spec: { holderIdentity: string } }>(LEASES, 'kube-system', 'kube-scheduler');
  t.ok(lease.spec.holderIdentity, 'kube-system/kube-scheduler Lease held');
  const leader = counts[0]! > 0 ? 0 : 1;
  await hosts[leader]!.stop();
  await store.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'after', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  await waitFor('scheduled by the standby', async () => (await store.get<Pod>(PODS, 'default', 'after')).spec.nodeName);
  t.equal(await waitFor('standby counted', () => scheduled(registries[1 - leader]!)), 1, 'the standby took over');
});

t.test('manifest setup refuses bad options with the key path', async (t) => {
  t.equal(manifest.name, 'scheduler');
  t.equal(manifest.kind, 'Scheduler');
  try {
    manifest.setup!({ profiles: [{ plugins: { score: { enabled: [{ name: 'NodeResourcesFit' }, { name: 'Foo' }] } } }] });
    t.fail('accepted an unknown plugin');
  } catch (e) {
    t.ok(e instanceof PluginConfigError);
    t.equal((e as PluginConfigError).key, 'profiles[0].plugins.score.enabled[1].name');
    t.equal((e as Error).message, 'unknown plugin "Foo"');
  }
  const ok = manifest.setup!({ profiles: [{ pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } }] }] });
  t.equal(ok.profiles[0]!.schedulerName, 'default-scheduler');
});
