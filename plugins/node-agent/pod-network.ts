// The pod network step of the node agent, done where CRI runtimes do it (containerd's
// RunPodSandbox): a ContainerRuntime wrapped so that every new sandbox with its own network
// namespace is attached by the NetworkPlugin before it is handed back, and detached before it is
// removed. A sandbox whose attachment fails is removed again, so a failed setup leaves nothing
// behind and the next sync starts clean. Attachments made by an earlier agent process come back
// from the network plugin's cache (no second ADD).
import { join } from 'node:path';
import { resolveModuleReference } from '../../kernel/plugin/config.js';
import { importManifest, instantiatePlugin, validateOptions } from '../../kernel/plugin/load.js';
import { PluginContext, PluginOptions } from '../../kernel/tokens.js';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from '../../kernel/log.js';
import type { NetworkPluginInstance, PodNetwork } from '../network/contract.js';
import type { Pod } from './pod-types.js';
import type { RuntimePlugin, SandboxConfig, SandboxStatus } from './runtime.js';

/** Loads the NetworkPlugin module (default builtin:network) with the agent's `network` options. */
export async function loadNetwork(container: DependencyContainer, module: string, options: Record<string, unknown>, nodeName: string): Promise<NetworkPluginInstance> {
  const context = container.resolve<PluginContext>(PluginContext);
  const describe = `node agent ${JSON.stringify(context.name)}: network`;
  const manifest = await importManifest(resolveModuleReference(module, process.cwd()), describe, module);
  if (manifest.kind !== 'NetworkPlugin') throw new Error(`${describe}: ${module} is a ${manifest.kind} plugin, not a NetworkPlugin`);
  const networkOptions = validateOptions(manifest, { nodeName, nodeDir: join(context.dataDir, 'node', nodeName), ...options }, describe);
  const child = container.createChildContainer();
  child.register(PluginOptions, { useValue: networkOptions });
  child.register(PluginContext, { useValue: { ...context, name: `${context.name}/${manifest.name}` } });
  return (await instantiatePlugin(manifest, child)) as NetworkPluginInstance;
}

/** Sandbox creation failed in the network step; the message is the plugin's (FailedCreatePodSandBox). */
export class SandboxNetworkError extends Error {
  constructor(readonly sandboxId: string, message: string) {
    super(`failed to setup network for sandbox "${sandboxId}": ${message}`);
    this.name = 'SandboxNetworkError';
  }
}

export function withPodNetwork(runtime: RuntimePlugin, network: PodNetwork, logger: Logger): RuntimePlugin {
  const attach = async (sandbox: SandboxStatus, config: SandboxConfig): Promise<SandboxStatus> => {
    if (config.hostNetwork || !sandbox.netnsPath) return sandbox;
    try {
      const { ips } = await network.setUp({
        sandboxId: sandbox.id,
        netnsPath: sandbox.netnsPath,
        podUid: config.podUid,
        namespace: config.namespace,
        name: config.name,
        ...(config.portMappings?.length ? { portMappings: config.portMappings } : {}),
      });
      return { ...sandbox, ...(ips[0] ? { ip: ips[0] } : {}) };
    } catch (e) {
      await runtime.removeSandbox(sandbox.id).catch((rm: unknown) => logger.warn('cannot remove a sandbox whose network failed', { sandbox: sandbox.id, error: rm as Error }));
      throw new SandboxNetworkError(sandbox.id, (e as Error).message);
    }
  };
  const overrides: Partial<RuntimePlugin> = {
    createSandbox: async (config: SandboxConfig) => attach(await runtime.createSandbox(config), config),
    removeSandbox: async (id: string) => {
      await network.tearDown(id);
      await runtime.removeSandbox(id);
    },
    listSandboxes: async () => {
      const listedAt = Date.now();
      const sandboxes = await runtime.listSandboxes();
      // Attachments of sandboxes that are gone (crash, reboot) are detached here: the agent lists
      // when it starts. Attachments made after the listing began belong to sandboxes being created.
      await network.garbageCollect(sandboxes.filter((s) => s.ready).map((s) => s.id), listedAt);
      return Promise.all(sandboxes.map(async (s) => {
        const attached = s.ready ? await network.attached(s.id) : undefined;
        return attached?.ips[0] ? { ...s, ip: attached.ips[0] } : s;
      }));
    },
  };
  // Every other method is the runtime's own, called on the runtime itself.
  return new Proxy(runtime, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop as keyof RuntimePlugin];
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The containers' hostPort mappings, for the network plugin (portmap). */
export function hostPortMappings(pod: Pod): Array<{ hostPort: number; containerPort: number; protocol: string; hostIP?: string }> {
  const out = [];
  for (const c of pod.spec.containers) {
    for (const p of (c as { ports?: Array<{ hostPort?: number; containerPort: number; protocol?: string; hostIP?: string }> }).ports ?? []) {
      if (p.hostPort) out.push({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: (p.protocol ?? 'TCP').toLowerCase(), ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
    }
  }
  return out;
}
