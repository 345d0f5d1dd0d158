// The scheduler cache alone: scorer columns follow NodeInfo (slots move on removal), assumed pods
// are confirmed by the watch or expire after the TTL, image states count nodes, snapshots clone
// only what changed.
import t from 'tap';
import { ReferenceScorer } from '../../wasm/score/reference.js';
import { SchedulerCache, normalizedImageName } from './cache.js';
import type { Node, Pod } from './framework/interfaces.js';
import { makeNode } from './framework/nodeinfo.js';
import { newPodInfo } from './framework/podinfo.js';

const pod = (name: string, cpu: string, nodeName?: string): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 1 },
  spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu } } }], ...(nodeName ? { nodeName } : {}) },
});

function withImages(node: Node, images: { names: string[]; sizeBytes: number }[]): Node {
  return { ...node, status: { ...node.status, images } };
}

t.test('scorer columns follow the cache; removal moves the last node into the slot', async (t) => {
  const scorer = new ReferenceScorer(8);
  const c = new SchedulerCache(scorer);
  for (const n of ['a', 'b', 'c']) c.addNode(makeNode(n, { cpu: '4', memory: '8Gi', pods: 110 }));
  c.addPod(pod('p1', '500m', 'c'));
  t.equal(scorer.nodeCount, 3);
  t.equal(scorer.getNode(2).requestedMilliCpu, 500);
  c.removeNode(makeNode('a'));
  t.equal(scorer.nodeCount, 2);
  t.equal(c.nodeInfo('c')!.index, 0, 'c moved into a\'s slot');
  t.equal(scorer.getNode(0).requestedMilliCpu, 500, 'with its columns');
  const s = c.newSnapshot();
  t.same(s.list().map((n) => `${n.name}@${n.index}`), ['c@0', 'b@1']);
  // A pod on an unknown node waits for it.
  c.addPod(pod('early', '1', 'd'));
  c.addNode(makeNode('d', { cpu: '4', memory: '8Gi', pods: 110 }));
  t.equal(c.nodeInfo('d')!.requested.milliCpu, 1000);
  t.equal(scorer.getNode(c.nodeInfo('d')!.index).podCount, 1);
});

t.test('assumed pods: confirmed by the bound pod, forgotten, or expired after the TTL', async (t) => {
  const scorer = new ReferenceScorer(8);
  const c = new SchedulerCache(scorer, 30_000);
  c.addNode(makeNode('n', { cpu: '4', memory: '8Gi', pods: 110 }));
  const a = pod('a', '1');
  c.assumePod(newPodInfo(a), 'n');
  t.equal(c.isAssumed(a), true);
  t.equal(scorer.getNode(0).requestedMilliCpu, 1000, 'counts from Reserve on');
  t.throws(() => c.assumePod(newPodInfo(a), 'n'), /already in the scheduler cache/);
  c.finishBinding(a, 1000);
  c.addPod({ ...a, spec: { ...a.spec, nodeName: 'n' } });
  t.equal(c.isAssumed(a), false, 'the watch confirmed it');
  t.equal(c.cleanupExpired(10_000_000), 0, 'confirmed pods never expire');
  const b = pod('b', '2');
  c.assumePod(newPodInfo(b), 'n');
  c.forgetPod(b);
  t.equal(scorer.getNode(0).requestedMilliCpu, 1000, 'forgotten');
  const d = pod('d', '2');
  c.assumePod(newPodInfo(d), 'n');
  t.equal(c.cleanupExpired(5_000), 0, 'binding not finished: kept');
  c.finishBinding(d, 1000);
  t.equal(c.cleanupExpired(30_000), 0, 'within the TTL');
  t.equal(c.cleanupExpired(31_001), 1, 'expired');
  t.equal(scorer.getNode(0).requestedMilliCpu, 1000);
  c.removePod({ ...a, spec: { ...a.spec, nodeName: 'n' } });
  t.equal(scorer.getNode(0).requestedMilliCpu, 0);
});

t.test('image states count the nodes that have an image', async (t) => {
  const c = new SchedulerCache(new ReferenceScorer(8));
  t.equal(normalizedImageName('nginx'), 'nginx:latest');
  t.equal(normalizedImageName('registry:5000/app'), 'registry:5000/app:latest');
  t.equal(normalizedImageName('nginx@sha256:abc'), 'nginx@sha256:abc');
  c.addNode(withImages(makeNode('a'), [{ names: ['nginx:1.27'], sizeBytes: 100 }]));
  c.addNode(withImages(makeNode('b'), [{ names: ['nginx:1.27', 'redis'], sizeBytes: 50 }]));
  t.same(c.nodeInfo('a')!.imageStates.get('nginx:1.27'), { size: 100, numNodes: 2 });
  t.same(c.nodeInfo('b')!.imageStates.get('redis:latest'), { size: 50, numNodes: 1 });
  c.updateNode(withImages(makeNode('b'), []));
  t.equal(c.nodeInfo('a')!.imageStates.get('nginx:1.27')!.numNodes, 1);
});

t.test('incremental snapshots clone only changed nodes', async (t) => {
  const c = new SchedulerCache(new ReferenceScorer(8));
  for (const n of ['a', 'b']) c.addNode(makeNode(n));
  const s = c.newSnapshot();
  c.updateSnapshot(s);
  const before = s.get('b');
  c.addPod(pod('p', '1', 'a'));
  c.updateSnapshot(s);
  t.equal(s.get('b'), before, 'unchanged node kept');
  t.equal(s.get('a')!.pods.length, 1, 'changed node re-cloned');
  const anti = { ...pod('anti', '1', 'b'), spec: { ...pod('anti', '1', 'b').spec, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { x: 'y' } } }] } } } };
  c.addPod(anti);
  c.updateSnapshot(s);
  t.same(s.havePodsWithRequiredAntiAffinity().map((n) => n.name), ['b']);
  t.same(s.havePodsWithAffinity().map((n) => n.name), ['b']);
  c.removeNode(makeNode('a'));
  c.updateSnapshot(s);
  t.same(s.list().map((n) => `${n.name}@${n.index}`), ['b@0']);
  t.equal(s.get('a'), undefined);
});

t.test('incremental snapshots keep the lists of nodes with (anti-)affinity pods in step', async (t) => {
  const c = new SchedulerCache(new ReferenceScorer(16));
  for (let i = 0; i < 8; i++) c.addNode(makeNode(`n${i}`, { cpu: '4', memory: '8Gi', pods: 110 }));
  const term = { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'x' } } };
  const withAffinity = (name: string, node: string, anti: boolean): Pod => ({
    ...pod(name, '100m', node),
    spec: { ...pod(name, '100m', node).spec, affinity: anti ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } : { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term }] } } },
  });
  const s = c.newSnapshot();
  const names = (list: { name: string }[]) => list.map((n) => n.name).sort();
  const check = (label: string) => {
    c.updateSnapshot(s);
    const fresh = c.newSnapshot();
    t.same(names(s.affinity), names(fresh.affinity), `${label}: nodes with affinity pods`);
    t.same(names(s.antiAffinity), names(fresh.antiAffinity), `${label}: nodes with anti-affinity pods`);
    t.ok([...s.affinity, ...s.antiAffinity].every((n) => s.byName.get(n.name) === n), `${label}: the lists hold the current clones`);
  };
  c.addPod(withAffinity('a1', 'n1', true));
  c.addPod(withAffinity('a2', 'n2', false));
  c.addPod(withAffinity('a3', 'n3', true));
  check('added');
  c.addPod(pod('plain', '100m', 'n1'));
  check('a plain pod on a listed node');
  c.removePod(withAffinity('a1', 'n1', true));
  check('the only anti-affinity pod of a node removed');
  c.removeNode(makeNode('n2'));
  check('a listed node removed (the last node moves into its slot)');
  c.addPod(withAffinity('a4', 'n7', true));
  c.addPod(withAffinity('a5', 'n7', false));
  check('a node in both lists');
});

t.test('column flag counts follow nodes added, updated, moved and removed', async (t) => {
  const c = new SchedulerCache(new ReferenceScorer(16));
  const node = (name: string, tainted: boolean, cordoned: boolean, images: boolean) =>
    withImages(makeNode(name, undefined, { taints: tainted ? [{ key: 'k', effect: 'NoSchedule' }] : undefined, unschedulable: cordoned }), images ? [{ names: ['nginx:1'], sizeBytes: 1 }] : []);
  const expect = (label: string) => {
    const s = c.newSnapshot();
    const cols = s.columns()!;
    const want = { unschedulable: 0, taints: 0, images: 0 };
    for (const n of s.nodeList) {
      if (n.node.spec?.unschedulable) want.unschedulable++;
      if ((n.node.spec?.taints as unknown[] | undefined)?.length) want.taints++;
      if (n.imageStates.size) want.images++;
    }
    t.same({ ...cols.flagged }, want, label);
  };
  c.addNode(node('a', true, false, true));
  c.addNode(node('b', false, true, false));
  c.addNode(node('c', true, true, true));
  expect('added');
  c.updateNode(node('a', false, false, false));
  expect('a updated: no taint, no image');
  c.removeNode(node('a', false, false, false));
  expect('a removed (c moved into its slot)');
  c.removeNode(node('c', true, true, true));
  expect('the last node removed');
  c.addNode(node('d', true, false, false));
  expect('added again');
});
