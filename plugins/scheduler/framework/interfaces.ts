// The scheduling framework's contract: one interface per extension point, each returning a typed
// Status, as kube-scheduler's framework does. Vendors implement these; the shapes are stable
// (changing one is a breaking change of the `Scheduler` contract kind, see README.md).
import type { Normalization } from '../../../wasm/score/types.js';
import type { KubeObject } from '../../../kernel/objects/types.js';

// ---- Status ---------------------------------------------------------------------------------

/** Upstream framework.Code. */
export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip' | 'Pending';

export interface Status {
  readonly code: Code;
  /** Human-readable reasons, e.g. `Insufficient cpu`; aggregated into FailedScheduling messages. */
  readonly reasons: readonly string[];
  /** The plugin that returned it (set by the framework). */
  plugin?: string;
  /** For Error: the cause. */
  readonly error?: Error;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: [] as string[] }) as Status;

export function status(code: Code, ...reasons: string[]): Status {
  return code === 'Success' && reasons.length === 0 ? SUCCESS : { code, reasons };
}
export function errorStatus(error: Error): Status {
  return { code: 'Error', reasons: [error.message], error };
}
export function isSuccess(s: Status | undefined): boolean {
  return !s || s.code === 'Success';
}
/** Unschedulable or UnschedulableAndUnresolvable: a filter said no (not an error). */
export function isRejected(s: Status | undefined): boolean {
  return !!s && (s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable');
}

// ---- Objects the plugins see --------------------------------------------------------------

/** A core/v1 Pod as the scheduler reads it (loosely typed: plugins read what they need). */
export type Pod = KubeObject & { spec: Record<string, any>; status?: Record<string, any> };
export type Node = KubeObject & { spec?: Record<string, any>; status?: Record<string, any> };

/** Resource amounts in upstream units: milliCPU, bytes, counts; scalar resources by name. */
export interface Resource {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  pods: number;
  scalar: Map<string, number>;
}

export interface PodInfo {
  readonly pod: Pod;
  /** Effective requests: max(sum(containers), max(initContainers)) + overhead (upstream). */
  readonly requests: Resource;
  /** The same with upstream's non-zero defaults (100m, 200 MiB) for containers without requests. */
  readonly nonZeroRequests: { milliCpu: number; memory: number };
  /** Parsed spec.affinity.podAffinity / podAntiAffinity terms, if any. */
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
}

/** A pod (anti-)affinity term, compiled; `termMatchesPod` in podinfo.ts applies it. */
export interface AffinityTerm {
  /** Namespaces named by the term (the pod's own when neither namespaces nor namespaceSelector is set). */
  namespaces: ReadonlySet<string>;
  /** Compiled namespaceSelector over namespace labels; undefined when the term has none. */
  namespaceSelector?: (labels: Record<string, string> | undefined) => boolean;
  /** Compiled labelSelector (with matchLabelKeys / mismatchLabelKeys merged in) over pod labels. */
  selector: (labels: Record<string, string> | undefined) => boolean;
  topologyKey: string;
}
export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** Upstream NodeInfo: a node and the pods assigned (or assumed) to it. */
export interface NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly pods: readonly PodInfo[];
  readonly podsWithAffinity: readonly PodInfo[];
  readonly podsWithRequiredAntiAffinity: readonly PodInfo[];
  readonly allocatable: Resource;
  readonly requested: Resource;
  readonly nonZeroRequested: { milliCpu: number; memory: number };
  readonly usedPorts: readonly HostPort[];
  /** Image name (normalized) → size in bytes and how many nodes have it. */
  readonly imageStates: ReadonlyMap<string, { size: number; numNodes: number }>;
  /** Bumped on every change; lets plugins cache per-node facts. */
  readonly generation: number;
  /** Dense index of this node in the scorer's columns (stable until the node is removed). */
  readonly index: number;
}

/** A consistent view of all nodes, taken at the start of a scheduling cycle. */
/** Bits of NodeColumns.flags. */
export const NodeFlag = { unschedulable: 1, taints: 2, images: 4 } as const;

/**
 * The snapshot's nodes as columns by node index, kept by the scheduler cache, for batch plugins:
 * one typed-array loop over thousands of nodes instead of a pointer chase per NodeInfo. Valid
 * during one synchronous scheduling cycle (the cycle that hands them out keeps them in step).
 */
export interface NodeColumns {
  /** Node indices 0..count-1. */
  readonly count: number;
  /** NodeInfo by index. */
  readonly nodes: readonly NodeInfo[];
  readonly allocatableMilliCpu: Float64Array;
  readonly allocatableMemory: Float64Array;
  readonly allocatablePods: Float64Array;
  readonly requestedMilliCpu: Float64Array;
  readonly requestedMemory: Float64Array;
  readonly podCount: Float64Array;
  /** NodeFlag bits: spec.unschedulable, any taints, any images. */
  readonly flags: Uint8Array;
  /** Changes whenever the node's Node object is replaced: a key for answers remembered per node. */
  readonly version: Float64Array;
  /** NodeInfo.generation: changes with the node's object and with its pods. */
  readonly generation: Float64Array;
  /** How many nodes have each flag: a plugin skips its loop when none has. */
  readonly flagged: Readonly<Record<keyof typeof NodeFlag, number>>;
  /**
   * The least free (allocatable − requested) cpu and memory and pod slots (allocatable pods − pods)
   * over all nodes, each of its own node: a request within all three fits every node.
   */
  readonly leastFree?: { readonly milliCpu: number; readonly memory: number; readonly pods: number };
  /**
   * A counter that moves whenever a node's object changes in any lane (added, replaced, removed;
   * not on pod changes): answers remembered per node `version` all still hold while it stands still.
   */
  readonly changes?: { readonly nodes: number };
}

export interface Snapshot {
  list(): readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  havePodsWithAffinity(): readonly NodeInfo[];
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[];
  /** Labels of a namespace (for namespaceSelector), undefined if unknown. */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** The nodes as columns, when the snapshot keeps them (the scheduler cache's does). */
  columns?(): NodeColumns | undefined;
}

/** Per-cycle scratch space plugins share between their own extension points (upstream CycleState). */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Set when scores are requested for `kite scheduler explain`. */
  recordPluginMetrics = false;
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  delete(key: string): void {
    this.data.delete(key);
  }
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, v && typeof (v as { clone?: () => unknown }).clone === 'function' ? (v as { clone(): unknown }).clone() : v);
    c.recordPluginMetrics = this.recordPluginMetrics;
    return c;
  }
}

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  readonly podInfo: PodInfo;
  /** When it entered the queue the first time (for scheduler_pod_scheduling_duration_seconds). */
  readonly initialAttemptTimestamp: number;
  /** When it was last added or moved to activeQ. */
  timestamp: number;
  attempts: number;
  /** Plugins that rejected it in the last attempt: only events they registered can requeue it. */
  unschedulablePlugins: Set<string>;
  pendingPlugins: Set<string>;
}

// ---- Plugin interfaces, one per extension point -----------------------------------------------

export interface SchedulerPlugin {
  /** PascalCase, unique within a profile (names of built-ins are in names.ts). */
  readonly name: string;
}

export interface PreEnqueuePlugin extends SchedulerPlugin {
  preEnqueue(pod: Pod): Status;
}

export interface QueueSortPlugin extends SchedulerPlugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreFilterResult {
  /** Only these nodes can fit (e.g. NodeName, NodeAffinity on metadata.name); undefined = all. */
  nodeNames?: Set<string>;
}

export interface PreFilterExtensions {
  /** Adjusts the plugin's cycle state as if `added` ran on `node` (used by preemption). */
  addPod(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): Status;
  removePod(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): Status;
}

export interface PreFilterPlugin extends SchedulerPlugin {
  /** Status Skip means the plugin's Filter is not run for this pod. */
  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): { result?: PreFilterResult; status: Status };
  preFilterExtensions?(): PreFilterExtensions | undefined;
}

export interface FilterPlugin extends SchedulerPlugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

/**
 * Optional on a FilterPlugin: screens every node of a cycle in one call, the hot path at thousands
 * of nodes (one loop instead of a call per node and plugin). It must agree with filter() node by
 * node (the batch tests check it); the cycle still calls filter() on the nodes it rejects, to
 * report upstream's exact Status, so it only says yes or no.
 */
export interface BatchFilterPlugin extends FilterPlugin {
  /**
   * Sets `pass[node.index] = 0` for each node of `nodes` that filter() would reject and leaves the
   * others alone (it may also clear entries of indices not in `nodes`: they are not read). Returns
   * false when it cannot screen this pod: filter() then runs per node. `columns`, when given,
   * describe every node of the snapshot (`nodes` is all of them or a subset).
   */
  filterBatch(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], pass: Uint8Array, columns?: NodeColumns): boolean;
}

export function isBatchFilter(p: FilterPlugin): p is BatchFilterPlugin {
  return typeof (p as Partial<BatchFilterPlugin>).filterBatch === 'function';
}

export interface PostFilterResult {
  nominatedNodeName?: string;
}

export interface PostFilterPlugin extends SchedulerPlugin {
  /** Runs when no node passed the filters; `statuses` maps node name → the rejecting status. */
  postFilter(state: CycleState, pod: PodInfo, statuses: ReadonlyMap<string, Status>): Promise<{ result?: PostFilterResult; status: Status }>;
}

export interface PreScorePlugin extends SchedulerPlugin {
  /** `nodes` are the feasible nodes; Skip means the plugin's Score is not run. */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status;
}

/** A per-node score plugin, upstream style: score() per node, then optional normalizeScore(). */
export interface ScorePlugin extends SchedulerPlugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status };
  normalizeScore?(state: CycleState, pod: PodInfo, scores: { name: string; score: number }[]): Status;
}

/**
 * A column score plugin: fills one raw integer score per feasible node (by NodeInfo.index) and
 * lets the WASM kernel normalize, weight and sum it with the others in one call. The built-in
 * score plugins are column plugins; a ScorePlugin is adapted to a column with normalization `none`.
 */
export interface ColumnScorePlugin extends SchedulerPlugin {
  readonly normalization: Normalization;
  /**
   * Writes the raw score of each node of `nodes` (the feasible ones) at `raw[node.index]`; it may
   * also write other indices (only feasible ones are read). `columns` as in filterBatch.
   */
  scoreColumn(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], raw: Float64Array, columns?: NodeColumns): Status;
}

export interface ReservePlugin extends SchedulerPlugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status | Promise<Status>;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void | Promise<void>;
}

export interface PermitPlugin extends SchedulerPlugin {
  /** Wait with a timeout holds the pod (WaitingPod) until allowed, rejected or timed out. */
  permit(state: CycleState, pod: PodInfo, nodeName: string): { status: Status; timeoutMs?: number };
}

export interface PreBindPlugin extends SchedulerPlugin {
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends SchedulerPlugin {
  /** Skip passes the pod to the next bind plugin. */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

export interface PostBindPlugin extends SchedulerPlugin {
  postBind(state: CycleState, pod: PodInfo, nodeName: string): void;
}

// ---- Requeueing ---------------------------------------------------------------------------

export type EventResource = 'Pod' | 'AssignedPod' | 'Node' | 'PersistentVolume' | 'PersistentVolumeClaim' | 'StorageClass' | 'Namespace' | 'PriorityClass';
export type ActionType = 'Add' | 'Delete' | 'Update' | 'UpdateNodeAllocatable' | 'UpdateNodeLabel' | 'UpdateNodeTaint' | 'UpdateNodeCondition' | 'UpdatePodLabel' | 'UpdatePodScaleDown' | 'All';

export interface ClusterEvent {
  resource: EventResource;
  action: ActionType;
}

export type QueueingHint = 'Queue' | 'QueueSkip';

export interface ClusterEventWithHint {
  event: ClusterEvent;
  /** Decides whether this event can make `pod` schedulable; absent = always Queue. */
  hint?(pod: Pod, oldObj: KubeObject | undefined, newObj: KubeObject | undefined): QueueingHint;
}

/** Plugins that reject pods say which cluster events may change their mind. */
export interface EnqueueExtensions {
  eventsToRegister(): ClusterEventWithHint[];
}

// ---- Construction -------------------------------------------------------------------------

/** What a plugin gets from the framework: the snapshot, the store-backed actions, the recorder. */
export interface Handle {
  snapshot(): Snapshot;
  /** Writes a Binding (pods/binding) through the store. */
  bind(pod: Pod, nodeName: string): Promise<void>;
  /** Deletes a pod (preemption victims), with a DisruptionTarget condition first. */
  evict(victim: Pod, preemptor: Pod): Promise<void>;
  /** Sets status.nominatedNodeName on a pod (preemption). */
  nominate(pod: Pod, nodeName: string | undefined): Promise<void>;
  /** Lists priority classes: name → value; `globalDefault` gives the default. */
  priorityClasses(): ReadonlyMap<string, { value: number; globalDefault: boolean; preemptionPolicy?: string }>;
  /** Runs all Filter plugins (with PreFilter extensions applied in `state`) for one node. */
  runFilterPlugins(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
  /** Runs PreFilter extensions of all plugins as if `other` were added to / removed from `node`. */
  runPreFilterExtensionAddPod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status;
  runPreFilterExtensionRemovePod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status;
  /** Emits an Event about an object (e.g. Preempted on a victim). */
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Builds a PodInfo (requests, affinity terms) for any pod. */
  podInfo(pod: Pod): PodInfo;
}

/**
 * A plugin factory (upstream's PluginFactory): validates its typed args and builds the plugin.
 * `validate` throws `Error` with a message naming the arg (`NodeResourcesFitArgs.scoringStrategy.type: ...`).
 */
export interface PluginFactory<Args = unknown> {
  readonly name: string;
  /** Defaults and validates the args from the KubeSchedulerConfiguration's pluginConfig. */
  validate(args: unknown): Args;
  create(args: Args, handle: Handle): SchedulerPlugin;
}

// ---- Scoring inside the WASM kernel (added by the framework runtime) -------------------------

/**
 * What the scoring kernel computes itself for a score plugin (wasm/score README): NodeResourcesFit's
 * scoring strategy or BalancedAllocation. The framework puts these into the one `scorer.score()`
 * call with the plugin's configured weight; the plugin computes nothing per node for scoring.
 */
export type KernelScore =
  | { kind: 'fit'; strategy: import('../../../wasm/score/types.js').FitStrategy; cpuWeight?: number; memoryWeight?: number; shape?: import('../../../wasm/score/types.js').ShapePoint[] }
  | { kind: 'balanced' };

/** A score plugin the kernel computes (NodeResourcesFit, NodeResourcesBalancedAllocation). */
export interface KernelScorePlugin extends SchedulerPlugin {
  readonly kernelScore: KernelScore;
}

/** A pod a Permit plugin holds (status Wait): plugins allow or reject it through the handle. */
export interface WaitingPod {
  readonly pod: Pod;
  /** The node it is reserved on. */
  readonly nodeName: string;
  /** Plugins still to allow it. */
  pendingPlugins(): string[];
  allow(plugin: string): void;
  reject(plugin: string, message: string): void;
}

/** Optional Handle extensions the framework runtime provides (kept optional for hand-written test handles). */
export interface HandleExtensions {
  /** A pod waiting at Permit, by uid. */
  getWaitingPod?(uid: string): WaitingPod | undefined;
  /** Nominated pods per node (what preemption's nominator knows). */
  nominatedPodsForNode?(nodeName: string): readonly PodInfo[];
  /** The Filter plugins that run in this cycle (PreFilter Skips removed), in order. */
  activeFilterPlugins?(state: CycleState): readonly FilterPlugin[];
  /** Whether any PreFilter plugin with AddPod/RemovePod extensions runs in this cycle. */
  preFilterExtensionsActive?(state: CycleState): boolean;
}
