// Test helpers for the scheduler: a real nats-server + store with the API's admission, node and
// pod builders, and a poll-until. Not a test file itself.
import { Registry } from 'prom-client';
import { createLogger, type Logger } from '../../../kernel/log.js';
import { ResourceRegistry } from '../../../kernel/objects/registry.js';
import { createAdmission } from '../../../kernel/objects/validation/mod.js';
import { openObjectStore } from '../../../kernel/store/mod.js';
import type { ObjectStore } from '../../../kernel/store/types.js';
import { startTestNats } from '../../../kernel/testing/nats.js';
import { NAMESPACES, NODES, PODS } from '../binding.js';
import type { Node, Pod } from '../framework/interfaces.js';
import { makeNode } from '../framework/nodeinfo.js';

export interface SchedulerTestCluster {
  natsUrl: string;
  store: ObjectStore;
  metrics: Registry;
  logger: Logger;
  addNode(name: string, cpu: string, memory: string, labels?: Record<string, string>): Promise<Node>;
  addPod(name: string, opts?: { cpu?: string; memory?: string; nodeSelector?: Record<string, string>; schedulerName?: string; namespace?: string; priority?: number }): Promise<Pod>;
  getPod(name: string, namespace?: string): Promise<Pod>;
}

interface Tap {
  teardown(fn: () => unknown): void;
}

export async function startSchedulerCluster(t: Tap): Promise<SchedulerTestCluster> {
  const nats = await startTestNats(t);
  const logger = createLogger({}, (process.env.KITE_TEST_LOG as 'debug') ?? 'error');
  const store = await openObjectStore(await nats.connect(), { admission: createAdmission(new ResourceRegistry()), logger });
  t.teardown(() => store.close());
  await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return {
    natsUrl: nats.url,
    store,
    metrics: new Registry(),
    logger,
    addNode: (name, cpu, memory, labels) => store.create<Node>(NODES, makeNode(name, { cpu, memory, pods: '110' }, { labels })),
    addPod: (name, o = {}) =>
      store.create<Pod>(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: o.namespace ?? 'default' },
        spec: {
          containers: [{ name: 'app', image: 'nginx', ...(o.cpu || o.memory ? { resources: { requests: { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}) } } } : {}) }],
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
          ...(o.schedulerName ? { schedulerName: o.schedulerName } : {}),
          ...(o.priority !== undefined ? { priority: o.priority } : {}),
        },
      }),
    getPod: (name, namespace = 'default') => store.get<Pod>(PODS, namespace, name),
  };
}

/** Polls until check() returns a truthy value. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
