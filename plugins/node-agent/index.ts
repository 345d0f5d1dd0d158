// The node agent plugin's manifest. The ContainerRuntime plugin named in its options is loaded
// into the same place (kubelet and CRI side by side) and offered under the ContainerRuntime token.
import { join } from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import { resolveModuleReference } from '../../kernel/plugin/config.js';
import { importManifest, instantiatePlugin, validateOptions } from '../../kernel/plugin/load.js';
import type { PluginManifest, Plugin } from '../../kernel/plugin/types.js';
import { Bus, Logger, MetricsRegistry, ObjectStore, PluginContext, PluginOptions } from '../../kernel/tokens.js';
import { NodeAgent } from './agent.js';
import { defaultNodeName } from './node-status.js';
import { loadNetwork, withPodNetwork } from './pod-network.js';
import { ContainerRuntime, type RuntimePlugin } from './runtime.js';
import { setup, type NodeAgentOptions } from './setup.js';

/** Loads the runtime plugin module named in the options, in a child of the agent's container. */
export async function loadRuntime(container: DependencyContainer, options: NodeAgentOptions, nodeName: string): Promise<RuntimePlugin> {
  const context = container.resolve<PluginContext>(PluginContext);
  const describe = `node agent ${JSON.stringify(context.name)}: runtime`;
  const manifest = await importManifest(resolveModuleReference(options.runtime, process.cwd()), describe, options.runtime);
  if (manifest.kind !== 'ContainerRuntime') throw new Error(`${describe}: ${options.runtime} is a ${manifest.kind} plugin, not a ContainerRuntime`);
  const runtimeOptions = validateOptions(manifest, { stateDir: join(context.dataDir, 'node', nodeName, 'runtime'), ...options.runtimeOptions }, describe);
  const child = container.createChildContainer();
  child.register(PluginOptions, { useValue: runtimeOptions });
  child.register(PluginContext, { useValue: { ...context, name: `${context.name}/${manifest.name}` } });
  return (await instantiatePlugin(manifest, child)) as RuntimePlugin;
}

async function buildNodeAgent(container: DependencyContainer): Promise<Plugin> {
  const options = container.resolve<NodeAgentOptions>(PluginOptions);
  const context = container.resolve<PluginContext>(PluginContext);
  const nodeName = options.nodeName ?? defaultNodeName();
  const hollow = options.runtime.endsWith('runtime-hollow');
  const ownRuntime = await loadRuntime(container, options, nodeName);
  // The pod network step wraps the runtime (as CRI runtimes run CNI in RunPodSandbox).
  const network = options.network && !hollow ? await loadNetwork(container, options.networkPlugin, options.network, nodeName) : undefined;
  const runtime = network ? withPodNetwork(ownRuntime, network, container.resolve<Logger>(Logger).child({ node: nodeName })) : ownRuntime;
  container.register(ContainerRuntime, { useValue: runtime });
  const agent = new NodeAgent({
    store: container.resolve<ObjectStore>(ObjectStore),
    bus: container.resolve<Bus>(Bus),
    logger: container.resolve<Logger>(Logger),
    metrics: container.resolve<MetricsRegistry>(MetricsRegistry),
    runtime,
    options: { ...options, nodeName },
    dataDir: context.dataDir,
    hollow,
  });
  return {
    start: async () => {
      await ownRuntime.start();
      await network?.start();
      await agent.start();
    },
    stop: async () => {
      await agent.stop();
      await network?.stop();
      await ownRuntime.stop();
    },
  };
}

const manifest: PluginManifest<NodeAgentOptions> = {
  name: 'node-agent',
  kind: 'NodeAgent',
  version: '0.1.0',
  kernelApi: '1.0',
  setup,
  plugin: buildNodeAgent,
};

export default manifest;
