// The in-tree plugin registry (upstream NewInTreeRegistry) plus out-of-tree factories loaded from
// the module paths named in the configuration.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginConfigError } from '../../kernel/plugin/types.js';
import type { PluginFactory } from './framework/interfaces.js';
import { advancedPluginFactories } from './plugins/registry-advanced.js';
import { basicPluginFactories } from './plugins/registry-basic.js';

/** The built-in plugins: the basic ones and the advanced ones (PodTopologySpread, InterPodAffinity, DefaultPreemption, VolumeBinding). */
export function inTreeFactories(): PluginFactory[] {
  return [...basicPluginFactories, ...advancedPluginFactories];
}

function isFactory(v: unknown): v is PluginFactory {
  const f = v as PluginFactory;
  return typeof f === 'object' && f !== null && typeof f.name === 'string' && f.name !== '' && typeof f.validate === 'function' && typeof f.create === 'function';
}

/** Imports each module; its default export is a PluginFactory or an array of them. */
export async function loadOutOfTreeFactories(entries: readonly { module: string }[], baseDir = process.cwd()): Promise<PluginFactory[]> {
  const out: PluginFactory[] = [];
  for (const [i, e] of entries.entries()) {
    const key = `outOfTreePlugins[${i}].module`;
    const target = isAbsolute(e.module) || e.module.startsWith('.') ? pathToFileURL(resolve(baseDir, e.module)).href : e.module;
    let mod: { default?: unknown };
    try {
      mod = (await import(target)) as { default?: unknown };
    } catch (err) {
      throw new PluginConfigError(key, `cannot load ${JSON.stringify(e.module)}: ${(err as Error).message}`);
    }
    const list = Array.isArray(mod.default) ? mod.default : [mod.default];
    list.forEach((f, j) => {
      if (!isFactory(f)) throw new PluginConfigError(key, `${JSON.stringify(e.module)}: default export${Array.isArray(mod.default) ? `[${j}]` : ''} must be a PluginFactory ({ name, validate(args), create(args, handle) })`);
      out.push(f);
    });
  }
  return out;
}

/** Name → factory; a later factory with a taken name is refused (out-of-tree plugins cannot shadow in-tree ones). */
export function registryOf(inTree: readonly PluginFactory[], outOfTree: readonly PluginFactory[], extra: readonly PluginFactory[] = []): Map<string, PluginFactory> {
  const m = new Map<string, PluginFactory>();
  for (const f of [...inTree, ...extra]) m.set(f.name, f);
  outOfTree.forEach((f) => {
    if (m.has(f.name)) throw new PluginConfigError('outOfTreePlugins', `plugin "${f.name}" is already registered (in-tree plugins cannot be replaced; disable it and use another name)`);
    m.set(f.name, f);
  });
  return m;
}
