// NodeResourcesFit and NodeResourcesBalancedAllocation: factories (args validated in args.ts).
import type { PluginFactory } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import { validateBalancedAllocationArgs, validateNodeResourcesFitArgs, type NodeResourcesBalancedAllocationArgs, type NodeResourcesFitArgs } from './args.js';
import { NodeResourcesBalancedAllocation } from './balanced.js';
import { NodeResourcesFit } from './fit.js';

export const nodeResourcesFitFactory: PluginFactory<NodeResourcesFitArgs> = {
  name: Names.NodeResourcesFit,
  validate: validateNodeResourcesFitArgs,
  create: (args) => new NodeResourcesFit(args),
};

export const balancedAllocationFactory: PluginFactory<NodeResourcesBalancedAllocationArgs> = {
  name: Names.NodeResourcesBalancedAllocation,
  validate: validateBalancedAllocationArgs,
  create: (args) => new NodeResourcesBalancedAllocation(args),
};

export { NodeResourcesFit, fitsRequest, isExtendedResourceName, type InsufficientResource } from './fit.js';
export { NodeResourcesBalancedAllocation } from './balanced.js';
export * from './args.js';
