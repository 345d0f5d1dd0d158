// Kernel services for one process: what the plugin host hands to plugins, and what a plugin
// running in a worker thread or a child process builds for itself from the NATS URLs.
import { connect, type NatsConnection } from 'nats';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { NatsBus } from './bus/nats-bus.js';
import type { Bus } from './bus/types.js';
import { createLogger, type Logger } from './log.js';
import type { Admission } from './objects/admission.js';
import type { ObjectStore } from './store/types.js';

export interface KernelServicesOptions {
  natsServers: string[];
  /** Connection and logger name, e.g. `kite-kernel` or `plugin:scheduler`. */
  name: string;
  /** An existing registry (the process's); a new one otherwise. */
  metrics?: Registry;
  logger?: Logger;
  /** Defaulting and validation applied to every write (the API server's rules). */
  admission?: Admission;
}

export interface KernelServices {
  nc: NatsConnection;
  bus: Bus;
  store: ObjectStore;
  metrics: Registry;
  logger: Logger;
  close(): Promise<void>;
}

export async function connectNats(servers: string[], name: string): Promise<NatsConnection> {
  // noAsyncTraces: nats.js otherwise builds an Error per request for its stack, a quarter of the
  // client's CPU on a write burst.
  return connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 10_000, noAsyncTraces: true });
}

export function createProcessRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export async function connectKernelServices(opts: KernelServicesOptions): Promise<KernelServices> {
  const nc = await connectNats(opts.natsServers, opts.name);
  const metrics = opts.metrics ?? createProcessRegistry();
  const logger = opts.logger ?? createLogger({ component: opts.name });
  let store: ObjectStore;
  try {
    const { openObjectStore } = await import('./store/mod.js');
    // Plugins in their own thread or process get the same rules as the API server by default.
    const admission = opts.admission ?? (await defaultAdmission());
    store = await openObjectStore(nc, { metrics, logger, admission });
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw e;
  }
  return {
    nc,
    bus: new NatsBus(nc),
    store,
    metrics,
    logger,
    close: async () => {
      await store.close();
      await nc.drain().catch(() => undefined);
    },
  };
}

async function defaultAdmission(): Promise<Admission> {
  const [{ createAdmission }, { ResourceRegistry }] = await Promise.all([import('./objects/validation/mod.js'), import('./objects/registry.js')]);
  return createAdmission(new ResourceRegistry());
}
