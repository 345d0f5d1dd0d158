// The hollow ContainerRuntime plugin: pods reach Running without processes (scale work).
import type { DependencyContainer } from 'tsyringe';
import { PluginConfigError, type PluginManifest } from '../../kernel/plugin/types.js';
import { PluginOptions } from '../../kernel/tokens.js';
import type { RuntimePlugin } from '../node-agent/runtime.js';
import { HollowRuntime, type HollowOptions } from './hollow.js';

export function setup(raw: unknown): HollowOptions {
  const options = (raw ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (key !== 'startDelayMs' && key !== 'stateDir' && key !== 'imageDir') throw new PluginConfigError(key, 'unknown option (allowed: startDelayMs)');
  }
  const startDelayMs = options.startDelayMs ?? 0;
  if (typeof startDelayMs !== 'number' || startDelayMs < 0) throw new PluginConfigError('startDelayMs', 'must be a number of milliseconds, 0 or more');
  return { startDelayMs };
}

export function createHollowRuntime(options: HollowOptions): RuntimePlugin {
  const runtime = new HollowRuntime(options);
  return Object.assign(runtime, { start: async () => undefined, stop: () => runtime.close() });
}

const manifest: PluginManifest<HollowOptions> = {
  name: 'runtime-hollow',
  kind: 'ContainerRuntime',
  version: '0.1.0',
  kernelApi: '1.0',
  setup,
  plugin: (container: DependencyContainer) => createHollowRuntime(container.resolve<HollowOptions>(PluginOptions)),
};

export default manifest;
