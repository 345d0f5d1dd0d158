// What the basic score plugins hand the WASM scoring kernel instead of computing scores in
// TypeScript. NodeResourcesFit and NodeResourcesBalancedAllocation implement KernelScorePlugin
// (framework/interfaces.ts): their `kernelScore` is read by the runtime (Framework.kernelFit and
// Framework.kernelBalancedWeight in framework/runtime.ts), which adds the plugin weight from the
// profile and passes `fit` / `balancedWeight` to the one `scorer.score()` call per pod.
import type { KernelScore } from '../../framework/interfaces.js';
import type { ShapePoint } from '../../../../wasm/score/types.js';

/** The kernel configuration of one kernel-computed score plugin (alias of the framework's KernelScore). */
export type KernelScoreConfig = KernelScore;

/** The resources the scoring kernel has columns for; other resources cannot be scored there. */
export const KERNEL_SCORED_RESOURCES = ['cpu', 'memory'] as const;

/** NodeResourcesFit's kernel config from validated args. */
export function fitKernelScore(
  strategy: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio',
  resources: readonly { name: string; weight: number }[],
  shape: readonly ShapePoint[] | undefined,
): KernelScoreConfig {
  const weight = (name: string) => resources.find((r) => r.name === name)?.weight ?? 0;
  return {
    kind: 'fit',
    strategy,
    cpuWeight: weight('cpu'),
    memoryWeight: weight('memory'),
    ...(strategy === 'RequestedToCapacityRatio' ? { shape: (shape ?? []).map((p) => ({ utilization: p.utilization, score: p.score })) } : {}),
  };
}
