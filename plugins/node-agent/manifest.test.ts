// The node agent loaded the way the plugin host loads `builtin:node-agent`: manifest import,
// options setup, a child container with the kernel services; its runtime named in the options.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import t from 'tap';
import { NatsBus } from '../../kernel/bus/nats-bus.js';
import { createLogger } from '../../kernel/log.js';
import { builtinModulePath } from '../../kernel/plugin/config.js';
import { createPluginContainer, importManifest, instantiatePlugin, validateOptions } from '../../kernel/plugin/load.js';
import { openObjectStore } from '../../kernel/store/mod.js';
import { startTestNats } from '../../kernel/testing/nats.js';
import type { KubeObject } from '../../kernel/objects/types.js';
import { NAMESPACE_RESOURCE, NODE_RESOURCE, POD_RESOURCE, type Pod } from './pod-types.js';

t.test('builtin:node-agent with builtin:runtime-hollow', async (t) => {
  const nats = await startTestNats(t);
  const nc = await nats.connect();
  const logger = createLogger({}, 'error');
  const store = await openObjectStore(nc, { logger });
  t.teardown(() => store.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'kite-node-manifest-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  await store.create(NAMESPACE_RESOURCE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });

  const manifest = await importManifest(builtinModulePath('node-agent'), 'test: plugins[0] ("node-agent")', 'builtin:node-agent');
  t.equal(manifest.kind, 'NodeAgent');
  t.throws(() => validateOptions(manifest, { nodeName: 'Bad_Name' }, 'test'), /options\.nodeName: must be a DNS subdomain name/);
  t.throws(() => validateOptions(manifest, { leaseRenewSeconds: -1 }, 'test'), /options\.leaseRenewSeconds: must be a positive number/);
  const options = validateOptions(manifest, { nodeName: 'sim-1', runtime: 'builtin:runtime-hollow', runtimeOptions: { startDelayMs: 10 } }, 'test');
  const container = createPluginContainer({ bus: new NatsBus(nc), store, metrics: new Registry(), logger }, { name: 'node-agent', placement: 'inProcess', dataDir, natsServers: [nats.url], fail: () => undefined }, options);
  const plugin = await instantiatePlugin(manifest, container);
  await plugin.start();
  t.teardown(() => plugin.stop());
  const node = await store.get<KubeObject>(NODE_RESOURCE, undefined, 'sim-1');
  t.equal((node.status as { nodeInfo: { containerRuntimeVersion: string } }).nodeInfo.containerRuntimeVersion, 'hollow://0.1.0');
  await store.create<Pod>(POD_RESOURCE, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'sim-1', containers: [{ name: 'c', image: 'busybox' }] } });
  let phase: string | undefined;
  for (let i = 0; i < 100 && phase !== 'Running'; i++) {
    phase = (await store.get<Pod>(POD_RESOURCE, 'default', 'p')).status?.phase;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(phase, 'Running');
});
