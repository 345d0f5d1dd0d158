// Test helper: normalizes a raw score column the way the runtime does, through the TypeScript
// reference of the scoring kernel (identical to the WASM kernel), so plugin tests can assert
// upstream's normalized scores.
import { ReferenceScorer } from '../../../../wasm/score/reference.js';
import type { Normalization } from '../../../../wasm/score/types.js';

export function normalizeColumn(normalization: Normalization, raw: readonly number[], containers?: number): number[] {
  const scorer = new ReferenceScorer(Math.max(16, raw.length));
  raw.forEach((_, i) =>
    scorer.setNode(i, {
      allocatableMilliCpu: 1000, allocatableMemory: 1000, allocatablePods: 10,
      requestedMilliCpu: 0, requestedMemory: 0, nonZeroRequestedMilliCpu: 0, nonZeroRequestedMemory: 0, podCount: 0,
    }),
  );
  const r = scorer.score({
    pod: { milliCpu: 0, memory: 0, nonZeroMilliCpu: 0, nonZeroMemory: 0 },
    fit: null,
    balancedWeight: 0,
    extras: [{ name: 'under-test', normalization, weight: 1, raw: Float64Array.from(raw), ...(containers !== undefined ? { containers } : {}) }],
    details: true,
  });
  return [...r.details!.find((d) => d.plugin === 'under-test')!.scores];
}
