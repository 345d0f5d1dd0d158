// Batch Filters (filterBatch) agree with filter() node by node: randomized clusters and pods for
// every plugin that has a batch form, including the remembered NodeAffinity answers across node
// updates and the scheduler-enforced addedAffinity.
import tap from 'tap';
const t = tap;
import { ReferenceScorer } from '../../../wasm/score/reference.js';
import { SchedulerCache } from '../cache.js';
import {
  CycleState, isBatchFilter, type BatchFilterPlugin, type ColumnScorePlugin, type FilterPlugin, type NodeColumns, type NodeInfo, type Node, type Pod, type PreFilterPlugin,
} from '../framework/interfaces.js';
import { MutableNodeInfo, makeNode } from '../framework/nodeinfo.js';
import { newPodInfo } from '../framework/podinfo.js';
import { imageLocalityFactory } from './imagelocality/index.js';
import { nodeAffinityFactory } from './nodeaffinity/index.js';
import { nodeResourcesFitFactory } from './noderesources/index.js';
import { nodeUnschedulableFactory } from './nodeunschedulable/index.js';
import { taintTolerationFactory } from './tainttoleration/index.js';
import { seededRandom } from '../../../kernel/testing/random.js';

const rng = seededRandom;

const ZONES = ['a', 'b', 'c'];
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function randomNode(r: () => number, i: number): Node {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const taints = r() < 0.3 ? Array.from({ length: 1 + Math.floor(r() * 2) }, () => ({ key: pick(['dedicated', 'gpu']), value: pick(['batch', '']), effect: pick(EFFECTS) })) : undefined;
  const node = makeNode(`node-${i}`, { cpu: String(1 + Math.floor(r() * 4)), memory: `${1 + Math.floor(r() * 8)}Gi`, pods: 1 + Math.floor(r() * 6), ...(r() < 0.2 ? { 'ephemeral-storage': '10Gi', 'example.com/gpu': 2 } : {}) }, {
    labels: { 'topology.kubernetes.io/zone': pick(ZONES), disk: r() < 0.5 ? 'ssd' : 'hdd' },
    taints,
    unschedulable: r() < 0.1,
  });
  if (r() < 0.3) node.status!.images = [{ names: ['docker.io/library/busybox:latest', 'busybox:latest'], sizeBytes: Math.floor(r() * 900) * 2 ** 20 }];
  return node;
}

function randomPod(r: () => number, i: number): Pod {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const requests: Record<string, string | number> = {};
  if (r() < 0.8) requests.cpu = `${Math.floor(r() * 1500)}m`;
  if (r() < 0.8) requests.memory = `${Math.floor(r() * 3000)}Mi`;
  if (r() < 0.1) requests['ephemeral-storage'] = '1Gi';
  if (r() < 0.1) requests['example.com/gpu'] = 1;
  const spec: Record<string, unknown> = { containers: [{ name: 'c', image: 'busybox', resources: { requests } }] };
  if (r() < 0.4) spec.tolerations = [pick([{ key: 'dedicated', operator: 'Exists' }, { operator: 'Exists', effect: 'NoSchedule' }, { key: 'gpu', value: 'batch', effect: 'NoExecute' }, { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }])];
  if (r() < 0.3) spec.nodeSelector = { 'topology.kubernetes.io/zone': pick(ZONES) };
  if (r() < 0.3) {
    spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchExpressions: [{ key: 'disk', operator: pick(['In', 'NotIn']), values: ['ssd'] }] },
      ...(r() < 0.5 ? [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: [`node-${Math.floor(r() * 40)}`] }] }] : []),
    ] } } };
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}`, namespace: 'default', uid: `uid-${i}` }, spec };
}

function nodeInfos(r: () => number, count: number): MutableNodeInfo[] {
  const list = Array.from({ length: count }, (_, i) => new MutableNodeInfo(randomNode(r, i), i));
  // Some nodes already run pods, so the fit checks see used resources and pod counts.
  for (const ni of list) for (let k = Math.floor(r() * 4); k > 0; k--) ni.addPod(randomPod(r, 1000 + ni.index * 10 + k));
  return list;
}

function compare(t: Pick<typeof tap, 'equal' | 'ok'>, plugin: BatchFilterPlugin, r: () => number, nodes: readonly NodeInfo[], pods: number, columns?: NodeColumns): void {
  let checked = 0;
  let declined = 0;
  let mismatches = 0;
  for (let i = 0; i < pods; i++) {
    const pod = newPodInfo(randomPod(r, i));
    const state = new CycleState();
    const pre = (plugin as Partial<PreFilterPlugin>).preFilter?.(state, pod, nodes);
    if (pre && pre.status.code !== 'Success') continue; // Skip or rejected as a whole: Filter does not run
    const pass = new Uint8Array(Math.max(nodes.length, columns?.count ?? 0, ...nodes.map((n) => n.index)) + 1).fill(1);
    if (!plugin.filterBatch(state, pod, nodes, pass, columns)) {
      declined++;
      continue;
    }
    for (const ni of nodes) {
      const want = plugin.filter(state, pod, ni).code === 'Success' ? 1 : 0;
      if (pass[ni.index] !== want) mismatches++;
      checked++;
    }
  }
  t.equal(mismatches, 0, `${plugin.name}${columns ? ' (columns)' : ''}: batch = per node on ${checked} pod × node pairs (${declined} pods declined)`);
  t.ok(checked > pods * nodes.length * 0.3, `${plugin.name}: most pods screened in batch`);
}

const plugins: [string, FilterPlugin][] = [
  ['NodeResourcesFit', nodeResourcesFitFactory.create(nodeResourcesFitFactory.validate(undefined), undefined as never) as FilterPlugin],
  ['NodeUnschedulable', nodeUnschedulableFactory.create(nodeUnschedulableFactory.validate(undefined), undefined as never) as FilterPlugin],
  ['TaintToleration', taintTolerationFactory.create(taintTolerationFactory.validate(undefined), undefined as never) as FilterPlugin],
  ['NodeAffinity', nodeAffinityFactory.create(nodeAffinityFactory.validate(undefined), undefined as never) as FilterPlugin],
  ['NodeAffinity (addedAffinity)', nodeAffinityFactory.create(nodeAffinityFactory.validate({ addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a', 'b'] }] }] } } }), undefined as never) as FilterPlugin],
];

for (const [label, plugin] of plugins) {
  t.test(`${label}: filterBatch agrees with filter`, async (t) => {
    t.ok(isBatchFilter(plugin), 'has a batch form');
    const r = rng(label.length * 7919);
    const nodes = nodeInfos(r, 40);
    compare(t, plugin as BatchFilterPlugin, r, nodes, 300);
    // Nodes replaced by updated objects (labels, taints, cordon): remembered answers must not survive.
    for (const ni of nodes) if (r() < 0.5) ni.setNode(randomNode(r, ni.index));
    compare(t, plugin as BatchFilterPlugin, r, nodes, 300);
  });
}

/** A scheduler cache holding the random cluster: its snapshot hands out NodeColumns. */
function cachedCluster(r: () => number, count: number): SchedulerCache {
  const cache = new SchedulerCache(new ReferenceScorer(256));
  for (let i = 0; i < count; i++) cache.addNode(randomNode(r, i));
  for (let i = 0; i < count * 2; i++) {
    const pod = randomPod(r, 5000 + i);
    pod.spec.nodeName = `node-${Math.floor(r() * count)}`;
    cache.addPod(pod);
  }
  return cache;
}

for (const [label, plugin] of plugins) {
  t.test(`${label}: filterBatch over the cache's columns agrees with filter`, async (t) => {
    const r = rng(label.length * 104729);
    const cache = cachedCluster(r, 40);
    let snap = cache.newSnapshot();
    t.ok(snap.columns(), 'the cache snapshot has columns');
    compare(t, plugin as BatchFilterPlugin, r, snap.nodeList, 300, snap.columns());
    // Updated nodes, a removed node (the last one moves into its slot), more pods.
    for (let i = 0; i < 40; i++) if (r() < 0.5) cache.updateNode(randomNode(r, i));
    cache.removeNode(randomNode(r, 7));
    for (let i = 0; i < 20; i++) cache.addPod({ ...randomPod(r, 9000 + i), spec: { ...randomPod(r, 9000 + i).spec, nodeName: `node-${Math.floor(r() * 40)}` } } as Pod);
    snap = cache.newSnapshot();
    compare(t, plugin as BatchFilterPlugin, r, snap.nodeList, 300, snap.columns());
    // A narrowed node list (as after a PreFilter result): only listed nodes are compared.
    compare(t, plugin as BatchFilterPlugin, r, snap.nodeList.filter((_, i) => i % 3 === 0), 100, snap.columns());
  });
}

t.test('score columns over the cache columns equal the per-node ones', async (t) => {
  const r = rng(31337);
  const cache = cachedCluster(r, 40);
  const snap = cache.newSnapshot();
  const columnPlugins: ColumnScorePlugin[] = [
    taintTolerationFactory.create(taintTolerationFactory.validate(undefined), undefined as never) as unknown as ColumnScorePlugin,
    imageLocalityFactory.create(imageLocalityFactory.validate(undefined), { snapshot: () => snap } as never) as ColumnScorePlugin,
  ];
  for (const plugin of columnPlugins) {
    let mismatches = 0;
    for (let i = 0; i < 100; i++) {
      const pod = newPodInfo(randomPod(r, i));
      const feasible = snap.nodeList.filter(() => r() < 0.7);
      const a = new Float64Array(64).fill(-1);
      const b = new Float64Array(64).fill(-2);
      plugin.scoreColumn(new CycleState(), pod, feasible, a);
      plugin.scoreColumn(new CycleState(), pod, feasible, b, snap.columns());
      for (const ni of feasible) if (a[ni.index] !== b[ni.index]) mismatches++;
    }
    t.equal(mismatches, 0, `${plugin.name}: same raw scores with and without columns`);
  }
});

t.test("NodeResourcesFit: roomy clusters (the least-free shortcut) with one tight node agree with filter", async (t) => {
  const plugin = plugins[0]![1] as BatchFilterPlugin;
  const used = (name: string, cpu: string, memory: string, node: string): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: name },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu, memory } } }] },
  });
  const tight: [string, Record<string, string | number>, Pod[]][] = [
    ['no pod slot left', { cpu: '64', memory: '256Gi', pods: 2 }, [used('a', '1m', '1Mi', 'tight'), used('b', '1m', '1Mi', 'tight')]],
    ['700m of cpu left', { cpu: '1', memory: '256Gi', pods: 110 }, [used('c', '300m', '1Mi', 'tight')]],
    ['1.5Gi of memory left', { cpu: '64', memory: '2Gi', pods: 110 }, [used('d', '1m', '512Mi', 'tight')]],
    ['nothing tight', { cpu: '64', memory: '256Gi', pods: 110 }, []],
  ];
  for (const [what, capacity, pods] of tight) {
    const r = rng(what.length * 31);
    const cache = new SchedulerCache(new ReferenceScorer(64));
    for (let i = 0; i < 30; i++) cache.addNode(makeNode(`roomy-${i}`, { cpu: '64', memory: '256Gi', pods: 110 }));
    cache.addNode(makeNode('tight', capacity));
    for (const p of pods) cache.addPod(p);
    const snap = cache.newSnapshot();
    t.test(what, async (t) => compare(t, plugin, r, snap.nodeList, 300, snap.columns()));
  }
});

t.test('NodeAffinity: a selector every node matched is re-checked when a node changes', async (t) => {
  const plugin = plugins[3]![1] as BatchFilterPlugin;
  const cache = new SchedulerCache(new ReferenceScorer(64));
  const zoned = (i: number, zone: string) => makeNode(`n-${i}`, { cpu: '4', memory: '8Gi', pods: 110 }, { labels: { 'topology.kubernetes.io/zone': zone } });
  for (let i = 0; i < 20; i++) cache.addNode(zoned(i, 'a'));
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'p' }, spec: { nodeSelector: { 'topology.kubernetes.io/zone': 'a' }, containers: [{ name: 'c', image: 'busybox' }] } };
  const verdict = (): number[] => {
    const snap = cache.newSnapshot();
    const state = new CycleState();
    const info = newPodInfo(pod);
    (plugin as unknown as PreFilterPlugin).preFilter(state, info, snap.nodeList);
    const pass = new Uint8Array(64).fill(1);
    t.ok(plugin.filterBatch(state, info, snap.nodeList, pass, snap.columns()));
    return snap.nodeList.filter((n) => pass[n.index] === 0).map((n) => Number(n.name.slice(2))).sort((a, b) => a - b);
  };
  t.same(verdict(), [], 'every node matches');
  t.same(verdict(), [], 'and still does (remembered)');
  cache.updateNode(zoned(7, 'b'));
  t.same(verdict(), [7], 'a relabelled node is rejected');
  cache.updateNode(zoned(7, 'a'));
  t.same(verdict(), [], 'and accepted again when labelled back');
  cache.removeNode(zoned(3, 'a'));
  cache.addNode(zoned(30, 'b'));
  t.same(verdict(), [30], 'a new node that does not match is rejected after a removal moved lanes');
});
