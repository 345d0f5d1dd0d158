// The basic built-in plugins' factories, for the scheduler's registry (s2's plugins are registered
// beside these by the runtime).
import type { PluginFactory } from '../framework/interfaces.js';
import { defaultBinderFactory } from './defaultbinder/index.js';
import { imageLocalityFactory } from './imagelocality/index.js';
import { nodeAffinityFactory } from './nodeaffinity/index.js';
import { nodeNameFactory } from './nodename/index.js';
import { nodePortsFactory } from './nodeports/index.js';
import { balancedAllocationFactory, nodeResourcesFitFactory } from './noderesources/index.js';
import { nodeUnschedulableFactory } from './nodeunschedulable/index.js';
import { prioritySortFactory } from './prioritysort/index.js';
import { schedulingGatesFactory } from './schedulinggates/index.js';
import { taintTolerationFactory } from './tainttoleration/index.js';

export const basicPluginFactories: PluginFactory[] = [
  prioritySortFactory,
  schedulingGatesFactory,
  nodeUnschedulableFactory,
  nodeNameFactory,
  nodePortsFactory,
  nodeResourcesFitFactory,
  balancedAllocationFactory,
  nodeAffinityFactory,
  taintTolerationFactory,
  imageLocalityFactory,
  defaultBinderFactory,
] as PluginFactory[];
