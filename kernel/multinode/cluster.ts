// `kite up --nodes N` in the kernel: the node agent entries of the configuration become one per
// node namespace, pod CIDRs are routed between the node namespaces as nodes get them (the role of
// upstream's route controller), and on stop the nodes' pods are removed before the agents go.
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { KubeObject, ResourceKey } from '../objects/types.js';
import type { KernelConfiguration, PluginEntry } from '../plugin/config.js';
import type { ObjectStore } from '../store/types.js';
import { routePodCIDR, unroutePodCIDR, type HostNetwork } from './hostnet.js';

const NODES: ResourceKey = { group: '', resource: 'nodes', namespaced: false };
const PODS: ResourceKey = { group: '', resource: 'pods', namespaced: true };

/** One node agent per host node, each in its namespace; other entries unchanged. */
export function multiNodeConfiguration(config: KernelConfiguration, net: HostNetwork, dataDir: string): KernelConfiguration {
  const agents = config.plugins.filter((p) => p.module === 'builtin:node-agent' && p.enabled);
  if (agents.length === 0) throw new Error('--nodes: the configuration has no enabled builtin:node-agent entry to run on the nodes');
  const template = agents[0]!;
  const others = config.plugins.filter((p) => !agents.includes(p));
  const perNode: PluginEntry[] = net.nodes.map((n, i) => ({
    ...template,
    name: `node-agent-${i + 1}`,
    placement: 'process',
    netns: n.netns,
    // Each host has its own image store (as separate machines do; and the runc image store is not
    // safe for two agents unpacking the same image at once).
    options: {
      ...(template.options as Record<string, unknown>),
      nodeName: n.name,
      runtimeOptions: { imageDir: join(dataDir, 'node', n.name, 'images'), ...((template.options as { runtimeOptions?: object }).runtimeOptions ?? {}) },
    },
    index: others.length + i,
  }));
  return { ...config, plugins: [...others, ...perNode] };
}

type NodeObject = KubeObject & { spec?: { podCIDR?: string } };

/** Keeps a host route for every node's pod CIDR in the other nodes; polls the Nodes (a handful). */
export function startPodRoutes(store: ObjectStore, net: HostNetwork, logger: Logger, periodMs = 500): { stop(): Promise<void> } {
  const routed = new Map<string, string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();
  const sync = async () => {
    const list = await store.list<NodeObject>(NODES);
    const seen = new Set<string>();
    for (const node of list.items) {
      const owner = net.nodes.find((n) => n.name === node.metadata.name);
      const cidr = node.spec?.podCIDR;
      if (!owner || !cidr) continue;
      seen.add(owner.name);
      if (routed.get(owner.name) === cidr) continue;
      const old = routed.get(owner.name);
      if (old) await unroutePodCIDR(net, owner, old);
      await routePodCIDR(net, owner, cidr);
      routed.set(owner.name, cidr);
      logger.info('routed pod CIDR between nodes', { node: owner.name, podCIDR: cidr, via: owner.ip });
    }
    for (const [name, cidr] of routed) {
      if (seen.has(name)) continue;
      await unroutePodCIDR(net, net.nodes.find((n) => n.name === name)!, cidr);
      routed.delete(name);
    }
  };
  const loop = () => {
    if (stopped) return;
    pass = sync().catch((e: unknown) => logger.warn('pod route sync failed', { error: e as Error })).finally(() => {
      if (!stopped) timer = setTimeout(loop, periodMs);
    });
  };
  loop();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await pass;
    },
  };
}

/** Deletes every pod bound to the host nodes at once and waits (bounded) for the agents to clean them up. */
export async function drainNodes(store: ObjectStore, net: HostNetwork, logger: Logger, timeoutMs = 30_000): Promise<void> {
  const names = new Set(net.nodes.map((n) => n.name));
  const ours = async () => (await store.list<KubeObject & { spec?: { nodeName?: string } }>(PODS)).items.filter((p) => names.has(p.spec?.nodeName ?? ''));
  for (const pod of await ours()) {
    await store.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 1 }).catch(() => undefined);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await ours();
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      logger.warn('pods still present when the nodes stop', { pods: left.map((p) => `${p.metadata.namespace}/${p.metadata.name}`) });
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
