// DefaultPreemption: victim selection, node choice, messages, PDBs, and the what-if filtering
// through other plugins' PreFilter extensions (InterPodAffinity).
import t from 'tap';
import { CycleState, SUCCESS, status, type FilterPlugin, type NodeInfo, type Pod, type PodInfo, type Status } from '../../framework/interfaces.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { InterPodAffinity, interPodAffinityFactory } from '../interpodaffinity/index.js';
import { FakeHandle, makeCluster, makePod, type FakeSnapshot } from '../testing.js';
import { DefaultPreemption, defaultPreemptionFactory } from './index.js';

/** A CPU-only fit filter for these tests (the real NodeResourcesFit lives with the basic plugins). */
const cpuFit: FilterPlugin = {
  name: 'CpuFit',
  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return node.requested.milliCpu + pod.requests.milliCpu <= node.allocatable.milliCpu ? SUCCESS : status('Unschedulable', 'Insufficient cpu');
  },
};

const node = (name: string, cpu = '4') => ({ name, allocatable: { cpu, memory: '8Gi', pods: 110 } });
const pod = (name: string, nodeName: string | undefined, priority: number, cpu = '1', extra: Parameters<typeof makePod>[1] = {}) =>
  makePod(name, { node: nodeName, priority, cpu, ...extra });

/** Runs the filters the way the framework would and then PostFilter with the rejections. */
async function preempt(snap: FakeSnapshot, handle: FakeHandle, preemptor: Pod, args?: unknown) {
  const plugin = new DefaultPreemption(defaultPreemptionFactory.validate(args), handle);
  plugin.offset = () => 0;
  const info = newPodInfo(preemptor);
  const state = new CycleState();
  handle.prepare(state, info);
  const statuses = new Map<string, Status>();
  for (const n of snap.list()) {
    const s = handle.runFilterPlugins(state, info, n);
    if (s.code !== 'Success') statuses.set(n.name, s);
  }
  return plugin.postFilter(state, info, statuses);
}

t.test('evicts the lowest-priority victims only, and nominates the node', async (t) => {
  const existing = [pod('low1', 'n1', 1), pod('low2', 'n1', 2), pod('mid', 'n1', 5), pod('high', 'n1', 100)];
  const snap = makeCluster([node('n1')], existing);
  const handle = new FakeHandle(snap, { filters: [cpuFit] });
  const preemptor = pod('p', undefined, 10, '2');
  const r = await preempt(snap, handle, preemptor);
  t.equal(r.status.code, 'Success');
  t.equal(r.result?.nominatedNodeName, 'n1');
  t.same(handle.evicted.map((p) => p.metadata.name).sort(), ['low1', 'low2'], 'mid is reprieved (it fits back), high is never a victim');
  t.same(handle.nominated, [{ pod: 'p', node: 'n1' }]);
  t.same(handle.events.map((e) => `${e.obj} ${e.reason}`).sort(), ['low1 Preempted', 'low2 Preempted']);
  t.match(handle.events[0]!.message, new RegExp(`^Preempted by pod ${preemptor.metadata.uid} on node n1$`));
  t.equal(snap.get('n1')!.pods.length, 4, 'the snapshot itself is not modified by the what-ifs');
});

t.test('picks the node by upstream criteria', async (t) => {
  const cases: { name: string; pods: Pod[]; pdbs?: unknown[]; want: string; wantEvicted: string[] }[] = [
    {
      name: 'lowest highest-victim priority',
      pods: [pod('a', 'n1', 5, '4'), pod('b', 'n2', 3, '4')],
      want: 'n2',
      wantEvicted: ['b'],
    },
    {
      name: 'smallest priority sum when the highest victims tie',
      pods: [pod('a1', 'n1', 3, '2'), pod('a2', 'n1', 3, '2'), pod('b1', 'n2', 3, '2'), pod('b2', 'n2', 1, '2')],
      want: 'n2',
      wantEvicted: ['b1', 'b2'],
    },
    {
      name: 'fewest victims when priorities tie',
      pods: [pod('a1', 'n1', 1, '2'), pod('a2', 'n1', 1, '2'), pod('b1', 'n2', 1, '4')],
      want: 'n2',
      wantEvicted: ['b1'],
    },
    {
      name: 'latest start time of the highest-priority victims when all else ties',
      pods: [pod('a', 'n1', 1, '4', { startTime: '2026-01-01T00:00:00Z' }), pod('b', 'n2', 1, '4', { startTime: '2026-06-01T00:00:00Z' })],
      want: 'n2',
      wantEvicted: ['b'],
    },
    {
      name: 'fewest PodDisruptionBudget violations first',
      pods: [pod('a', 'n1', 1, '4', { labels: { app: 'guarded' } }), pod('b', 'n2', 5, '4', { labels: { app: 'free' } })],
      pdbs: [{ metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'guarded' } } }, status: { disruptionsAllowed: 0 } }],
      want: 'n2',
      wantEvicted: ['b'],
    },
  ];
  for (const c of cases) {
    const snap = makeCluster([node('n1'), node('n2')], c.pods);
    const handle = new FakeHandle(snap, { filters: [cpuFit], objects: c.pdbs ? { poddisruptionbudgets: c.pdbs as never } : {} });
    const r = await preempt(snap, handle, pod('p', undefined, 10, '4'));
    t.equal(r.result?.nominatedNodeName, c.want, c.name);
    t.same(handle.evicted.map((p) => p.metadata.name).sort(), c.wantEvicted, `${c.name}: victims`);
  }
});

t.test('reprieves PDB-violating victims first', async (t) => {
  // Both victims must not both go: the node has room for the preemptor once one of them leaves.
  const pods = [pod('guarded', 'n1', 1, '2', { labels: { app: 'g' } }), pod('free', 'n1', 1, '2', { labels: { app: 'f' } })];
  const snap = makeCluster([node('n1')], pods);
  const pdb = { metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'g' } } }, status: { disruptionsAllowed: 0 } };
  const handle = new FakeHandle(snap, { filters: [cpuFit], objects: { poddisruptionbudgets: [pdb as never] } });
  const r = await preempt(snap, handle, pod('p', undefined, 10, '2'));
  t.equal(r.status.code, 'Success');
  t.same(handle.evicted.map((p) => p.metadata.name), ['free'], 'the PDB-protected pod is reprieved');
});

t.test('messages when preemption cannot help', async (t) => {
  const snap = makeCluster([node('n1'), node('n2'), node('n3')], [pod('same', 'n1', 10, '4')]);
  // n2 and n3 reject the pod as unresolvable (e.g. node affinity), n1 is full of equal-priority pods.
  const unresolvable: FilterPlugin = {
    name: 'Unresolvable',
    filter: (_s, _p, n) => (n.name === 'n1' ? SUCCESS : status('UnschedulableAndUnresolvable', "node(s) didn't match Pod's node affinity/selector")),
  };
  const handle = new FakeHandle(snap, { filters: [unresolvable, cpuFit] });
  const r = await preempt(snap, handle, pod('p', undefined, 10, '1'));
  t.equal(r.status.code, 'Unschedulable');
  t.same(r.status.reasons, ['preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.']);
  t.equal(r.result?.nominatedNodeName, '', 'clears any nomination');
  t.same(handle.evicted, []);

  const never = await preempt(snap, new FakeHandle(snap, { filters: [cpuFit] }), pod('p', undefined, 10, '4', { spec: { preemptionPolicy: 'Never' } }));
  t.same(never.status.reasons, ['preemption: not eligible due to preemptionPolicy=Never.']);

  // A node where even removing every lower-priority pod does not make room reports the filter's reason.
  const small = makeCluster([node('s1', '2')], [pod('low', 's1', 1, '1')]);
  const tooBig = await preempt(small, new FakeHandle(small, { filters: [cpuFit] }), pod('p', undefined, 10, '3'));
  t.same(tooBig.status.reasons, ['preemption: 0/1 nodes are available: 1 Insufficient cpu.']);
});

t.test('preemption resolves anti-affinity through the PreFilter extensions', async (t) => {
  const snap = makeCluster([node('n1'), node('n2')], [
    pod('db-low', 'n1', 1, '1', { labels: { app: 'db' } }),
    pod('db-high', 'n2', 100, '1', { labels: { app: 'db' } }),
  ]);
  const handle = new FakeHandle(snap, { filters: [cpuFit] });
  handle.filters.push(new InterPodAffinity(interPodAffinityFactory.validate(undefined), handle));
  const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] } };
  const r = await preempt(snap, handle, pod('p', undefined, 10, '1', { spec: { affinity: anti } }));
  t.equal(r.result?.nominatedNodeName, 'n1');
  t.same(handle.evicted.map((p) => p.metadata.name), ['db-low'], 'only the lower-priority conflicting pod goes');
});

t.test('args', async (t) => {
  t.same(defaultPreemptionFactory.validate(undefined), { minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 });
  t.throws(() => defaultPreemptionFactory.validate({ minCandidateNodesPercentage: 101 }), /DefaultPreemptionArgs\.minCandidateNodesPercentage: Invalid value: 101: not in valid range \[0, 100\]/);
  t.throws(() => defaultPreemptionFactory.validate({ minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0 }), /cannot be zero at the same time as minCandidateNodesAbsolute/);
  const p = new DefaultPreemption(defaultPreemptionFactory.validate({ minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 5 }), undefined as never);
  t.equal(p.numCandidates(1000), 100);
  t.equal(p.numCandidates(20), 5);
  t.equal(p.numCandidates(3), 3);
});
