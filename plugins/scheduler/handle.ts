// The Handle plugins receive (upstream framework.Handle): the cycle's snapshot, store-backed
// actions (bind, evict, nominate), events, priority classes, and the framework's own runners for
// preemption's what-if filtering. One per profile; bound to its Framework after construction.
import type { EventRecorder } from '../../kernel/events/recorder.js';
import type { KubeObject } from '../../kernel/objects/types.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { bindPod, evictPod, setNominatedNode } from './binding.js';
import { SKIP_FILTER_KEY } from './cycle.js';
import type { CycleState, FilterPlugin, Handle, HandleExtensions, NodeInfo, Pod, PodInfo, Snapshot, Status, WaitingPod } from './framework/interfaces.js';
import { newPodInfo } from './framework/podinfo.js';
import type { Framework } from './framework/runtime.js';
import type { ListedResource, ObjectListers } from './plugins/listers.js';

export interface PriorityClassInfo {
  value: number;
  globalDefault: boolean;
  preemptionPolicy?: string;
}

export interface HandleDeps {
  store: ObjectStore;
  recorder: EventRecorder;
  schedulerName: string;
  snapshot(): Snapshot;
  priorityClasses(): ReadonlyMap<string, PriorityClassInfo>;
  waitingPod(uid: string): WaitingPod | undefined;
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
  listObjects(resource: ListedResource, namespace?: string): readonly KubeObject[] | undefined;
  getObject(resource: ListedResource, namespace: string | undefined, name: string): KubeObject | undefined;
}

const NO_SKIP: ReadonlySet<string> = new Set();

export class FrameworkHandle implements Handle, HandleExtensions, ObjectListers {
  framework?: Framework;

  constructor(private readonly deps: HandleDeps) {}

  private fwk(): Framework {
    if (!this.framework) throw new Error('framework handle used before the framework was built');
    return this.framework;
  }

  snapshot(): Snapshot {
    return this.deps.snapshot();
  }

  bind(pod: Pod, nodeName: string): Promise<void> {
    return bindPod(this.deps.store, pod, nodeName);
  }

  evict(victim: Pod, _preemptor: Pod): Promise<void> {
    return evictPod(this.deps.store, victim, this.deps.schedulerName);
  }

  nominate(pod: Pod, nodeName: string | undefined): Promise<void> {
    return setNominatedNode(this.deps.store, pod, nodeName);
  }

  priorityClasses(): ReadonlyMap<string, PriorityClassInfo> {
    return this.deps.priorityClasses();
  }

  runFilterPlugins(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return this.fwk().runFilter(state, pod, node, state.read<Set<string>>(SKIP_FILTER_KEY) ?? NO_SKIP);
  }

  activeFilterPlugins(state: CycleState): readonly FilterPlugin[] {
    return this.fwk().activeFilters(state.read<Set<string>>(SKIP_FILTER_KEY) ?? NO_SKIP);
  }

  preFilterExtensionsActive(state: CycleState): boolean {
    return this.fwk().hasPreFilterExtensions(state.read<Set<string>>(SKIP_FILTER_KEY) ?? NO_SKIP);
  }

  runPreFilterExtensionAddPod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status {
    return this.fwk().runPreFilterExtension('add', state, pod, other, node, state.read<Set<string>>(SKIP_FILTER_KEY) ?? NO_SKIP);
  }

  runPreFilterExtensionRemovePod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status {
    return this.fwk().runPreFilterExtension('remove', state, pod, other, node, state.read<Set<string>>(SKIP_FILTER_KEY) ?? NO_SKIP);
  }

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.deps.recorder.record(obj, type, reason, message);
  }

  podInfo(pod: Pod): PodInfo {
    return newPodInfo(pod);
  }

  getWaitingPod(uid: string): WaitingPod | undefined {
    return this.deps.waitingPod(uid);
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    return this.deps.nominatedPodsForNode(nodeName);
  }

  listObjects(resource: ListedResource, namespace?: string): readonly KubeObject[] | undefined {
    return this.deps.listObjects(resource, namespace);
  }

  getObject(resource: ListedResource, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.deps.getObject(resource, namespace, name);
  }
}
