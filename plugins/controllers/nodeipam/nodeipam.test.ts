// Node IPAM: distinct pod CIDRs, kept over a restart, freed on delete, CIDRNotAvailable when the
// cluster CIDR is exhausted, and configuration mistakes refused with the key.
import 'reflect-metadata';
import t from 'tap';
import { EVENTS } from '../../../kernel/events/recorder.js';
import { PluginConfigError } from '../../../kernel/plugin/types.js';
import type { KubeObject } from '../../../kernel/objects/types.js';
import { startTestCluster, testOptions, waitFor } from '../testing.js';
import { NODES, NodeIpamController, type IpamNode } from './controller.js';
import { setup } from './setup.js';

t.test('configuration', async (t) => {
  const d = setup(undefined);
  t.equal(d.clusterCIDR, '10.244.0.0/16');
  t.equal(d.serviceCIDR, '10.96.0.0/12');
  t.equal(d.nodeCIDRMaskSize, 24);
  t.equal(d.workers, 1);
  const refused = (raw: unknown, key: string) => {
    try {
      setup(raw);
      t.fail(`accepted ${JSON.stringify(raw)}`);
    } catch (e) {
      t.ok(e instanceof PluginConfigError, 'PluginConfigError');
      t.equal((e as PluginConfigError).key, key, `${JSON.stringify(raw)} names ${key}: ${(e as Error).message}`);
    }
  };
  refused({ clusterCIDR: '10.244.0.0/33' }, 'clusterCIDR');
  refused({ clusterCIDR: '10.244.0.1/16' }, 'clusterCIDR');
  refused({ serviceCIDR: 'nope' }, 'serviceCIDR');
  refused({ clusterCIDR: '10.0.0.0/8' }, 'serviceCIDR');
  refused({ serviceCIDR: '10.244.128.0/20' }, 'serviceCIDR');
  refused({ nodeCIDRMaskSize: 8 }, 'nodeCIDRMaskSize');
  refused({ nodeCIDRMaskSize: 24.5 }, 'nodeCIDRMaskSize');
  refused({ podCidr: '10.0.0.0/8' }, 'podCidr');
  t.same(setup({ clusterCIDR: '10.200.0.0/22', nodeCIDRMaskSize: 26 }).clusterCIDR, '10.200.0.0/22');
});

t.test('assigns, keeps over a restart, releases, reports exhaustion', async (t) => {
  const c = await startTestCluster(t, ['default', 'kube-system']);
  const { store } = c;
  const options = () => testOptions({ clusterCIDR: '10.250.0.0/22', nodeCIDRMaskSize: 24, serviceCIDR: '10.96.0.0/12' });
  const node = (name: string, podCIDR?: string) => store.create<IpamNode>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name }, ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}) });
  const cidrOf = async (name: string) => (await store.get<IpamNode>(NODES, undefined, name)).spec?.podCIDR;
  // A node that already has a range before the controller starts keeps it.
  await node('pre', '10.250.1.0/24');
  await node('a');
  await node('b');
  let ipam = new NodeIpamController(store, c.logger, c.metrics, options());
  await ipam.start();
  t.teardown(() => ipam.stop());
  const a = await waitFor('a has a podCIDR', () => cidrOf('a'));
  const b = await waitFor('b has a podCIDR', () => cidrOf('b'));
  t.equal(await cidrOf('pre'), '10.250.1.0/24', 'existing assignment kept');
  const all = new Set([a, b, '10.250.1.0/24']);
  t.equal(all.size, 3, `no overlap: ${[...all].join(' ')}`);
  const stored = await store.get<IpamNode>(NODES, undefined, 'a');
  t.same(stored.spec?.podCIDRs, [a], 'podCIDRs has the same range');

  // Restart: a new controller rebuilds the map from the nodes and gives the next node the last free range.
  await ipam.stop();
  ipam = new NodeIpamController(store, c.logger, c.metrics, options());
  await ipam.start();
  await node('c');
  const cc = await waitFor('c has a podCIDR', () => cidrOf('c'));
  t.notOk(all.has(cc), `c got a free range (${cc})`);
  t.equal(ipam.allocations().size, 4, 'four ranges of a /22 in use');
  t.equal(await cidrOf('a'), a, 'a kept its range over the restart');

  // Exhausted: the fifth node gets the upstream event, and a range once one is freed.
  const d = await node('d');
  await waitFor('CIDRNotAvailable event', async () => {
    const events = await store.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>(EVENTS, { namespace: 'default' });
    return events.items.find((e) => e.reason === 'CIDRNotAvailable' && e.involvedObject?.name === 'd');
  });
  t.ok(d, 'event for d recorded');
  t.notOk(await cidrOf('d'), 'd has no range while exhausted');
  await store.delete(NODES, undefined, 'b');
  // The controller retries on its own; deleting b frees its range for d.
  const dd = await waitFor('d gets the freed range', () => cidrOf('d'), 30_000);
  t.equal(dd, b, 'the freed range was reused');
});
