// NodeResourcesBalancedAllocation (Score in the kernel): favours nodes whose cpu and memory
// fractions stay close after placing the pod. The kernel computes it (wasm/score README); the
// plugin only marks itself as kernel-scored.
import type { KernelScorePlugin } from '../../framework/interfaces.js';
import { Names } from '../../framework/names.js';
import type { KernelScoreConfig } from '../shared/kernel-score.js';
import type { NodeResourcesBalancedAllocationArgs } from './args.js';

export class NodeResourcesBalancedAllocation implements KernelScorePlugin {
  readonly name = Names.NodeResourcesBalancedAllocation;
  readonly kernelScore: KernelScoreConfig = { kind: 'balanced' };
  constructor(readonly args: NodeResourcesBalancedAllocationArgs) {}
}
