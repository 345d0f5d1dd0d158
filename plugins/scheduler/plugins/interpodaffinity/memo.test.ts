// InterPodAffinity's remembered computations give the plain ones' answers on randomized clusters
// that change between cycles (pods bound and removed, nodes relabelled, added and removed, so node
// slots move): the PreFilter counts remembered per NodeInfo (GenerationMemo) and kept by domain
// across cycles (tally.ts; visiting every node, or the nodes NodeChanges found), the PreScore sums
// kept across cycles, and the batch Filter.
import t from 'tap';
import { ReferenceScorer } from '../../../../wasm/score/reference.js';
import { SchedulerCache } from '../../cache.js';
import { CycleState, type Handle, type Node, type Pod } from '../../framework/interfaces.js';
import { makeNode } from '../../framework/nodeinfo.js';
import { newPodInfo } from '../../framework/podinfo.js';
import type { PairCounts } from '../shared/domain-counts.js';
import { Tallies } from '../shared/domain-counts.js';
import { NodeChanges } from '../shared/changes.js';
import { DomainIndexes } from '../shared/domains.js';
import { GenerationMemo } from '../shared/generation-memo.js';
import { computePreFilterState, screenNodes, satisfiesAffinity, satisfiesAntiAffinity, satisfiesExistingPodsAntiAffinity, type PreFilterState } from './filtering.js';
import { InterPodAffinity, validateInterPodAffinityArgs } from './index.js';
import { computeTopologyScore, nodeScore, scoreNodes, tallyTopologyScore } from './scoring.js';
import { tallyPreFilterState } from './tally.js';
import { seededRandom } from '../../../../kernel/testing/random.js';

const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
const KEYS = ['kubernetes.io/hostname', 'zone'];
const NAMESPACES = ['a', 'b', 'default'];

function node(r: () => number, i: number): Node {
  const n = makeNode(`node-${i}`, undefined, { labels: r() < 0.9 ? { zone: pick(r, ['z1', 'z2', 'z3', `z${i % 7}`]) } : {} });
  // A few nodes without any labels (not even the hostname): upstream skips them when scoring.
  if (r() < 0.05) delete n.metadata.labels;
  return n;
}

function term(r: () => number): object {
  const ns = r();
  return {
    topologyKey: pick(r, KEYS),
    labelSelector: { matchLabels: { color: pick(r, ['green', 'blue']) } },
    ...(ns < 0.2 ? { namespaces: ['a', 'b'] } : ns < 0.3 ? { namespaceSelector: { matchLabels: { team: pick(r, NAMESPACES) } } } : {}),
    // The pod's own tier value joins (or is excluded from) the selector.
    ...(r() < 0.2 ? { matchLabelKeys: ['tier'] } : r() < 0.1 ? { mismatchLabelKeys: ['tier'] } : {}),
  };
}

function pod(r: () => number, name: string, nodes: number, bound: boolean): Pod {
  const affinity: Record<string, Record<string, unknown>> = { podAffinity: {}, podAntiAffinity: {} };
  if (r() < 0.5) affinity.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution = [term(r)];
  if (r() < 0.3) affinity.podAffinity!.requiredDuringSchedulingIgnoredDuringExecution = [term(r)];
  if (r() < 0.3) affinity.podAffinity!.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 1 + Math.floor(r() * 100), podAffinityTerm: term(r) }];
  if (r() < 0.3) affinity.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 1 + Math.floor(r() * 100), podAffinityTerm: term(r) }];
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, uid: name, namespace: pick(r, NAMESPACES), labels: { color: pick(r, ['green', 'blue', 'red']), tier: pick(r, ['web', 'db']) } },
    spec: { containers: [{ name: 'c', image: 'busybox' }], affinity, ...(bound ? { nodeName: `node-${Math.floor(r() * nodes)}` } : {}) },
  } as Pod;
}

/** The pairs with a non-zero count, sorted. */
const pairs = (c: PairCounts) => JSON.stringify([...c.entries()].sort((x, y) => `${x[0]} ${x[1]}`.localeCompare(`${y[0]} ${y[1]}`)));
const counted = (s: PreFilterState) => ['existingAntiAffinity', 'affinity', 'antiAffinity'].map((k) => `${pairs(s[k as 'affinity'])}/${s[k as 'affinity'].size}`).join(' ');

t.test('remembered and tallied counts equal fresh ones', async (t) => {
  const r = seededRandom(4242);
  const cache = new SchedulerCache(new ReferenceScorer(64));
  let count = 40;
  for (let i = 0; i < count; i++) cache.addNode(node(r, i));
  for (const ns of NAMESPACES) cache.setNamespace(ns, { team: ns });
  for (let i = 0; i < 160; i++) cache.addPod(pod(r, `placed-${i}`, count, true));
  let snap = cache.newSnapshot();
  const memo = new GenerationMemo();
  const domains = new DomainIndexes();
  const tallies = new Tallies((k) => domains.index(k));
  // The same kept across cycles, visiting only the slots one pass per cycle found changed (as the plugin does).
  const changedDomains = new DomainIndexes();
  const changedTallies = new Tallies((k) => changedDomains.index(k));
  const changes = new NodeChanges();
  const args = validateInterPodAffinityArgs(undefined);
  const plugin = new InterPodAffinity(args, { snapshot: () => snap } as unknown as Handle);
  let mismatches = 0;
  let scoreMismatches = 0;
  let batchMismatches = 0;
  let compared = 0;
  let scored = 0;
  for (let round = 0; round < 6; round++) {
    // Pods come in a few shapes, as in a workload, so remembered counts are reused across cycles.
    const shapes = Array.from({ length: 6 }, (_, i) => pod(r, `shape-${round}-${i}`, count, false));
    for (let i = 0; i < 60; i++) {
      const incoming = newPodInfo({ ...pick(r, shapes), metadata: { ...pick(r, shapes).metadata, name: `in-${round}-${i}`, uid: `in-${round}-${i}` } } as Pod);
      const fresh = computePreFilterState(incoming, snap, snap.nodeList);
      const columns = snap.columns()!;
      const cycle = changes.scan(columns, {});
      for (const remembered of [
        computePreFilterState(incoming, snap, snap.nodeList, memo),
        tallyPreFilterState(incoming, snap, columns, tallies, domains),
        tallyPreFilterState(incoming, snap, columns, changedTallies, changedDomains, cycle),
      ]) {
        for (const ni of snap.nodeList) {
          const a = [satisfiesAffinity(remembered, ni.node), satisfiesAntiAffinity(remembered, ni.node), satisfiesExistingPodsAntiAffinity(remembered, ni.node)];
          const b = [satisfiesAffinity(fresh, ni.node), satisfiesAntiAffinity(fresh, ni.node), satisfiesExistingPodsAntiAffinity(fresh, ni.node)];
          if (a.join() !== b.join()) mismatches++;
          compared++;
        }
        if (counted(remembered) !== counted(fresh)) mismatches++;
      }
      // The batch screen over counts kept by other domain indexes than the columns' (translated).
      const screened = new Uint8Array(count + 1).fill(1);
      screenNodes(fresh, columns, domains, screened);
      for (const ni of snap.nodeList) {
        const fits = satisfiesAffinity(fresh, ni.node) && satisfiesAntiAffinity(fresh, ni.node) && satisfiesExistingPodsAntiAffinity(fresh, ni.node);
        if (screened[ni.index] !== (fits ? 1 : 0)) batchMismatches++;
      }
      const plainScore = computeTopologyScore(incoming, snap, args);
      for (const [tallyScore, d, c] of [
        [tallyTopologyScore(incoming, snap, args, columns, tallies, domains), domains, undefined],
        [tallyTopologyScore(incoming, snap, args, columns, changedTallies, changedDomains, cycle), changedDomains, cycle],
      ] as const) {
        if ((plainScore === undefined) !== (tallyScore === undefined)) scoreMismatches++;
        else if (plainScore && tallyScore) {
          scored++;
          if (pairs(plainScore) !== pairs(tallyScore)) scoreMismatches++;
          const raw = new Float64Array(count + 1).fill(-7);
          scoreNodes(tallyScore, snap.nodeList, raw, columns, d, c);
          for (const ni of snap.nodeList) if (raw[ni.index] !== nodeScore(plainScore, ni)) scoreMismatches++;
        }
      }
      const state = new CycleState();
      if (plugin.preFilter(state, incoming, snap.nodeList).status.code !== 'Success') continue;
      for (const cols of [undefined, columns]) {
        const pass = new Uint8Array(count + 1).fill(1);
        plugin.filterBatch(state, incoming, snap.nodeList, pass, cols);
        for (const ni of snap.nodeList) if (pass[ni.index] !== (plugin.filter(state, incoming, ni).code === 'Success' ? 1 : 0)) batchMismatches++;
      }
    }
    for (let i = 0; i < 20; i++) cache.addPod(pod(r, `placed-${round}-${i}`, count, true));
    for (let i = 0; i < 10; i++) cache.removePod(pod(r, `placed-${Math.floor(r() * 160)}`, count, true));
    for (let i = 0; i < count; i++) if (r() < 0.2) cache.updateNode(node(r, i));
    // A removed node's slot takes the last node (the last one itself goes too); a new node takes the next slot.
    cache.removeNode(snap.nodeList[snap.nodeList.length - 1]!.node);
    cache.removeNode(pick(r, snap.nodeList.slice(0, -1)).node);
    cache.addNode(node(r, count++));
    for (const ns of NAMESPACES) if (r() < 0.3) cache.setNamespace(ns, { team: pick(r, NAMESPACES) });
    snap = cache.newSnapshot();
  }
  t.ok(scored > 100, `scores compared on ${scored} pod × form pairs`);
  t.equal(mismatches, 0, `same verdicts on ${compared} pod × node pairs and the same counted pairs`);
  t.equal(scoreMismatches, 0, 'tallied PreScore sums and node scores = plain ones');
  t.equal(batchMismatches, 0, 'batch Filter (with and without columns) = Filter');
});
