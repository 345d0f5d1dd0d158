// DefaultPreemption's resource shortcuts (a node NodeResourcesFit rejects even with every
// lower-priority pod gone gets no dry run unless no node is a candidate; a victim NodeResourcesFit
// rejects back is not added, filtered and removed again) against the long path: on random clusters with taints, host ports, nominated pods and
// priorities, both give the same Status (FitError message included), nominated node, victims and
// nominations.
import t from 'tap';
import { CycleState, type FilterPlugin, type Pod, type PodInfo, type PreFilterPlugin, type Status } from '../../framework/interfaces.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { NodeResourcesFit } from '../noderesources/fit.js';
import { nodeResourcesFitFactory } from '../noderesources/index.js';
import { nodePortsFactory } from '../nodeports/index.js';
import { taintTolerationFactory } from '../tainttoleration/index.js';
import { FakeHandle, makeCluster, makePod, type FakeSnapshot } from '../testing.js';
import { DefaultPreemption, defaultPreemptionFactory } from './index.js';
import { belowPriority, byImportance, nominatedOthers, resourcesRuleOut, sortByImportance } from './victims.js';

type Plugin = FilterPlugin & Partial<PreFilterPlugin>;
const fit = nodeResourcesFitFactory.create(nodeResourcesFitFactory.validate(undefined), undefined as never) as NodeResourcesFit;
const plugins: Plugin[] = [
  taintTolerationFactory.create(undefined, undefined as never) as Plugin,
  nodePortsFactory.create(undefined, undefined as never) as Plugin,
  fit,
];

/** Deterministic pseudo-random numbers (a failing case can be replayed by its index). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

interface Case {
  args: unknown;
  pdbs: unknown[];
  snap: FakeSnapshot;
  nominated: Map<string, PodInfo[]>;
  preemptor: Pod;
  offset: number;
}

function randomCase(seed: number): Case {
  const r = rng(seed * 7919 + 17);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const numNodes = 2 + Math.floor(r() * 7);
  const nodes = Array.from({ length: numNodes }, (_, i) => ({
    name: `n${i}`,
    allocatable: { cpu: pick(['2', '3', '4', '6']), memory: pick(['4Gi', '8Gi']), pods: pick([3, 5, 110]) },
    taints: r() < 0.15 ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : undefined,
  }));
  const hostPort = (on: boolean) => (on ? { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80, hostPort: 8080 }], resources: { requests: { cpu: '100m' } } }] } : undefined);
  const pods: Pod[] = [];
  for (const n of nodes) {
    const count = Math.floor(r() * 5);
    for (let j = 0; j < count; j++) {
      const ports = r() < 0.1;
      const p = makePod(`${n.name}-p${j}`, {
        node: n.name,
        priority: pick([0, 1, 5, 10, 20]),
        cpu: pick(['500m', '1', '1500m', '2']),
        memory: pick(['256Mi', '1Gi', '3Gi']),
        startTime: `2026-01-01T00:00:0${j}Z`,
        labels: { app: pick(['a', 'b']) },
      });
      if (ports) Object.assign(p.spec, hostPort(true));
      pods.push(p);
    }
  }
  const snap = makeCluster(nodes, pods);
  const nominated = new Map<string, PodInfo[]>();
  for (const n of nodes) {
    if (r() < 0.35) {
      const list = Array.from({ length: 1 + Math.floor(r() * 2) }, (_, j) => newPodInfo(makePod(`${n.name}-nom${j}`, { priority: pick([5, 10, 15]), cpu: pick(['500m', '1', '2', '3']) })));
      nominated.set(n.name, list);
    }
  }
  const preemptor = makePod('preemptor', {
    priority: 10,
    cpu: pick(['500m', '1', '2', '3', '4', '5']),
    memory: pick(['256Mi', '2Gi', '6Gi']),
    spec: r() < 0.15 ? { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } : {},
  });
  if (r() < 0.15) Object.assign(preemptor.spec, hostPort(true));
  // Few wanted candidates: the dry runs stop at the first node that has victims.
  const args = r() < 0.5 ? undefined : { minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 1 + Math.floor(r() * 2) };
  // Reprieves go PDB-violating victims first.
  const pdbs = r() < 0.3 ? [{ metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'a' } } }, status: { disruptionsAllowed: Math.floor(r() * 2) } }] : [];
  return { args, pdbs, snap, nominated, preemptor, offset: Math.floor(r() * numNodes) };
}

/** Preemption on `c` as the framework runs it (filters on every node, then PostFilter). */
async function run(c: Case, shortcut: boolean) {
  const handle = new FakeHandle(c.snap, { filters: plugins, nominatedPods: c.nominated, objects: { poddisruptionbudgets: c.pdbs as never } });
  const plugin = new DefaultPreemption(defaultPreemptionFactory.validate(c.args), handle);
  plugin.offset = (n) => c.offset % n;
  plugin.resourceShortcut = shortcut;
  const info = newPodInfo(c.preemptor);
  const state = new CycleState();
  handle.prepare(state, info);
  const statuses = new Map<string, Status>();
  for (const n of c.snap.list()) {
    const s = handle.runFilterPlugins(state, info, n);
    if (s.code !== 'Success') statuses.set(n.name, s);
  }
  const r = await plugin.postFilter(state, info, statuses);
  return {
    code: r.status.code,
    reasons: r.status.reasons,
    nominatedNodeName: r.result?.nominatedNodeName,
    evicted: handle.evicted.map((p) => p.metadata.name),
    nominations: handle.nominated,
  };
}

t.test('the resource shortcut decides as dry runs on every node', async (t) => {
  const CASES = 600;
  let ruledOutCases = 0;
  let noCandidateCases = 0;
  let candidateCases = 0;
  let mismatches = 0;
  for (let i = 0; i < CASES; i++) {
    const c = randomCase(i);
    const info = newPodInfo(c.preemptor);
    const ruledOut = c.snap.list().filter((n) => resourcesRuleOut(fit, info, n, nominatedOthers(new FakeHandle(c.snap, { nominatedPods: c.nominated }), info, n.name))).length;
    const long = await run(c, false);
    const short = await run(c, true);
    if (ruledOut > 0) ruledOutCases++;
    if (ruledOut > 0 && long.nominatedNodeName === '') noCandidateCases++;
    if (ruledOut > 0 && long.nominatedNodeName) candidateCases++;
    if (JSON.stringify(long) !== JSON.stringify(short)) {
      mismatches++;
      if (mismatches <= 3) t.same(short, long, `case ${i}: same outcome with the shortcut`);
    }
  }
  t.equal(mismatches, 0, `all ${CASES} cases agree`);
  // The cases must exercise the shortcut, also where its deferred Statuses make the message.
  t.ok(ruledOutCases > CASES / 4, `the shortcut ruled out nodes in ${ruledOutCases} cases`);
  t.ok(candidateCases > 20, `${candidateCases} of them nominated a node`);
  t.ok(noCandidateCases > 20, `${noCandidateCases} of them had no candidate (Statuses of ruled-out nodes in the message)`);
});

t.test('resourcesRuleOut: lower-priority pods removed, nominated pods of equal or higher priority added', async (t) => {
  const snap = makeCluster(
    [{ name: 'n1', allocatable: { cpu: '4', memory: '8Gi', pods: 110 } }],
    [makePod('low', { node: 'n1', priority: 1, cpu: '3' }), makePod('high', { node: 'n1', priority: 20, cpu: '1' })],
  );
  const n1 = snap.get('n1')!;
  const pod = (cpu: string) => newPodInfo(makePod('p', { priority: 10, cpu }));
  t.notOk(resourcesRuleOut(fit, pod('3'), n1, []), '3 cpu fit once the priority-1 pod is gone');
  t.ok(resourcesRuleOut(fit, pod('3500m'), n1, []), 'the priority-20 pod stays');
  const n1Info = snap.nodes[0]!;
  n1Info.addPod(makePod('high2', { node: 'n1', priority: 20, cpu: '500m' }));
  t.ok(resourcesRuleOut(fit, pod('3'), n1, []), 'the sums kept on the node follow its changes');
  n1Info.removePod(n1Info.pods.find((p) => p.pod.metadata.name === 'high2')!.pod);
  t.notOk(resourcesRuleOut(fit, pod('3'), n1, []), 'and follow them back');
  const nominee = newPodInfo(makePod('nom', { priority: 10, cpu: '1' }));
  t.ok(resourcesRuleOut(fit, pod('3'), n1, [nominee]), 'a nominated pod of equal priority counts');
  const pods = (_n: number) => newPodInfo(makePod('p', { priority: 10, cpu: '100m', spec: {} }));
  const full = makeCluster([{ name: 'n1', allocatable: { cpu: '4', memory: '8Gi', pods: 2 } }], [makePod('a', { node: 'n1', priority: 20 }), makePod('b', { node: 'n1', priority: 20 })]);
  t.ok(resourcesRuleOut(fit, pods(1), full.get('n1')!, []), 'the pod count counts');
  t.ok(fit instanceof NodeResourcesFit);
});

t.test('sortByImportance orders as byImportance', async (t) => {
  const r = rng(99);
  for (let round = 0; round < 200; round++) {
    const pods = Array.from({ length: 1 + Math.floor(r() * 8) }, (_, i) =>
      newPodInfo(makePod(`p${i}`, { priority: Math.floor(r() * 3), startTime: `2026-01-01T00:00:0${Math.floor(r() * 4)}Z` })));
    const want = [...pods].sort((a, b) => byImportance(a.pod, b.pod)).map((p) => p.pod.metadata.name);
    sortByImportance(pods);
    const got = pods.map((p) => p.pod.metadata.name);
    if (got.join() !== want.join()) return t.same(got, want, `round ${round}`);
  }
  t.pass('200 random lists (equal priorities and start times included) in the same order');
});

t.test('removeBelow leaves the node as removePod on each lower-priority pod does', async (t) => {
  const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'a' } }, topologyKey: 'kubernetes.io/hostname' }] } };
  const state = (n: import('../../framework/nodeinfo.js').MutableNodeInfo) => ({
    pods: n.pods.map((p) => p.pod.metadata.name),
    affinity: n.podsWithAffinity.map((p) => p.pod.metadata.name),
    anti: n.podsWithRequiredAntiAffinity.map((p) => p.pod.metadata.name),
    requested: { ...n.requested, scalar: [...n.requested.scalar] },
    nonZero: { ...n.nonZeroRequested },
  });
  const r = rng(5);
  let bulk = 0;
  for (let round = 0; round < 100; round++) {
    const pods = Array.from({ length: Math.floor(r() * 7) }, (_, i) =>
      makePod(`p${i}`, { node: 'n1', priority: Math.floor(r() * 4), cpu: r() < 0.2 ? undefined : `${1 + Math.floor(r() * 9)}00m`, memory: r() < 0.3 ? undefined : '1Gi', spec: r() < 0.3 ? { affinity: anti } : {} }));
    const snap = makeCluster([{ name: 'n1', allocatable: { cpu: '64', memory: '64Gi', pods: 110 } }], pods);
    const src = snap.nodes[0]!;
    const below = belowPriority(src, 2);
    const a = src.clone();
    for (const p of below.pods) a.removePod(p.pod);
    const b = src.clone();
    if (b.removeBelow(below)) bulk++;
    if (JSON.stringify(state(a)) !== JSON.stringify(state(b))) return t.same(state(b), state(a), `round ${round}`);
    if ((b.generation !== src.generation) !== below.pods.length > 0) return t.fail(`round ${round}: a new generation exactly when pods left`);
  }
  t.equal(bulk, 100, 'no host ports or extended resources: every removal done at once, with the same result');
  const ported = makeCluster([{ name: 'n1' }], [makePod('x', { node: 'n1', priority: 0, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 1, hostPort: 80 }] }] } })]);
  t.notOk(ported.nodes[0]!.clone().removeBelow(belowPriority(ported.nodes[0]!, 5)), 'host ports in use: left to removePod');
});
