// Test fakes for the advanced plugins: an in-memory Snapshot over MutableNodeInfos and a Handle
// that runs a given list of filter plugins (for preemption's what-ifs), records evictions,
// nominations and events, and serves object listers from plain arrays.
import type { KubeObject } from '../../../kernel/objects/types.js';
import { ReferenceScorer } from '../../../wasm/score/reference.js';
import type { Normalization } from '../../../wasm/score/types.js';
import {
  CycleState, SUCCESS, isSuccess,
  type FilterPlugin, type Handle, type NodeInfo, type Pod, type PodInfo, type PreFilterPlugin, type Snapshot, type Status,
} from '../framework/interfaces.js';
import { MutableNodeInfo, makeNode } from '../framework/nodeinfo.js';
import { newPodInfo } from '../framework/podinfo.js';
import type { ListedResource, ObjectListers } from './listers.js';

export class FakeSnapshot implements Snapshot {
  readonly nodes: MutableNodeInfo[];
  constructor(nodes: MutableNodeInfo[], private readonly nsLabels: Record<string, Record<string, string>> = {}) {
    this.nodes = nodes;
    nodes.forEach((n, i) => (n.index = i));
  }
  list(): readonly NodeInfo[] {
    return this.nodes;
  }
  get(name: string): NodeInfo | undefined {
    return this.nodes.find((n) => n.name === name);
  }
  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.nodes.filter((n) => n.podsWithAffinity.length > 0);
  }
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
  }
  namespaceLabels(ns: string): Record<string, string> | undefined {
    return this.nsLabels[ns] ?? { 'kubernetes.io/metadata.name': ns };
  }
}

export interface FakeHandleOptions {
  /** Filter plugins runFilterPlugins runs, in order (PreFilter is run on them by `prepare`). */
  filters?: (FilterPlugin & Partial<PreFilterPlugin>)[];
  objects?: Partial<Record<ListedResource, KubeObject[]>>;
  priorityClasses?: Map<string, { value: number; globalDefault: boolean; preemptionPolicy?: string }>;
  /** Pods nominated to each node (what nominatedPodsForNode answers). */
  nominatedPods?: ReadonlyMap<string, readonly PodInfo[]>;
}

export class FakeHandle implements Handle, ObjectListers {
  readonly evicted: Pod[] = [];
  readonly nominated: { pod: string; node: string | undefined }[] = [];
  readonly events: { obj: string; type: string; reason: string; message: string }[] = [];
  readonly bound: { pod: string; node: string }[] = [];
  filters: (FilterPlugin & Partial<PreFilterPlugin>)[];
  objects: Partial<Record<ListedResource, KubeObject[]>>;

  constructor(public snap: FakeSnapshot, private readonly opts: FakeHandleOptions = {}) {
    this.filters = opts.filters ?? [];
    this.objects = opts.objects ?? {};
  }

  snapshot(): Snapshot {
    return this.snap;
  }
  async bind(pod: Pod, nodeName: string): Promise<void> {
    this.bound.push({ pod: pod.metadata.name ?? '', node: nodeName });
  }
  async evict(victim: Pod): Promise<void> {
    this.evicted.push(victim);
  }
  async nominate(pod: Pod, nodeName: string | undefined): Promise<void> {
    this.nominated.push({ pod: pod.metadata.name ?? '', node: nodeName });
  }
  priorityClasses() {
    return this.opts.priorityClasses ?? new Map();
  }
  /** Runs PreFilter of every filter plugin that has one (what the framework does before Filter). */
  prepare(state: CycleState, pod: PodInfo): Status {
    for (const f of this.filters) {
      if (!f.preFilter) continue;
      const r = f.preFilter(state, pod, this.snap.list());
      if (r.status.code === 'Skip') {
        state.write(`skip/${f.name}`, true);
        continue;
      }
      if (!isSuccess(r.status)) return r.status;
    }
    return SUCCESS;
  }
  runFilterPlugins(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    for (const f of this.filters) {
      if (state.read(`skip/${f.name}`)) continue;
      const s = f.filter(state, pod, node);
      if (!isSuccess(s)) return { ...s, plugin: f.name };
    }
    return SUCCESS;
  }
  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    return this.opts.nominatedPods?.get(nodeName) ?? [];
  }
  activeFilterPlugins(state: CycleState): readonly FilterPlugin[] {
    return this.filters.filter((f) => !state.read(`skip/${f.name}`));
  }
  preFilterExtensionsActive(state: CycleState): boolean {
    return this.filters.some((f) => typeof f.preFilterExtensions === 'function' && !state.read(`skip/${f.name}`));
  }
  private ext(kind: 'add' | 'remove', state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status {
    for (const f of this.filters) {
      if (state.read(`skip/${f.name}`)) continue;
      const e = f.preFilterExtensions?.();
      if (!e) continue;
      const s = kind === 'add' ? e.addPod(state, pod, other, node) : e.removePod(state, pod, other, node);
      if (!isSuccess(s)) return s;
    }
    return SUCCESS;
  }
  runPreFilterExtensionAddPod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status {
    return this.ext('add', state, pod, other, node);
  }
  runPreFilterExtensionRemovePod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status {
    return this.ext('remove', state, pod, other, node);
  }
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ obj: obj.metadata.name ?? '', type, reason, message });
  }
  podInfo(pod: Pod): PodInfo {
    return newPodInfo(pod);
  }
  listObjects(resource: ListedResource, namespace?: string): readonly KubeObject[] | undefined {
    const all = this.objects[resource];
    if (!all) return undefined;
    return namespace === undefined ? all : all.filter((o) => (o.metadata.namespace ?? 'default') === namespace);
  }
}

let uidCounter = 0;

/** A pod for tests: labels, requests, priority, node, and any extra spec fields. */
export function makePod(
  name: string,
  opts: { ns?: string; labels?: Record<string, string>; cpu?: string; memory?: string; priority?: number; node?: string; spec?: Record<string, unknown>; startTime?: string; uid?: string; deleting?: boolean } = {},
): Pod {
  const requests: Record<string, string> = {};
  if (opts.cpu) requests.cpu = opts.cpu;
  if (opts.memory) requests.memory = opts.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.ns ?? 'default',
      uid: opts.uid ?? `uid-${name}-${++uidCounter}`,
      labels: opts.labels ?? {},
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'busybox', resources: { requests } }],
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      ...(opts.node ? { nodeName: opts.node } : {}),
      ...(opts.spec ?? {}),
    },
    status: opts.startTime ? { startTime: opts.startTime } : {},
  } as Pod;
}

/** Nodes named `names`, each with `labels[i]`, and the pods placed on them (by spec.nodeName). */
export function makeCluster(
  nodes: { name: string; labels?: Record<string, string>; taints?: unknown[]; allocatable?: Record<string, string | number> }[],
  pods: Pod[] = [],
  nsLabels?: Record<string, Record<string, string>>,
): FakeSnapshot {
  const infos = nodes.map((n, i) => new MutableNodeInfo(makeNode(n.name, n.allocatable, { labels: n.labels, taints: n.taints }), i));
  for (const p of pods) {
    const ni = infos.find((n) => n.name === p.spec.nodeName);
    if (!ni) throw new Error(`test pod ${p.metadata.name} names unknown node ${String(p.spec.nodeName)}`);
    ni.addPod(p);
  }
  return new FakeSnapshot(infos, nsLabels);
}

/** Runs preFilter + filter of one plugin on every node; returns node → status code/reasons. */
export function filterAll(plugin: FilterPlugin & Partial<PreFilterPlugin>, snap: FakeSnapshot, pod: Pod, state = new CycleState()): Record<string, string> {
  const info = newPodInfo(pod);
  const out: Record<string, string> = {};
  if (plugin.preFilter) {
    const r = plugin.preFilter(state, info, snap.list());
    if (r.status.code === 'Skip') {
      for (const n of snap.list()) out[n.name] = 'Success';
      return out;
    }
    if (!isSuccess(r.status)) {
      for (const n of snap.list()) out[n.name] = `${r.status.code}: ${r.status.reasons.join(', ')}`;
      return out;
    }
  }
  for (const n of snap.list()) {
    const s = plugin.filter(state, info, n);
    out[n.name] = s.code === 'Success' ? 'Success' : `${s.code}: ${s.reasons.join(', ')}`;
  }
  return out;
}

/**
 * Normalizes one raw score column the way the scoring kernel does (through the TypeScript
 * reference scorer), for the first `n` nodes, all feasible.
 */
export function normalizeColumn(normalization: Normalization, raw: Float64Array, n: number): number[] {
  const scorer = new ReferenceScorer(Math.max(16, n));
  for (let i = 0; i < n; i++) {
    scorer.setNode(i, { allocatableMilliCpu: 1000, allocatableMemory: 2 ** 30, allocatablePods: 110, requestedMilliCpu: 0, requestedMemory: 0, nonZeroRequestedMilliCpu: 0, nonZeroRequestedMemory: 0, podCount: 0 });
  }
  const r = scorer.score({
    pod: { milliCpu: 0, memory: 0, nonZeroMilliCpu: 0, nonZeroMemory: 0 },
    fitFilter: false,
    fit: null,
    balancedWeight: 0,
    extras: [{ name: 'column', normalization, weight: 1, raw }],
    details: true,
  });
  return Array.from(r.details!.find((d) => d.plugin === 'column')!.scores.subarray(0, n));
}
