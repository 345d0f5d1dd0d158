// The columnar PreFilter and batch Filter of PodTopologySpread give the answers of the per-node
// ones (computePreFilterState, filter) on randomized clusters: missing topology labels, taints,
// node selectors with the Honor/Ignore policies, minDomains, pods in other namespaces, and nodes
// and pods changing between cycles (remembered domains and counts must follow).
import t from 'tap';
import { ReferenceScorer } from '../../../../wasm/score/reference.js';
import { SchedulerCache } from '../../cache.js';
import { CycleState, type Handle, type Node, type Pod } from '../../framework/interfaces.js';
import { makeNode } from '../../framework/nodeinfo.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { podConstraints } from './constraints.js';
import { computePreFilterState, type PreFilterState } from './filtering.js';
import { PodTopologySpread, podTopologySpreadFactory } from './index.js';
import { seededRandom } from '../../../../kernel/testing/random.js';

const rng = seededRandom;

const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;

function randomNode(r: () => number, i: number): Node {
  const labels: Record<string, string> = {};
  if (r() < 0.9) labels.zone = pick(r, ['z1', 'z2', 'z3', 'z4']);
  if (r() < 0.8) labels.rack = `r${Math.floor(r() * 6)}`;
  if (r() < 0.5) labels.disk = 'ssd';
  return makeNode(`node-${i}`, { cpu: '8', memory: '16Gi', pods: 110 }, { labels, taints: r() < 0.2 ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : undefined });
}

function placed(r: () => number, i: number, nodes: number): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `placed-${i}`, namespace: r() < 0.8 ? 'default' : 'other', uid: `placed-${i}`, labels: { app: pick(r, ['web', 'db', 'cache']), ...(r() < 0.5 ? { tier: 'front' } : {}) } },
    spec: { nodeName: `node-${Math.floor(r() * nodes)}`, containers: [{ name: 'c', image: 'busybox' }] },
  } as Pod;
}

function incoming(r: () => number, i: number): Pod {
  const constraints = Array.from({ length: 1 + Math.floor(r() * 2) }, () => ({
    maxSkew: 1 + Math.floor(r() * 3),
    topologyKey: pick(r, ['zone', 'rack', 'kubernetes.io/hostname']),
    whenUnsatisfiable: 'DoNotSchedule',
    labelSelector: r() < 0.8 ? { matchLabels: { app: pick(r, ['web', 'db']) } } : { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
    ...(r() < 0.3 ? { minDomains: 1 + Math.floor(r() * 5) } : {}),
    ...(r() < 0.3 ? { nodeAffinityPolicy: 'Ignore' } : {}),
    ...(r() < 0.3 ? { nodeTaintsPolicy: 'Honor' } : {}),
  }));
  const spec: Record<string, unknown> = { containers: [{ name: 'c', image: 'busybox' }], topologySpreadConstraints: constraints };
  if (r() < 0.3) spec.nodeSelector = { disk: 'ssd' };
  if (r() < 0.3) spec.tolerations = [{ key: 'dedicated', operator: 'Exists' }];
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `in-${i}`, namespace: 'default', uid: `in-${i}`, labels: { app: pick(r, ['web', 'db']) } }, spec } as Pod;
}

const entries = (s: PreFilterState) => s.matchNum.map((m) => [...m].sort(([a], [b]) => a.localeCompare(b)));

t.test('columnar PodTopologySpread equals the per-node computation', async (t) => {
  const r = rng(20261123);
  const cache = new SchedulerCache(new ReferenceScorer(128));
  const count = 60;
  for (let i = 0; i < count; i++) cache.addNode(randomNode(r, i));
  for (let i = 0; i < 150; i++) cache.addPod(placed(r, i, count));
  let snap = cache.newSnapshot();
  const handle = { snapshot: () => snap } as unknown as Handle;
  const plugin = new PodTopologySpread(podTopologySpreadFactory.validate(undefined), handle);
  let stateMismatches = 0;
  let filterMismatches = 0;
  let compared = 0;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 80; i++) {
      const pod = newPodInfo(incoming(r, round * 1000 + i));
      const state = new CycleState();
      const pre = plugin.preFilter(state, pod, snap.nodeList);
      if (pre.status.code !== 'Success') continue;
      const columnar = state.read<PreFilterState>('PreFilterPodTopologySpread')!;
      const reference = computePreFilterState(pod.pod, podConstraints(pod.pod, 'DoNotSchedule', [], handle), snap.nodeList);
      if (JSON.stringify(entries(columnar)) !== JSON.stringify(entries(reference))) stateMismatches++;
      for (let k = 0; k < columnar.constraints.length; k++) if (columnar.minMatchNum(k) !== reference.minMatchNum(k)) stateMismatches++;
      const pass = new Uint8Array(count + 1).fill(1);
      t.ok(plugin.filterBatch(state, pod, snap.nodeList, pass, snap.columns()), 'batch form used');
      for (const ni of snap.nodeList) {
        if (pass[ni.index] !== (plugin.filter(state, pod, ni).code === 'Success' ? 1 : 0)) filterMismatches++;
        compared++;
      }
    }
    // Between rounds: relabelled/tainted nodes, pods added and removed.
    for (let i = 0; i < count; i++) if (r() < 0.3) cache.updateNode(randomNode(r, i));
    for (let i = 0; i < 40; i++) cache.addPod(placed(r, 10_000 + round * 100 + i, count));
    for (let i = 0; i < 20; i++) cache.removePod(placed(r, Math.floor(r() * 150), count));
    snap = cache.newSnapshot();
  }
  t.equal(stateMismatches, 0, 'same matching-pod counts per domain and global minimum');
  t.equal(filterMismatches, 0, `batch Filter = Filter on ${compared} pod × node pairs`);
});
