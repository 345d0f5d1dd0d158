// The scheduler plugin's options: a KubeSchedulerConfiguration (see README.md "Configuration").
// Structure, values, plugin names and plugin args are checked here against the in-tree registry;
// with outOfTreePlugins, names and args are checked when the plugin starts (loading modules is
// asynchronous). Both throw PluginConfigError naming the key path.
import { parseSchedulerConfig, validateProfiles, type SchedulerConfig } from './config.js';
import { inTreeFactories, registryOf } from './registry.js';

export type SchedulerOptions = SchedulerConfig;

export function setup(raw: unknown): SchedulerOptions {
  const config = parseSchedulerConfig(raw);
  if (config.outOfTreePlugins.length === 0) validateProfiles(config, registryOf(inTreeFactories(), []));
  return config;
}
