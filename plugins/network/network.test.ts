// The network plugin's readiness as the Node shows it: NetworkUnavailable True with the reason while
// the pod CIDR is missing or the configuration is broken, False once the list passes VERSION; and
// the plugin loads through its manifest with its options validated.
import 'reflect-metadata';
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../kernel/log.js';
import { ResourceRegistry } from '../../kernel/objects/registry.js';
import type { KubeObject } from '../../kernel/objects/types.js';
import { createAdmission } from '../../kernel/objects/validation/mod.js';
import { PluginConfigError } from '../../kernel/plugin/types.js';
import { openObjectStore } from '../../kernel/store/mod.js';
import { startTestNats } from '../../kernel/testing/nats.js';
import manifest from './index.js';
import { CniNetwork } from './network.js';
import { setup } from './setup.js';
import { tempDir, waitFor as waitUntil } from './testkit.js';

const NODES = { group: '', resource: 'nodes', namespaced: false };
type NodeObj = KubeObject & { spec?: { podCIDR?: string }; status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } };

const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000) => waitUntil(what, check, timeoutMs, 50);

t.test('options', async (t) => {
  t.equal(manifest.kind, 'NetworkPlugin');
  const o = setup({ nodeName: 'n1', nodeDir: '/var/lib/kite/node/n1' });
  t.same(o.cniPath, ['/opt/cni/bin', '/usr/lib/cni']);
  t.equal(o.flavour, 'kite');
  t.match(o.bridge, /^kite[0-9a-f]{8}$/);
  t.not(setup({ nodeDir: '/a/node/x' }).bridge, setup({ nodeDir: '/b/node/x' }).bridge, 'bridge names differ per node directory');
  for (const [raw, key] of [[{ cniPath: ['relative'] }, 'cniPath'], [{ confList: 7 }, 'confList'], [{ pluginTimeoutSeconds: 0 }, 'pluginTimeoutSeconds'], [{ bridge: 'much-too-long-bridge' }, 'bridge'], [{ flavour: 'calico' }, 'flavour'], [{ conflist: {} }, 'conflist']] as const) {
    let error: unknown;
    try { setup(raw); } catch (e) { error = e; }
    t.ok(error instanceof PluginConfigError && error.key === key, `refused naming ${key}: ${(error as Error)?.message}`);
  }
});

t.test('NetworkUnavailable follows the network', async (t) => {
  const nats = await startTestNats(t);
  const logger = createLogger({}, 'error');
  const store = await openObjectStore(await nats.connect(), { admission: createAdmission(new ResourceRegistry()), logger });
  t.teardown(() => store.close());
  const dir = tempDir(t, 'n2-net-');
  await store.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: '' }] } });
  const condition = async () => (await store.get<NodeObj>(NODES, undefined, 'n1')).status?.conditions?.find((c) => c.type === 'NetworkUnavailable');

  // Default list, no pod CIDR yet: not ready, and it says what it waits for.
  const net = new CniNetwork(setup({ nodeName: 'n1', nodeDir: join(dir, 'n1'), flavour: 'reference', statusCheckSeconds: 0.2 }), store, logger);
  await net.start();
  t.teardown(() => net.stop());
  const waiting = await waitFor('NetworkUnavailable True', async () => { const c = await condition(); return c?.status === 'True' ? c : undefined; });
  t.equal(waiting.reason, 'NetworkPluginNotReady');
  t.match(waiting.message, /waiting for the node IPAM controller to assign spec.podCIDR to node n1/);
  await t.rejects(net.setUp({ sandboxId: 's-x', netnsPath: '/proc/1/ns/net', podUid: 'x', namespace: 'default', name: 'x' }), /network is not ready: waiting for the node IPAM controller/);
  t.same(await store.get<NodeObj>(NODES, undefined, 'n1').then((n) => n.status?.conditions?.map((c) => c.type)), ['Ready', 'NetworkUnavailable'], 'other conditions kept');

  await store.guaranteedUpdate<NodeObj>(NODES, undefined, 'n1', (n) => ({ ...n, spec: { podCIDR: '10.244.9.0/24' } }));
  const ready = await waitFor('NetworkUnavailable False', async () => { const c = await condition(); return c?.status === 'False' ? c : undefined; });
  t.equal(ready.reason, 'NetworkReady');
  t.ok(net.readiness().ready);
  t.same(net.confList?.plugins.map((p) => p.type), ['bridge', 'portmap'], 'default list from the pod CIDR');

  // A configured list that cannot be read, then one whose plugin does not exist.
  const broken = new CniNetwork(setup({ nodeName: 'n1', nodeDir: join(dir, 'n1b'), confList: join(dir, 'missing.conflist'), statusCheckSeconds: 0.2 }), store, logger);
  await broken.start();
  t.teardown(() => broken.stop());
  const missing = await waitFor('True for a missing file', async () => { const c = await condition(); return c?.status === 'True' && c.message.includes('missing.conflist') ? c : undefined; });
  t.match(missing.message, /cannot read the network configuration/);
  const file = join(dir, 'bad.conflist');
  writeFileSync(file, JSON.stringify({ cniVersion: '1.0.0', name: 'bad', plugins: [{ type: 'no-such-plugin' }] }));
  const noPlugin = new CniNetwork(setup({ nodeName: 'n1', nodeDir: join(dir, 'n1c'), confList: file, statusCheckSeconds: 0.2 }), store, logger);
  await noPlugin.start();
  t.teardown(() => noPlugin.stop());
  t.notOk(noPlugin.readiness().ready);
  t.match(noPlugin.readiness().message, /failed to find plugin "no-such-plugin"/);
});
