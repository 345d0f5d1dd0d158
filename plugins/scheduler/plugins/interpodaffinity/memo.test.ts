// InterPodAffinity's PreFilter with per-node counts remembered across cycles (GenerationMemo)
// gives the state the plain computation gives, and its batch Filter the per-node verdicts, on
// randomized clusters that change between rounds (pods bound and removed, nodes relabelled).
import t from 'tap';
import { ReferenceScorer } from '../../../../wasm/score/reference.js';
import { SchedulerCache } from '../../cache.js';
import { CycleState, type Handle, type Node, type Pod } from '../../framework/interfaces.js';
import { makeNode } from '../../framework/nodeinfo.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { DomainIndexes } from '../shared/domains.js';
import { GenerationMemo } from '../shared/generation-memo.js';
import { computePreFilterState, satisfiesAffinity, satisfiesAntiAffinity, satisfiesExistingPodsAntiAffinity } from './filtering.js';
import { InterPodAffinity, validateInterPodAffinityArgs } from './index.js';
import { seededRandom } from '../../../../kernel/testing/random.js';

const rng = seededRandom;
const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
const KEYS = ['kubernetes.io/hostname', 'zone'];

function node(r: () => number, i: number): Node {
  return makeNode(`node-${i}`, undefined, { labels: r() < 0.9 ? { zone: pick(r, ['z1', 'z2', 'z3']) } : {} });
}

function term(r: () => number): object {
  return { topologyKey: pick(r, KEYS), labelSelector: { matchLabels: { color: pick(r, ['green', 'blue']) } }, ...(r() < 0.2 ? { namespaces: ['a', 'b'] } : {}) };
}

function pod(r: () => number, name: string, nodes: number, bound: boolean): Pod {
  const affinity: Record<string, unknown> = {};
  if (r() < 0.5) affinity.podAntiAffinity = { requiredDuringSchedulingIgnoredDuringExecution: [term(r)] };
  if (r() < 0.3) affinity.podAffinity = { requiredDuringSchedulingIgnoredDuringExecution: [term(r)] };
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, uid: name, namespace: pick(r, ['a', 'b', 'default']), labels: { color: pick(r, ['green', 'blue', 'red']) } },
    spec: { containers: [{ name: 'c', image: 'busybox' }], affinity, ...(bound ? { nodeName: `node-${Math.floor(r() * nodes)}` } : {}) },
  } as Pod;
}

t.test('remembered counts equal fresh ones', async (t) => {
  const r = rng(4242);
  const cache = new SchedulerCache(new ReferenceScorer(64));
  const count = 40;
  for (let i = 0; i < count; i++) cache.addNode(node(r, i));
  for (const ns of ['a', 'b', 'default']) cache.setNamespace(ns, { team: ns });
  for (let i = 0; i < 80; i++) cache.addPod(pod(r, `placed-${i}`, count, true));
  let snap = cache.newSnapshot();
  const memo = new GenerationMemo();
  const columnMemo = new GenerationMemo();
  const domains = new DomainIndexes();
  const plugin = new InterPodAffinity(validateInterPodAffinityArgs(undefined), { snapshot: () => snap } as unknown as Handle);
  let mismatches = 0;
  let batchMismatches = 0;
  let compared = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 60; i++) {
      const incoming = newPodInfo(pod(r, `in-${round}-${i}`, count, false));
      const fresh = computePreFilterState(incoming, snap, snap.nodeList);
      // Remembered per NodeInfo, and remembered per node index with domain ids (the columns path).
      for (const remembered of [computePreFilterState(incoming, snap, snap.nodeList, memo), computePreFilterState(incoming, snap, snap.nodeList, columnMemo, domains)]) {
        for (const ni of snap.nodeList) {
          const a = [satisfiesAffinity(remembered, ni.node), satisfiesAntiAffinity(remembered, ni.node), satisfiesExistingPodsAntiAffinity(remembered, ni.node)];
          const b = [satisfiesAffinity(fresh, ni.node), satisfiesAntiAffinity(fresh, ni.node), satisfiesExistingPodsAntiAffinity(fresh, ni.node)];
          if (a.join() !== b.join()) mismatches++;
          compared++;
        }
        for (const k of ['existingAntiAffinity', 'affinity', 'antiAffinity'] as const) if (remembered[k].size !== fresh[k].size) mismatches++;
      }
      const state = new CycleState();
      if (plugin.preFilter(state, incoming, snap.nodeList).status.code !== 'Success') continue;
      for (const columns of [undefined, snap.columns()]) {
        const pass = new Uint8Array(count + 1).fill(1);
        plugin.filterBatch(state, incoming, snap.nodeList, pass, columns);
        for (const ni of snap.nodeList) if (pass[ni.index] !== (plugin.filter(state, incoming, ni).code === 'Success' ? 1 : 0)) batchMismatches++;
      }
    }
    for (let i = 0; i < 20; i++) cache.addPod(pod(r, `placed-${round}-${i}`, count, true));
    for (let i = 0; i < 10; i++) cache.removePod(pod(r, `placed-${Math.floor(r() * 80)}`, count, true));
    for (let i = 0; i < count; i++) if (r() < 0.2) cache.updateNode(node(r, i));
    snap = cache.newSnapshot();
  }
  t.equal(mismatches, 0, `same verdicts on ${compared} pod × node pairs and the same counted pairs`);
  t.equal(batchMismatches, 0, 'batch Filter (with and without columns) = Filter');
});
