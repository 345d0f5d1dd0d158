// The columnar PreFilter and batch Filter of PodTopologySpread give the answers of the per-node
// ones (computePreFilterState, filter) on randomized clusters: missing topology labels, taints,
// node selectors with the Honor/Ignore policies, minDomains, pods in other namespaces, and nodes
// and pods changing between cycles, nodes removed and added (the counts kept across cycles must follow).
import t from 'tap';
import { ReferenceScorer } from '../../../../wasm/score/reference.js';
import { SchedulerCache } from '../../cache.js';
import { CycleState, type Handle, type Node, type Pod } from '../../framework/interfaces.js';
import { makeNode } from '../../framework/nodeinfo.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { SYSTEM_DEFAULT_CONSTRAINTS, podConstraints } from './constraints.js';
import { computePreScoreState, rawScore } from './scoring.js';
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
  // The well-known zone key (system default constraints), sometimes with the value "".
  if (r() < 0.7) labels['topology.kubernetes.io/zone'] = pick(r, ['za', 'zb', '']);
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

/**
 * Between rounds: relabelled/tainted nodes, pods added and removed; a removed node's slot takes the
 * last node (the last one itself goes too) and a new node takes the next slot. Returns the new snapshot.
 */
function churn(cache: SchedulerCache, snap: ReturnType<SchedulerCache['newSnapshot']>, r: () => number, count: number, round: number): ReturnType<SchedulerCache['newSnapshot']> {
  for (let i = 0; i < count; i++) if (r() < 0.3) cache.updateNode(randomNode(r, i));
  for (let i = 0; i < 40; i++) cache.addPod(placed(r, 10_000 + round * 100 + i, count));
  for (let i = 0; i < 20; i++) cache.removePod(placed(r, Math.floor(r() * 150), count));
  cache.removeNode(snap.nodeList[snap.nodeList.length - 1]!.node);
  cache.removeNode(snap.nodeList[Math.floor(r() * (snap.nodeList.length - 1))]!.node);
  cache.addNode(randomNode(r, count + round));
  return cache.newSnapshot();
}

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
    snap = churn(cache, snap, r, count, round);
  }
  t.equal(stateMismatches, 0, 'same matching-pod counts per domain and global minimum');
  t.equal(filterMismatches, 0, `batch Filter = Filter on ${compared} pod × node pairs`);
});

t.test('columnar PreScore equals the per-node computation', async (t) => {
  const r = rng(7070);
  const cache = new SchedulerCache(new ReferenceScorer(128));
  const count = 60;
  for (let i = 0; i < count; i++) cache.addNode(randomNode(r, i));
  for (let i = 0; i < 150; i++) cache.addPod(placed(r, i, count));
  let snap = cache.newSnapshot();
  // A Service selecting app=web: pods without their own constraints get the system defaults.
  const services = [{ metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' } } }];
  const handle = { snapshot: () => snap, listObjects: (res: string) => (res === 'services' ? services : []) } as unknown as Handle;
  const plugin = new PodTopologySpread(podTopologySpreadFactory.validate(undefined), handle);
  let mismatches = 0;
  let compared = 0;
  let skipped = 0;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 80; i++) {
      const base = incoming(r, round * 1000 + i);
      const soft = r() < 0.6;
      const spec = soft
        ? { ...base.spec, topologySpreadConstraints: (base.spec!.topologySpreadConstraints as object[]).map((c) => ({ ...c, whenUnsatisfiable: 'ScheduleAnyway' })) }
        : { containers: base.spec!.containers };
      const pod = newPodInfo({ ...base, spec } as Pod);
      const feasible = snap.nodeList.filter(() => r() < 0.7);
      if (feasible.length === 0) continue;
      const state = new CycleState();
      const code = plugin.preScore(state, pod, feasible).code;
      const constraints = podConstraints(pod.pod, 'ScheduleAnyway', SYSTEM_DEFAULT_CONSTRAINTS, handle);
      if (code === 'Skip') {
        if (constraints.length) mismatches++;
        skipped++;
        continue;
      }
      const raw = new Float64Array(count + 8).fill(-7);
      plugin.scoreColumn(state, pod, feasible, raw);
      const plain = computePreScoreState(pod.pod, constraints, feasible, snap.nodeList, soft);
      for (const ni of feasible) {
        if (raw[ni.index] !== rawScore(plain, pod.pod, ni)) mismatches++;
        compared++;
      }
    }
    snap = churn(cache, snap, r, count, round);
  }
  t.ok(compared > 5000 && skipped > 10, `${compared} pod × node scores compared, ${skipped} pods skipped`);
  t.equal(mismatches, 0, 'columnar raw scores = computePreScoreState + rawScore (own soft constraints and system defaults)');
});
