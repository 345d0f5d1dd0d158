// The plugin contract every plugin, built-in or a vendor's, fulfils. See kernel/plugin/README.md.
import type { DependencyContainer, InjectionToken } from 'tsyringe';

/** Major.minor of the kernel API plugins are written against; a plugin asking another major is refused. */
export const KERNEL_API_VERSION = '1.0';

/** The contract kinds a plugin can fulfil; each has a contract suite under conformance/plugins/<kind>. */
export const ContractKinds = [
  'Controller',
  'Scheduler',
  'NodeAgent',
  'ContainerRuntime',
  'NetworkPlugin',
  'VolumePlugin',
  'Resolver',
  'ServiceProxy',
  'Example',
] as const;
export type ContractKind = (typeof ContractKinds)[number];

/** Where a plugin runs; configuration, not code: the same plugin runs in all three. */
export type Placement = 'inProcess' | 'worker' | 'process';

export interface Plugin {
  /** Resolves once the plugin serves; throwing here marks the plugin failed (restarted with backoff). */
  start(): Promise<void>;
  /** Releases every socket, watch, timer and child process the plugin holds. */
  stop(): Promise<void>;
}

/** Thrown by a manifest's setup() for a bad option; `key` is the option's path, e.g. `resyncSeconds`. */
export class PluginConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'PluginConfigError';
  }
}

export interface PluginManifest<Options = unknown> {
  /** Unique within a kernel configuration, lowercase with dashes, e.g. `scheduler`. */
  name: string;
  kind: ContractKind;
  /** The plugin's own version (semver). */
  version: string;
  /** Kernel API version required, e.g. `1.0`: same major, minor at most the kernel's. */
  kernelApi: string;
  /** Names of plugins that must be configured and started before this one. */
  dependencies?: string[];
  /** Validates and defaults the `options` of its configuration entry; throws PluginConfigError. */
  setup?(options: unknown): Options;
  /**
   * Builds the plugin. Kernel services come from the container (tokens in kernel/tokens.ts);
   * a class with @inject constructor parameters is resolved through it, a function is called with it.
   */
  plugin: InjectionToken<Plugin> | ((container: DependencyContainer) => Plugin | Promise<Plugin>);
}

export type PluginState = 'pending' | 'starting' | 'running' | 'failed' | 'backoff' | 'stopping' | 'stopped';

export interface PluginStatus {
  name: string;
  kind: ContractKind;
  version: string;
  module: string;
  placement: Placement;
  state: PluginState;
  restarts: number;
  lastError?: string;
  since: string;
}
