// The WASM and reference scorers choose identically through the whole framework (default plugins:
// PreFilter, Filter, PreScore, column plugins, kernel scoring, tie-breaking) on a randomized
// cluster, pod after pod, each choice assumed into the cache as the scheduler does.
import t from 'tap';
import { Registry } from 'prom-client';
import { createLogger } from '../../kernel/log.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { ReferenceScorer } from '../../wasm/score/reference.js';
import { WasmScorer } from '../../wasm/score/score-wasm.js';
import { CycleState, type Node, type Pod } from './framework/interfaces.js';
import { makeNode } from './framework/nodeinfo.js';
import { newPodInfo } from './framework/podinfo.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { seededRandom } from '../../kernel/testing/random.js';

const rng = seededRandom;

const ZONES = ['a', 'b', 'c'];
const IMAGES = ['nginx:1.27', 'redis:7', 'postgres:16'];

function randomNode(r: () => number, i: number): Node {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const node = makeNode(`node-${i}`, { cpu: String(1 + Math.floor(r() * 16)), memory: `${1 + Math.floor(r() * 64)}Gi`, pods: 110 }, {
    labels: { 'topology.kubernetes.io/zone': pick(ZONES), disk: r() < 0.5 ? 'ssd' : 'hdd' },
    ...(r() < 0.15 ? { taints: [{ key: 'dedicated', value: 'batch', effect: r() < 0.5 ? 'NoSchedule' : 'PreferNoSchedule' }] } : {}),
  });
  node.status!.images = IMAGES.filter(() => r() < 0.4).map((n) => ({ names: [`docker.io/library/${n}`, n], sizeBytes: Math.floor(50 + r() * 500) * 2 ** 20 }));
  return node;
}

function randomPod(r: () => number, i: number): Pod {
  const spec: Record<string, unknown> = {
    containers: [{ name: 'c', image: IMAGES[Math.floor(r() * IMAGES.length)], ...(r() < 0.8 ? { resources: { requests: { cpu: `${50 + Math.floor(r() * 900)}m`, memory: `${64 + Math.floor(r() * 2000)}Mi` } } } : {}) }],
    priority: 0,
  };
  if (r() < 0.3) spec.tolerations = [{ key: 'dedicated', operator: 'Exists' }];
  if (r() < 0.3) spec.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 + Math.floor(r() * 100), preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } };
  if (r() < 0.2) spec.nodeSelector = { 'topology.kubernetes.io/zone': ZONES[Math.floor(r() * 3)] };
  if (r() < 0.25) spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'spread' } } }];
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}`, namespace: 'default', uid: `uid-${i}`, labels: { app: r() < 0.5 ? 'spread' : 'other' } }, spec };
}

async function build(scorer: 'wasm' | 'reference'): Promise<Scheduler> {
  // The scheduler is driven directly (no informers, no loop): the store is never touched.
  return createScheduler({ store: {} as ObjectStore, logger: createLogger({}, 'error'), metrics: new Registry(), config: { scorer, maxNodes: 512, percentageOfNodesToScore: 100, leaderElection: { leaderElect: false } } });
}

t.test('WASM and reference scorers pick the same nodes through the framework', async (t) => {
  const wasm = await build('wasm');
  const ref = await build('reference');
  t.ok(wasm.cache.scorer instanceof WasmScorer);
  t.ok(ref.cache.scorer instanceof ReferenceScorer);
  for (const seed of [1, 2, 3]) {
    const r = rng(seed);
    const nodeCount = 40 + Math.floor(r() * 200);
    const nodes = Array.from({ length: nodeCount }, (_, i) => randomNode(r, seed * 1000 + i));
    for (const s of [wasm, ref]) for (const n of nodes) s.cache.addNode(n);
    // Some churn: a node removed moves the last node into its scorer slot.
    for (const s of [wasm, ref]) s.cache.removeNode(nodes[3]!);
    let same = 0;
    let scheduled = 0;
    for (let i = 0; i < 300; i++) {
      const pod = randomPod(r, seed * 10_000 + i);
      const picks = [wasm, ref].map((s) => {
        s.cache.updateSnapshot(s.snapshot);
        const fwk = s.frameworkFor(pod)!;
        const out = s.algorithm.schedule({ fwk, snapshot: s.snapshot, scorer: s.cache.scorer, percentageOfNodesToScore: 100 }, new CycleState(), newPodInfo(pod));
        if (out.kind !== 'scheduled') return out.kind;
        s.cache.assumePod(newPodInfo(pod), out.node.name);
        s.cache.addPod({ ...pod, spec: { ...pod.spec, nodeName: out.node.name } });
        return out.node.name;
      });
      if (picks[0] === picks[1]) same++;
      else t.fail(`seed ${seed} pod ${i}: wasm ${picks[0]} vs reference ${picks[1]}`);
      if (picks[0]!.startsWith('node-')) scheduled++;
    }
    t.equal(same, 300, `seed ${seed}: ${nodeCount} nodes, 300 pods, identical choices (${scheduled} scheduled)`);
    t.ok(scheduled > 100, 'most pods found a node');
    for (const s of [wasm, ref]) for (const n of nodes) s.cache.removeNode(n);
  }
});

t.test('with pods nominated to nodes, batch screening decides as filtering every node both ways', async (t) => {
  const batch = await build('reference');
  const perNode = await build('reference');
  // The per-node scheduler's Filters lose their batch form: every node goes through filter().
  for (const p of perNode.frameworkFor(randomPod(rng(0), 0))!.plugins.values()) {
    if (typeof (p as { filterBatch?: unknown }).filterBatch === 'function') Object.defineProperty(p, 'filterBatch', { value: undefined });
  }
  const r = rng(11);
  const nodes = Array.from({ length: 60 }, (_, i) => randomNode(r, i));
  for (const s of [batch, perNode]) for (const n of nodes) s.cache.addNode(n);
  const nominated = new Map<string, ReturnType<typeof newPodInfo>[]>();
  let compared = 0;
  let unschedulable = 0;
  let mismatches = 0;
  for (let i = 0; i < 400; i++) {
    const pod = randomPod(r, 50_000 + i);
    pod.spec.priority = Math.floor(r() * 3);
    // Big pods now and then, so nominated load decides some nodes and some pods fit nowhere.
    if (r() < 0.3) (pod.spec.containers as { resources?: unknown }[])[0]!.resources = { requests: { cpu: `${2 + Math.floor(r() * 10)}`, memory: `${1 + Math.floor(r() * 30)}Gi` } };
    // The per-node scheduler also forgets its nodes-with-nominated-pods copies before every cycle,
    // so a copy the batch scheduler reuses after its node or nominations changed shows up here.
    (perNode.algorithm as unknown as { nominatedViews: { clear(): void } }).nominatedViews.clear();
    const outcomes = [batch, perNode].map((s) => {
      s.cache.updateSnapshot(s.snapshot);
      const out = s.algorithm.schedule({ fwk: s.frameworkFor(pod)!, snapshot: s.snapshot, scorer: s.cache.scorer, percentageOfNodesToScore: 100, nominatedPods: (n) => nominated.get(n) ?? [] }, new CycleState(), newPodInfo(pod));
      if (out.kind === 'scheduled') return `scheduled ${out.node.name}`;
      if (out.kind === 'unschedulable') return `unschedulable ${JSON.stringify([...out.diagnosis.nodeToStatus].sort(([a], [b]) => a.localeCompare(b)).map(([n, st]) => [n, st.code, st.reasons]))}`;
      return out.kind;
    });
    compared++;
    if (outcomes[0] !== outcomes[1]) {
      mismatches++;
      t.fail(`pod ${i}: batch ${outcomes[0]!.slice(0, 200)} vs per node ${outcomes[1]!.slice(0, 200)}`);
    }
    if (outcomes[0]!.startsWith('unschedulable')) unschedulable++;
    if (outcomes[0]!.startsWith('scheduled') && r() < 0.7) {
      const name = outcomes[0]!.slice('scheduled '.length);
      for (const s of [batch, perNode]) s.cache.addPod({ ...pod, spec: { ...pod.spec, nodeName: name } });
    } else if (r() < 0.5) {
      // Nominated to a random node instead (as after a preemption).
      const n = nodes[Math.floor(r() * nodes.length)]!.metadata.name!;
      nominated.set(n, [...(nominated.get(n) ?? []), newPodInfo(pod)]);
    }
  }
  t.equal(mismatches, 0, `${compared} pods, identical outcomes and Statuses (${unschedulable} unschedulable, ${[...nominated.values()].flat().length} nominated)`);
  t.ok(unschedulable > 10 && unschedulable < compared - 50, 'both outcomes are exercised');
});

t.test('a node with nominated pods is filtered again with its current pods once they change', async (t) => {
  const s = await build('reference');
  s.cache.addNode(makeNode('only', { cpu: '4', memory: '8Gi', pods: 110 }));
  const pod = (name: string, cpu: string, priority = 0): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { priority, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }] },
  });
  // 2 cpu nominated (higher priority): a 1-cpu pod fits beside it, and keeps fitting until a
  // 1.5-cpu pod lands on the node; then 1.5 + 2 + 1 > 4.
  const nominated = [newPodInfo(pod('waiting', '2', 10))];
  const run = (p: Pod) => {
    s.cache.updateSnapshot(s.snapshot);
    return s.algorithm.schedule({ fwk: s.frameworkFor(p)!, snapshot: s.snapshot, scorer: s.cache.scorer, percentageOfNodesToScore: 100, nominatedPods: () => nominated }, new CycleState(), newPodInfo(p)).kind;
  };
  t.equal(run(pod('first', '1')), 'scheduled', 'fits beside the nominated pod');
  t.equal(run(pod('second', '1')), 'scheduled', 'the same answer from the kept copy');
  s.cache.addPod({ ...pod('landed', '1500m'), spec: { ...pod('landed', '1500m').spec, nodeName: 'only' } });
  t.equal(run(pod('third', '1')), 'unschedulable', 'the node changed: its pods and the nominated one leave no room');
});
