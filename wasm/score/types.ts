// The contract shared by the WebAssembly scorer (score-wasm.ts) and the TypeScript reference
// (reference.ts): the same inputs must give identical outputs, element by element.
// Units follow kube-scheduler: CPU in millicores, memory in bytes, all integers.

/** Upstream framework.MaxNodeScore. */
export const MAX_NODE_SCORE = 100;
/** Upstream schedutil.DefaultMilliCPURequest: counted for containers without a CPU request when scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** Upstream schedutil.DefaultMemoryRequest (200 MiB). */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;
/**
 * Largest accepted resource value (2^46, about 70 TB or 70 G millicores). Below it every product the
 * scorer forms (value × 100, quotient × divisor) is an exact float64 integer and every float64
 * quotient truncates to the same integer as upstream's int64 division.
 */
export const MAX_RESOURCE_VALUE = 2 ** 46;
/** Most extra (caller-computed) score columns per call. */
export const MAX_EXTRA_SCORES = 8;
/** Most RequestedToCapacityRatio shape points. */
export const MAX_SHAPE_POINTS = 16;

/** One node's state. Requested = sum of pod requests; nonZeroRequested counts defaults for missing requests. */
export interface NodeResources {
  allocatableMilliCpu: number;
  allocatableMemory: number;
  allocatablePods: number;
  requestedMilliCpu: number;
  requestedMemory: number;
  nonZeroRequestedMilliCpu: number;
  nonZeroRequestedMemory: number;
  podCount: number;
}

/** A pod's requests: actual (used by BalancedAllocation and the fit filter) and non-zero (used by NodeResourcesFit scoring). */
export interface PodRequests {
  milliCpu: number;
  memory: number;
  nonZeroMilliCpu: number;
  nonZeroMemory: number;
}

export type FitStrategy = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

/** A RequestedToCapacityRatio shape point: utilization 0..100, score 0..10 (scaled ×10 as upstream). */
export interface ShapePoint {
  utilization: number;
  score: number;
}

export interface FitConfig {
  strategy: FitStrategy;
  /** Plugin weight (upstream default 1). */
  weight: number;
  /** Per-resource weights (upstream default 1 and 1). */
  cpuWeight?: number;
  memoryWeight?: number;
  /** Required for RequestedToCapacityRatio, ascending utilization. */
  shape?: ShapePoint[];
}

/**
 * How the kernel normalizes a caller-supplied raw score column (over feasible nodes only):
 * - `none`: raw is already 0..100.
 * - `default` / `defaultReverse`: upstream helper.DefaultNormalizeScore (NodeAffinity / TaintToleration).
 * - `minMax`: InterPodAffinity's NormalizeScore.
 * - `imageLocality`: raw is ImageLocality's sum of scaled image sizes (bytes); `containers` is the pod's container count.
 * - `topologySpread`: PodTopologySpread's NormalizeScore; a negative raw marks an ignored node (scores 0).
 */
export type Normalization = 'none' | 'default' | 'defaultReverse' | 'minMax' | 'imageLocality' | 'topologySpread';

export interface ExtraScore {
  /** Plugin name, for explain output. */
  name: string;
  normalization: Normalization;
  weight: number;
  /** Raw integer score per node index (length ≥ nodeCount). */
  raw: ArrayLike<number>;
  /** imageLocality only: init + regular containers of the pod. */
  containers?: number;
}

export interface ScoreRequest {
  pod: PodRequests;
  /** Per node index, non-zero = passed the filters. Absent = every node. */
  feasible?: Uint8Array;
  /** Also apply NodeResourcesFit's filter (pod count, cpu, memory) inside the kernel. */
  fitFilter?: boolean;
  /** NodeResourcesFit scoring; default LeastAllocated weight 1; null disables it. */
  fit?: FitConfig | null;
  /** NodeResourcesBalancedAllocation weight; default 1; 0 disables it. */
  balancedWeight?: number;
  /** Upstream (since 1.33) skips BalancedAllocation for pods with no requests. Default true. */
  balancedSkipBestEffort?: boolean;
  extras?: ExtraScore[];
  /** xorshift32 state for tie-breaking (0 is replaced by a fixed constant). */
  seed?: number;
  /** Also return each plugin's normalized (unweighted) score per node. */
  details?: boolean;
}

export interface PluginScores {
  plugin: string;
  /** Normalized, unweighted score per node index; -1 for infeasible nodes. */
  scores: Float64Array;
}

export interface ScoreResult {
  /** Chosen node index, -1 if no node is feasible. */
  best: number;
  bestScore: number;
  feasibleCount: number;
  /** How many feasible nodes share bestScore. */
  tieCount: number;
  /** RNG state after this call: pass it as the next call's seed to chain choices. */
  nextSeed: number;
  /** Weighted total per node index (length nodeCount); -1 for infeasible nodes. Valid until the next score() call. */
  totals: Float64Array;
  /** Present when details were requested; views valid until the next score() call. */
  details?: PluginScores[];
}

/** Node state + scoring; implemented by WasmScorer and ReferenceScorer. Nodes are dense indices 0..nodeCount-1. */
export interface NodeScorer {
  readonly capacity: number;
  readonly nodeCount: number;
  /** Sets node `index` (index === nodeCount appends). */
  setNode(index: number, node: NodeResources): void;
  /** Removes a node by moving the last node into its slot; returns the moved node's old index, or -1 if none moved. */
  removeNode(index: number): number;
  getNode(index: number): NodeResources;
  /** Adds (sign 1) or subtracts (sign -1) a pod's requests to a node: assume / forget. */
  addPod(index: number, pod: PodRequests, sign?: 1 | -1): void;
  score(request: ScoreRequest): ScoreResult;
  /**
   * Optional: the scorer's own storage for extra column k (`capacity` entries). A caller that writes
   * raw scores there and passes this very array as `extras[k].raw` saves the copy into the kernel.
   */
  extraColumn?(k: number): Float64Array;
}
