// The scheduler benchmark's workloads, after kube-scheduler's scheduler_perf
// (test/integration/scheduler_perf/config/performance-config.yaml and its templates): hollow nodes
// (Node objects only), init pods that set the scene, measured pods whose scheduling throughput
// is reported. Sizes: `small` and `medium` are upstream's 500-node and 5000-node cases; `quick`
// is a smoke size.
import type { KubeObject } from '../../../kernel/objects/types.js';
import type { Node, Pod } from '../framework/interfaces.js';
import { makeNode } from '../framework/nodeinfo.js';

export type SizeName = 'quick' | 'small' | 'medium';

export interface Size {
  nodes: number;
  initPods: number;
  measurePods: number;
}

export interface Workload {
  name: string;
  description: string;
  sizes: Record<SizeName, Size>;
  /** Namespaces to create besides `default`. */
  namespaces: string[];
  initNamespace: string;
  measureNamespace: string;
  node(i: number): Node;
  initPod(i: number): Pod;
  measurePod(i: number): Pod;
  /** Mixed churn: objects created (and the previous one deleted) every interval while measuring. */
  churn?: { intervalMs: number; objects: (round: number) => { resource: 'nodes' | 'pods' | 'services'; obj: KubeObject }[] };
}

/** node-default.yaml: 4 cpu, 32Gi, 110 pods. */
function hollowNode(i: number, labels: Record<string, string> = {}): Node {
  return makeNode(`node-${i}`, { cpu: '4', memory: '32Gi', pods: '110' }, { labels });
}

interface PodOpts {
  ns: string;
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  priority?: number;
  spec?: Record<string, unknown>;
}

/** pod-default.yaml: one container requesting 100m / 500Mi. */
function benchPod(name: string, o: PodOpts): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.ns, labels: { ...(o.labels ?? {}) } },
    spec: {
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: o.cpu ?? '100m', memory: o.memory ?? '500Mi' } } }],
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.spec ?? {}),
    },
  } as Pod;
}

const sizes = (small: Size, medium: Size, quick: Size = { nodes: 50, initPods: 50, measurePods: 100 }): Record<SizeName, Size> => ({ quick, small, medium });

const basic: Workload = {
  name: 'SchedulingBasic',
  description: 'default pods on default nodes',
  sizes: sizes({ nodes: 500, initPods: 500, measurePods: 1000 }, { nodes: 5000, initPods: 1000, measurePods: 10000 }),
  namespaces: ['sched'],
  initNamespace: 'sched',
  measureNamespace: 'sched',
  node: (i) => hollowNode(i),
  initPod: (i) => benchPod(`init-${i}`, { ns: 'sched' }),
  measurePod: (i) => benchPod(`measure-${i}`, { ns: 'sched' }),
};

const nodeAffinityTerm = { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone1', 'zone2'] }] }] };

const nodeAffinity: Workload = {
  name: 'SchedulingNodeAffinity',
  description: 'pods with required node affinity; every node labelled zone1',
  sizes: sizes({ nodes: 500, initPods: 500, measurePods: 1000 }, { nodes: 5000, initPods: 5000, measurePods: 10000 }),
  namespaces: ['sched'],
  initNamespace: 'sched',
  measureNamespace: 'sched',
  node: (i) => hollowNode(i, { 'topology.kubernetes.io/zone': 'zone1' }),
  initPod: (i) => benchPod(`init-${i}`, { ns: 'sched', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: nodeAffinityTerm } } } }),
  measurePod: (i) => benchPod(`measure-${i}`, { ns: 'sched', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: nodeAffinityTerm } } } }),
};

const antiAffinitySpec = {
  affinity: {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { color: 'green' } }, topologyKey: 'kubernetes.io/hostname', namespaces: ['sched-0', 'sched-1'] },
      ],
    },
  },
};

const podAntiAffinity: Workload = {
  name: 'SchedulingPodAntiAffinity',
  description: 'pods with required anti-affinity to each other per hostname',
  sizes: sizes({ nodes: 500, initPods: 100, measurePods: 400 }, { nodes: 5000, initPods: 1000, measurePods: 2000 }, { nodes: 50, initPods: 10, measurePods: 30 }),
  namespaces: ['sched-0', 'sched-1'],
  initNamespace: 'sched-0',
  measureNamespace: 'sched-1',
  node: (i) => hollowNode(i),
  initPod: (i) => benchPod(`init-${i}`, { ns: 'sched-0', labels: { color: 'green' }, spec: antiAffinitySpec }),
  measurePod: (i) => benchPod(`measure-${i}`, { ns: 'sched-1', labels: { color: 'green' }, spec: antiAffinitySpec }),
};

const zones = ['moon-1', 'moon-2', 'moon-3'];

const topologySpreading: Workload = {
  name: 'TopologySpreading',
  description: 'pods spread over 3 zones (maxSkew 5, DoNotSchedule) among default pods',
  sizes: sizes({ nodes: 500, initPods: 1000, measurePods: 1000 }, { nodes: 5000, initPods: 5000, measurePods: 2000 }),
  namespaces: ['sched'],
  initNamespace: 'sched',
  measureNamespace: 'sched',
  node: (i) => hollowNode(i, { 'topology.kubernetes.io/zone': zones[i % zones.length]! }),
  initPod: (i) => benchPod(`init-${i}`, { ns: 'sched' }),
  measurePod: (i) =>
    benchPod(`measure-${i}`, {
      ns: 'sched',
      labels: { color: 'blue' },
      spec: { topologySpreadConstraints: [{ maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { color: 'blue' } } }] },
    }),
};

const preemption: Workload = {
  name: 'PreemptionBasic',
  description: 'nodes filled with low-priority pods; high-priority pods preempt them',
  sizes: sizes({ nodes: 500, initPods: 2000, measurePods: 500 }, { nodes: 1000, initPods: 4000, measurePods: 1000 }, { nodes: 20, initPods: 80, measurePods: 20 }),
  namespaces: ['sched'],
  initNamespace: 'sched',
  measureNamespace: 'sched',
  node: (i) => hollowNode(i),
  initPod: (i) => benchPod(`init-${i}`, { ns: 'sched', cpu: '900m', memory: '500Mi', priority: 1 }),
  measurePod: (i) => benchPod(`measure-${i}`, { ns: 'sched', cpu: '3000m', memory: '500Mi', priority: 10 }),
};

const churn: Workload = {
  name: 'SchedulingWithMixedChurn',
  description: 'default pods while a node, an unschedulable high-priority pod and a service are recreated every second',
  sizes: sizes({ nodes: 1000, initPods: 0, measurePods: 1000 }, { nodes: 5000, initPods: 0, measurePods: 2000 }, { nodes: 50, initPods: 0, measurePods: 100 }),
  namespaces: ['sched'],
  initNamespace: 'sched',
  measureNamespace: 'sched',
  node: (i) => hollowNode(i),
  initPod: (i) => benchPod(`init-${i}`, { ns: 'sched' }),
  measurePod: (i) => benchPod(`measure-${i}`, { ns: 'sched' }),
  churn: {
    intervalMs: 1000,
    objects: (round) => [
      { resource: 'nodes', obj: makeNode(`churn-node-${round}`, { cpu: '4', memory: '32Gi', pods: '110' }) },
      // pod-high-priority-large-cpu.yaml: fits no node, so every round costs a failed attempt + preemption try.
      { resource: 'pods', obj: benchPod(`churn-pod-${round}`, { ns: 'sched', cpu: '9', priority: 10 }) },
      { resource: 'services', obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: `churn-svc-${round}`, namespace: 'sched' }, spec: { selector: { app: `churn-${round}` }, ports: [{ port: 80 }] } } },
    ],
  },
};

export const WORKLOADS: readonly Workload[] = [basic, nodeAffinity, podAntiAffinity, topologySpreading, preemption, churn];
