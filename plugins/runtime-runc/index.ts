// The runc ContainerRuntime plugin: OCI bundles run by runc, rootfs from the local image store.
// A node agent loads it through its `runtime` option (see plugins/node-agent/README.md).
import { join } from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import type { PluginManifest } from '../../kernel/plugin/types.js';
import { PluginContext, PluginOptions } from '../../kernel/tokens.js';
import type { RuntimePlugin } from '../node-agent/runtime.js';
import { ImageStore } from './images/store.js';
import { RuncRuntime } from './runc.js';
import { setup, type RuncRuntimeOptions } from './setup.js';

export function createRuncRuntime(options: RuncRuntimeOptions, dataDir: string): RuntimePlugin {
  const runtime = new RuncRuntime({
    root: options.stateDir ?? join(dataDir, 'runtime-runc'),
    images: new ImageStore(options.imageDir ?? join(dataDir, 'images')),
    runcBinary: options.runc,
    cgroupParent: options.cgroupParent,
    cgroupRoot: options.cgroupRoot,
    exitPollMs: options.exitPollMs,
    registries: options.registries,
    insecureRegistries: options.insecureRegistries,
  });
  return Object.assign(runtime, {
    start: () => runtime.init(),
    stop: () => runtime.close(),
  });
}

const manifest: PluginManifest<RuncRuntimeOptions> = {
  name: 'runtime-runc',
  kind: 'ContainerRuntime',
  version: '0.1.0',
  kernelApi: '1.0',
  setup,
  plugin: (container: DependencyContainer) =>
    createRuncRuntime(container.resolve<RuncRuntimeOptions>(PluginOptions), container.resolve<PluginContext>(PluginContext).dataDir),
};

export default manifest;
