// Loading one plugin, the same way in every placement: import the module, check its manifest,
// validate its options, and build the plugin in a child container holding the kernel services.
import 'reflect-metadata';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { Bus } from '../bus/types.js';
import type { Logger } from '../log.js';
import { errors } from '../objects/status.js';
import type { ObjectStore } from '../store/types.js';
import * as tokens from '../tokens.js';
import type { Registry } from 'prom-client';
import { KernelConfigError } from './config.js';
import { ContractKinds, KERNEL_API_VERSION, PluginConfigError, type Plugin, type PluginManifest } from './types.js';

/** The services a plugin receives, whichever process it runs in. */
export interface PluginServices {
  bus: Bus;
  store: ObjectStore;
  metrics: Registry;
  logger: Logger;
}

/** Imports a plugin module; `describeEntry` prefixes messages (e.g. `kite.yaml: plugins[0] ("example")`). */
export async function importManifest(resolvedModule: string, describeEntry: string, module = resolvedModule): Promise<PluginManifest> {
  const specifier = isAbsolute(resolvedModule) ? pathToFileURL(resolvedModule).href : resolvedModule;
  let exports: Record<string, unknown>;
  try {
    exports = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    throw new KernelConfigError(`${describeEntry}: module: cannot load ${JSON.stringify(module)}: ${(err as Error).message}`);
  }
  const manifest = exports.default ?? exports.manifest;
  checkManifest(manifest, `${describeEntry}: module ${JSON.stringify(module)}`);
  return manifest;
}

/** Refuses a manifest with a sentence naming the missing or wrong piece. */
export function checkManifest(manifest: unknown, where: string): asserts manifest is PluginManifest {
  const fail = (message: string): never => {
    throw new KernelConfigError(`${where}: ${message}`);
  };
  if (typeof manifest !== 'object' || manifest === null) return fail('does not export a plugin manifest (a default export or an export named "manifest")');
  const m = manifest as Partial<Record<keyof PluginManifest, unknown>>;
  if (typeof m.name !== 'string' || m.name === '') fail('manifest name: must be a non-empty string');
  if (!ContractKinds.includes(m.kind as never)) fail(`manifest kind: must be one of ${ContractKinds.join(', ')}, got ${JSON.stringify(m.kind)}`);
  if (typeof m.version !== 'string' || m.version === '') fail('manifest version: must be a non-empty string (semver)');
  if (typeof m.kernelApi !== 'string') return fail('manifest kernelApi: must be a string such as "1.0"');
  if (!kernelApiCompatible(m.kernelApi)) {
    fail(`plugin ${JSON.stringify(m.name)} needs kernel API ${m.kernelApi}, but this kernel provides ${KERNEL_API_VERSION} (same major version and a minor version at most ${KERNEL_API_VERSION} required)`);
  }
  if (m.dependencies !== undefined && (!Array.isArray(m.dependencies) || m.dependencies.some((d) => typeof d !== 'string'))) {
    fail('manifest dependencies: must be a list of plugin names');
  }
  if (m.setup !== undefined && typeof m.setup !== 'function') fail('manifest setup: must be a function');
  if (m.plugin === undefined || m.plugin === null) fail('manifest plugin: missing (a class or a function building the plugin)');
}

/** Same major version, and a minor version the kernel provides. */
export function kernelApiCompatible(wanted: string, provided = KERNEL_API_VERSION): boolean {
  const parse = (v: string) => /^(\d+)\.(\d+)$/.exec(v)?.slice(1).map(Number);
  const w = parse(wanted);
  const p = parse(provided);
  return !!w && !!p && w[0] === p[0] && w[1] <= p[1];
}

/** Runs the manifest's setup(); a PluginConfigError becomes `<entry>: options.<key>: <message>`. */
export function validateOptions(manifest: PluginManifest, options: unknown, describeEntry: string): unknown {
  if (!manifest.setup) return options;
  try {
    return manifest.setup(options);
  } catch (err) {
    if (err instanceof PluginConfigError || (err as Error)?.name === 'PluginConfigError') {
      const key = (err as PluginConfigError).key;
      throw new KernelConfigError(`${describeEntry}: options${key ? `.${key}` : ''}: ${(err as Error).message}`);
    }
    throw new KernelConfigError(`${describeEntry}: options: ${(err as Error).message}`);
  }
}

/**
 * A child container holding the kernel services under their tokens; the logger is a child with
 * the field plugin=<entry name>.
 */
export function createPluginContainer(services: PluginServices, context: tokens.PluginContext, options: unknown): DependencyContainer {
  const child = rootContainer.createChildContainer();
  child.register(tokens.ObjectStore, { useValue: services.store });
  child.register(tokens.Bus, { useValue: services.bus });
  child.register(tokens.Logger, { useValue: services.logger.child({ plugin: context.name }) });
  child.register(tokens.MetricsRegistry, { useValue: services.metrics });
  child.register(tokens.PluginOptions, { useValue: options });
  child.register(tokens.PluginContext, { useValue: context });
  return child;
}

/** A class (or any injection token) is resolved through the container; a plain function is called with it. */
export async function instantiatePlugin(manifest: PluginManifest, container: DependencyContainer): Promise<Plugin> {
  const factory = manifest.plugin;
  const plugin = typeof factory === 'function' && !isClass(factory)
    ? await (factory as (c: DependencyContainer) => Plugin | Promise<Plugin>)(container)
    : container.resolve(factory as Parameters<DependencyContainer['resolve']>[0]);
  if (typeof (plugin as Plugin)?.start !== 'function' || typeof (plugin as Plugin)?.stop !== 'function') {
    throw new Error(`plugin ${JSON.stringify(manifest.name)} built an object without start() and stop()`);
  }
  return plugin as Plugin;
}

function isClass(fn: unknown): boolean {
  return typeof fn === 'function' && (/^class[\s{]/.test(Function.prototype.toString.call(fn)) || typeof fn.prototype?.start === 'function');
}

/** Stands in for the object store where none is available; every call fails with 503. */
export function unavailableStore(reason: string): ObjectStore {
  const refuse = async (): Promise<never> => {
    throw errors.unavailable(`the object store is not available to this plugin: ${reason}`);
  };
  return {
    create: refuse,
    get: refuse,
    update: refuse,
    guaranteedUpdate: refuse,
    delete: refuse,
    list: refuse,
    watch: refuse,
    currentResourceVersion: () => '0',
    close: async () => undefined,
  };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
