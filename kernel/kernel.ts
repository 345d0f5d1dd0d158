// The kernel process: NATS (embedded or joined), the object store with admission, the plugin host
// and the API server, started in that order and stopped in reverse.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createApiServer } from './api/mod.js';
import { nodeStreamHandlers } from './api/streams/mod.js';
import type { ApiServer } from './api/http/server.js';
import { createLogger, type Logger } from './log.js';
import { drainNodes, multiNodeConfiguration, startPodRoutes } from './multinode/cluster.js';
import { setUpHostNetwork, type HostNetwork } from './multinode/hostnet.js';
import { startEmbeddedNats, type EmbeddedNats } from './nats/embedded.js';
import { ResourceRegistry } from './objects/registry.js';
import { isStatusError } from './objects/status.js';
import { defaultKernelConfiguration, loadKernelConfiguration, type KernelConfiguration } from './plugin/config.js';
import { PluginHost } from './plugin/host.js';
import { connectKernelServices, createProcessRegistry, type KernelServices } from './services.js';
import type { ObjectStore } from './store/types.js';

export interface KernelOptions {
  dataDir: string;
  /** Join these NATS servers; without them an embedded nats-server is started. */
  natsServers?: string[];
  apiHost?: string;
  /** API port; 0 picks a free one. Default 6443. */
  apiPort?: number;
  /** KernelConfiguration file; default `<dataDir>/kite.yaml` if present, else the built-in configuration. */
  configPath?: string;
  logger?: Logger;
  /** `kite up --nodes N`: N node agents, each in its own network namespace acting as a host (kernel/multinode). */
  nodes?: number;
}

export interface RunningKernel {
  natsUrl: string;
  apiUrl: string;
  kubeconfigPath: string;
  services: KernelServices;
  host: PluginHost;
  api: ApiServer;
  stop(): Promise<void>;
}

/** What `kite plugins` and tests read to find a running kernel. */
export interface KernelState {
  pid: number;
  natsUrl: string;
  apiUrl: string;
  kubeconfig: string;
  startedAt: string;
}

export const STATE_FILE = 'kite.json';

export const bootstrapNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function ensureNamespaces(store: ObjectStore, names = bootstrapNamespaces): Promise<void> {
  const res = { group: '', resource: 'namespaces', namespaced: false };
  for (const name of names) {
    try {
      await store.create(res, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (e) {
      if (!isStatusError(e, 'AlreadyExists')) throw e;
    }
  }
}

export async function startKernel(opts: KernelOptions): Promise<RunningKernel> {
  const logger = opts.logger ?? createLogger({ component: 'kernel' });
  mkdirSync(opts.dataDir, { recursive: true });
  let config = kernelConfiguration(opts);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: unknown) => logger.warn('shutdown step failed', { error: e as Error }));
  };
  try {
    let hostNet: HostNetwork | undefined;
    if (opts.nodes) {
      hostNet = await setUpHostNetwork(opts.dataDir, opts.nodes);
      cleanups.push(() => hostNet!.teardown());
      config = multiNodeConfiguration(config, hostNet, opts.dataDir);
      logger.info('node namespaces created', { nodes: hostNet.nodes.map((n) => `${n.name}=${n.ip}`).join(' '), bridge: hostNet.bridge });
    }
    let embedded: EmbeddedNats | undefined;
    let natsServers = opts.natsServers;
    if (!natsServers || natsServers.length === 0) {
      // With node namespaces NATS listens on the machine network, which the nodes reach.
      embedded = await startEmbeddedNats({ dataDir: opts.dataDir, ...(hostNet ? { host: hostNet.gateway } : {}) });
      cleanups.push(() => embedded!.stop());
      natsServers = [embedded.url];
      logger.info('embedded nats-server started', { url: embedded.url, pid: embedded.pid });
    }
    const registry = new ResourceRegistry();
    const metrics: Registry = createProcessRegistry();
    const { admission, ...apiParts } = await createApiParts(registry);
    const services = await connectKernelServices({ natsServers, name: 'kite-kernel', metrics, logger, admission });
    cleanups.push(() => services.close());
    await ensureNamespaces(services.store);

    const host = new PluginHost({
      config,
      bus: services.bus,
      store: services.store,
      metrics,
      natsServers,
      dataDir: opts.dataDir,
      logger,
    });
    let hostStarted = false;
    cleanups.push(() => host.stop());
    const api = await createApiServer({
      ...apiParts,
      dataDir: opts.dataDir,
      host: opts.apiHost,
      port: opts.apiPort ?? 6443,
      registry,
      services,
      logger: logger.child({ component: 'apiserver' }),
      ready: () => hostStarted,
      subresourceHandlers: nodeStreamHandlers,
    });
    cleanups.push(() => api.close());
    await host.start();
    hostStarted = true;
    if (hostNet) {
      const net = hostNet;
      cleanups.push(() => drainNodes(services.store, net, logger));
      const routes = startPodRoutes(services.store, net, logger);
      cleanups.push(() => routes.stop());
    }

    const state: KernelState = { pid: process.pid, natsUrl: natsServers.join(','), apiUrl: api.url, kubeconfig: api.kubeconfigPath, startedAt: new Date().toISOString() };
    const statePath = join(opts.dataDir, STATE_FILE);
    writeFileSync(statePath, JSON.stringify(state, null, 2) + '\n');
    cleanups.push(async () => rmSync(statePath, { force: true }));
    return { natsUrl: state.natsUrl, apiUrl: api.url, kubeconfigPath: api.kubeconfigPath, services, host, api, stop: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** --config, else <dataDir>/kite.yaml, else the built-in configuration. */
export function kernelConfiguration(opts: Pick<KernelOptions, 'configPath' | 'dataDir'>): KernelConfiguration {
  if (opts.configPath) return loadKernelConfiguration(opts.configPath);
  const local = join(opts.dataDir, 'kite.yaml');
  return existsSync(local) ? loadKernelConfiguration(local) : defaultKernelConfiguration();
}

async function createApiParts(registry: ResourceRegistry) {
  const { createAdmission } = await import('./objects/validation/mod.js');
  return { admission: createAdmission(registry) };
}

