// Hollow nodes: pods reach Running without any process; a command with `exit <n>` terminates.
import 'reflect-metadata';
import t from 'tap';
import type { KubeObject } from '../../kernel/objects/types.js';
import { NODE_RESOURCE, POD_RESOURCE, type Pod } from './pod-types.js';
import { startAgentHarness } from './testkit.js';

t.test('hollow runtime', async (t) => {
  const h = await startAgentHarness(t, { hollow: true, nodeName: 'hollow-1' });
  const node = await h.store.get<KubeObject>(NODE_RESOURCE, undefined, 'hollow-1');
  t.equal((node.status as { nodeInfo: { containerRuntimeVersion: string } }).nodeInfo.containerRuntimeVersion, 'hollow://0.1.0');
  await Promise.all(Array.from({ length: 20 }, (_, i) => h.store.create<Pod>(POD_RESOURCE, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default' },
    spec: { nodeName: 'hollow-1', containers: [{ name: 'c', image: 'whatever:1' }] },
  })));
  for (let i = 0; i < 20; i++) {
    const p = await h.waitForPod(`p${i}`, 'Running', (p) => p?.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    t.ok(p.status?.containerStatuses?.[0]?.state.running, `p${i} running`);
  }
  await h.store.create<Pod>(POD_RESOURCE, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'done', namespace: 'default' },
    spec: { nodeName: 'hollow-1', restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['sh', '-c', 'exit 3'] }] },
  });
  const done = await h.waitForPod('done', 'Failed', (p) => p?.status?.phase === 'Failed');
  t.equal(done.status?.containerStatuses?.[0]?.state.terminated?.exitCode, 3);
  await h.store.delete(POD_RESOURCE, 'default', 'p0');
  await h.waitForPod('p0', 'deleted', (p) => !p);
  t.pass('deleted pod is finalized by the hollow node');
});

t.test('kite node --hollow --count 3: startNodeAgentProcess', async (t) => {
  const { startTestNats } = await import('../../kernel/testing/nats.js');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createLogger } = await import('../../kernel/log.js');
  const { openObjectStore } = await import('../../kernel/store/mod.js');
  const { startNodeAgentProcess } = await import('./process.js');
  const nats = await startTestNats(t);
  const dataDir = mkdtempSync(join(tmpdir(), 'kite-node-process-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const node = await startNodeAgentProcess({ natsServers: [nats.url], dataDir, hollow: true, count: 3, nodeName: 'sim', logger: createLogger({}, 'error') });
  t.teardown(() => node.stop());
  t.same(node.nodes, ['sim-0', 'sim-1', 'sim-2']);
  const store = await openObjectStore(await nats.connect());
  t.teardown(() => store.close());
  const nodes = await store.list(NODE_RESOURCE);
  t.same(nodes.items.map((n) => n.metadata.name).sort(), ['sim-0', 'sim-1', 'sim-2']);
  await t.rejects(startNodeAgentProcess({ natsServers: [nats.url], dataDir, count: 2 }), /--count needs --hollow/);
});
