// The advanced in-tree plugins (the runtime's registry.ts merges them with the basic ones).
import type { PluginFactory } from '../framework/interfaces.js';
import { defaultPreemptionFactory } from './defaultpreemption/index.js';
import { interPodAffinityFactory } from './interpodaffinity/index.js';
import { podTopologySpreadFactory } from './podtopologyspread/index.js';
import { volumeBindingFactory } from './volumebinding/index.js';

export const advancedPluginFactories: PluginFactory[] = [
  podTopologySpreadFactory as PluginFactory,
  interPodAffinityFactory as PluginFactory,
  defaultPreemptionFactory as PluginFactory,
  volumeBindingFactory as PluginFactory,
];
