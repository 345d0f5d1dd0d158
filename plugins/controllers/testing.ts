// Test helpers for the controllers: a real nats-server and store with the API's admission, and
// a poll-until helper. Not a test file itself.
import { Registry } from 'prom-client';
import type { ControllerOptions } from '../../kernel/controller/controller.js';
import { createLogger, type Logger } from '../../kernel/log.js';
import { ResourceRegistry } from '../../kernel/objects/registry.js';
import { createAdmission } from '../../kernel/objects/validation/mod.js';
import type { KubeObject } from '../../kernel/objects/types.js';
import { openObjectStore } from '../../kernel/store/mod.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { startTestNats } from '../../kernel/testing/nats.js';

import { NAMESPACES } from './resources.js';

export interface TestCluster {
  store: ObjectStore;
  /** A second store client on its own connection (a second "server"). */
  openStore(): Promise<ObjectStore>;
  metrics: Registry;
  logger: Logger;
}

interface Tap {
  teardown(fn: () => unknown): void;
}

export async function startTestCluster(t: Tap, namespaces = ['default']): Promise<TestCluster> {
  const nats = await startTestNats(t);
  const admission = createAdmission(new ResourceRegistry());
  const logger = createLogger({}, (process.env.KITE_TEST_LOG as 'debug') ?? 'error');
  const openStore = async () => {
    const store = await openObjectStore(await nats.connect(), { admission, logger });
    t.teardown(() => store.close());
    return store;
  };
  const store = await openStore();
  for (const name of namespaces) await store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return { store, openStore, metrics: new Registry(), logger };
}

export function testOptions<E extends object>(extra: E = {} as E, leader = false): ControllerOptions & E {
  return {
    workers: 2,
    leaderElection: { enabled: leader, leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.2, namespace: 'kube-system' },
    ...extra,
  };
}

/** Polls until check() returns a truthy value; fails with the last value seen. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function container(image: string) {
  return { containers: [{ name: 'app', image }] };
}

export const meta = (name: string, namespace = 'default', extra: Partial<KubeObject['metadata']> = {}) => ({ name, namespace, ...extra });
