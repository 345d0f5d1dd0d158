// Small stand-ins for the built-in plugins, used by the framework tests so they do not depend on
// the real plugins' details: PrioritySort, a resources Fit filter (+ kernel scoring), Balanced
// (kernel scoring), a nodeSelector filter, and a binder that writes through the handle.
import { SUCCESS, status, type ClusterEventWithHint, type CycleState, type FilterPlugin, type Handle, type KernelScorePlugin, type NodeInfo, type Pod, type PodInfo, type PluginFactory, type QueueSortPlugin, type QueuedPodInfo, type BindPlugin, type Status, type EnqueueExtensions } from '../framework/interfaces.js';

const noArgs = { validate: (a: unknown) => a ?? {} };

export const testPrioritySort: PluginFactory = {
  name: 'PrioritySort',
  ...noArgs,
  create: (): QueueSortPlugin => ({
    name: 'PrioritySort',
    less: (a: QueuedPodInfo, b: QueuedPodInfo) => {
      const pa = (a.podInfo.pod.spec.priority as number | undefined) ?? 0;
      const pb = (b.podInfo.pod.spec.priority as number | undefined) ?? 0;
      return pa > pb || (pa === pb && a.timestamp < b.timestamp);
    },
  }),
};

export const testFit: PluginFactory = {
  name: 'NodeResourcesFit',
  ...noArgs,
  create: (): FilterPlugin & KernelScorePlugin & EnqueueExtensions => ({
    name: 'NodeResourcesFit',
    kernelScore: { kind: 'fit', strategy: 'LeastAllocated' },
    filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status {
      const reasons: string[] = [];
      if (node.pods.length + 1 > node.allocatable.pods) reasons.push('Too many pods');
      if (pod.requests.milliCpu > node.allocatable.milliCpu - node.requested.milliCpu) reasons.push('Insufficient cpu');
      if (pod.requests.memory > node.allocatable.memory - node.requested.memory) reasons.push('Insufficient memory');
      return reasons.length ? status('Unschedulable', ...reasons) : SUCCESS;
    },
    eventsToRegister: (): ClusterEventWithHint[] => [
      { event: { resource: 'Node', action: 'Add' } },
      { event: { resource: 'Node', action: 'UpdateNodeAllocatable' } },
      { event: { resource: 'AssignedPod', action: 'Delete' } },
    ],
  }),
};

export const testBalanced: PluginFactory = {
  name: 'NodeResourcesBalancedAllocation',
  ...noArgs,
  create: (): KernelScorePlugin => ({ name: 'NodeResourcesBalancedAllocation', kernelScore: { kind: 'balanced' } }),
};

export const testNodeSelector: PluginFactory = {
  name: 'NodeAffinity',
  ...noArgs,
  create: (): FilterPlugin & EnqueueExtensions => ({
    name: 'NodeAffinity',
    filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status {
      const sel = (pod.pod.spec.nodeSelector ?? {}) as Record<string, string>;
      const labels = node.node.metadata.labels ?? {};
      for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) return status('UnschedulableAndUnresolvable', "node(s) didn't match Pod's node affinity/selector");
      return SUCCESS;
    },
    eventsToRegister: () => [{ event: { resource: 'Node', action: 'Add' } }, { event: { resource: 'Node', action: 'UpdateNodeLabel' } }],
  }),
};

export const testBinder: PluginFactory = {
  name: 'DefaultBinder',
  ...noArgs,
  create: (_args: unknown, handle: Handle): BindPlugin => ({
    name: 'DefaultBinder',
    async bind(_s: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
      await handle.bind(pod.pod as Pod, nodeName);
      return SUCCESS;
    },
  }),
};

export const testFactories: PluginFactory[] = [testPrioritySort, testFit, testBalanced, testNodeSelector, testBinder];
