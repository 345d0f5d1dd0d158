// Which plugins run at each extension point of a profile: upstream's expandMultiPointPlugins.
// Plugins named at an extension point come first, in their order; then the multiPoint plugins
// that implement that point and are not disabled there ("*" disables all of them).
import { PluginConfigError } from '../../../kernel/plugin/types.js';
import { EXTENSION_POINTS, type ExtensionPoint, type Profile } from '../config.js';
import type { SchedulerPlugin } from './interfaces.js';

/** The method that marks a plugin as implementing an extension point. */
const IMPLEMENTS: Record<ExtensionPoint, (p: SchedulerPlugin) => boolean> = {
  preEnqueue: (p) => 'preEnqueue' in p,
  queueSort: (p) => 'less' in p,
  preFilter: (p) => 'preFilter' in p,
  filter: (p) => 'filter' in p,
  postFilter: (p) => 'postFilter' in p,
  preScore: (p) => 'preScore' in p,
  score: (p) => 'kernelScore' in p || 'scoreColumn' in p || 'score' in p,
  reserve: (p) => 'reserve' in p,
  permit: (p) => 'permit' in p,
  preBind: (p) => 'preBind' in p,
  bind: (p) => 'bind' in p,
  postBind: (p) => 'postBind' in p,
};

export type ExtensionPointLists = Record<ExtensionPoint, { name: string; weight: number }[]>;

/** `instance(name)` builds (once) the named plugin; weights default to the multiPoint weight, else 1. */
export function expandExtensionPoints(profile: Profile, instance: (name: string) => SchedulerPlugin, keyPrefix: string): ExtensionPointLists {
  const lists = {} as ExtensionPointLists;
  const multi = profile.plugins.multiPoint.enabled;
  for (const point of EXTENSION_POINTS) {
    const set = profile.plugins[point];
    const explicit = set.enabled.map((e) => ({ name: e.name, weight: e.weight || multi.find((m) => m.name === e.name)?.weight || 1 }));
    const disabledAll = set.disabled.includes('*');
    const fromMulti = multi
      .filter((m) => !disabledAll && !set.disabled.includes(m.name) && !explicit.some((e) => e.name === m.name))
      .filter((m) => IMPLEMENTS[point](instance(m.name)))
      .map((m) => ({ name: m.name, weight: m.weight || 1 }));
    explicit.forEach((e, j) => {
      if (!IMPLEMENTS[point](instance(e.name))) throw new PluginConfigError(`${keyPrefix}.plugins.${point}.enabled[${j}].name`, `plugin "${e.name}" does not extend ${point} plugin`);
    });
    lists[point] = [...explicit, ...fromMulti];
  }
  return lists;
}
