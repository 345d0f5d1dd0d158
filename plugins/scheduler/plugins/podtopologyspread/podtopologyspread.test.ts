// PodTopologySpread: filter and score semantics, table-driven as upstream's tests are.
import t from 'tap';
import { CycleState, type Pod } from '../../framework/interfaces.js';
import { newPodInfo } from '../../framework/podinfo.js';
import { FakeHandle, filterAll, makeCluster, makePod, normalizeColumn } from '../testing.js';
import { ERR_REASON_CONSTRAINTS_NOT_MATCH as SKEW, ERR_REASON_NODE_LABEL_NOT_MATCH as MISSING, PodTopologySpread, podTopologySpreadFactory } from './index.js';

const fooSelector = { matchExpressions: [{ key: 'foo', operator: 'Exists' }] };
const zone = (z: string, extra: Record<string, string> = {}) => ({ zone: z, ...extra });
const spread = (maxSkew: number, key: string, when: 'DoNotSchedule' | 'ScheduleAnyway', extra: Record<string, unknown> = {}) => ({
  maxSkew, topologyKey: key, whenUnsatisfiable: when, labelSelector: fooSelector, ...extra,
});
const incoming = (constraints: unknown[], extra: Parameters<typeof makePod>[1] = {}) =>
  makePod('p', { labels: { foo: '' }, ...extra, spec: { topologySpreadConstraints: constraints, ...(extra.spec ?? {}) } });
const on = (name: string, node: string, labels: Record<string, string> = { foo: '' }, extra: Parameters<typeof makePod>[1] = {}) => makePod(name, { labels, node, ...extra });

const fourNodes: { name: string; labels: Record<string, string>; taints?: unknown[] }[] = [
  { name: 'node-a', labels: zone('zone1') },
  { name: 'node-b', labels: zone('zone1') },
  { name: 'node-x', labels: zone('zone2') },
  { name: 'node-y', labels: zone('zone2') },
];

function plugin(snap: ReturnType<typeof makeCluster>, args: unknown = undefined) {
  const handle = new FakeHandle(snap);
  return new PodTopologySpread(podTopologySpreadFactory.validate(args), handle);
}

t.test('Filter', async (t) => {
  const cases: { name: string; pod: Pod; nodes?: typeof fourNodes; pods?: Pod[]; want: Record<string, string> }[] = [
    {
      name: 'no constraints: every node fits (Skip)',
      pod: makePod('p'),
      want: { 'node-a': 'Success', 'node-b': 'Success', 'node-x': 'Success', 'node-y': 'Success' },
    },
    {
      name: 'zone skew: 2 in zone1, 1 in zone2, maxSkew 1 — only zone2 fits',
      pod: incoming([spread(1, 'zone', 'DoNotSchedule')]),
      pods: [on('a1', 'node-a'), on('b1', 'node-b'), on('x1', 'node-x')],
      want: { 'node-a': `Unschedulable: ${SKEW}`, 'node-b': `Unschedulable: ${SKEW}`, 'node-x': 'Success', 'node-y': 'Success' },
    },
    {
      name: 'a node without the topology key is unresolvable',
      pod: incoming([spread(1, 'zone', 'DoNotSchedule')]),
      nodes: [...fourNodes.slice(0, 3), { name: 'node-y', labels: {} }],
      want: { 'node-a': 'Success', 'node-b': 'Success', 'node-x': 'Success', 'node-y': `UnschedulableAndUnresolvable: ${MISSING}` },
    },
    {
      name: 'ScheduleAnyway constraints do not filter',
      pod: incoming([spread(1, 'zone', 'ScheduleAnyway')]),
      pods: [on('a1', 'node-a'), on('a2', 'node-a'), on('a3', 'node-a')],
      want: { 'node-a': 'Success', 'node-b': 'Success', 'node-x': 'Success', 'node-y': 'Success' },
    },
    {
      name: 'pods in other namespaces, terminating pods and non-matching pods are not counted',
      pod: incoming([spread(1, 'zone', 'DoNotSchedule')]),
      pods: [on('a1', 'node-a', { foo: '' }, { ns: 'other' }), on('a2', 'node-a', { foo: '' }, { deleting: true }), on('a3', 'node-a', { bar: '' }), on('x1', 'node-x')],
      want: { 'node-a': 'Success', 'node-b': 'Success', 'node-x': `Unschedulable: ${SKEW}`, 'node-y': `Unschedulable: ${SKEW}` },
    },
    {
      name: 'the incoming pod not matching its own selector adds no skew',
      pod: incoming([spread(1, 'zone', 'DoNotSchedule')], { labels: { other: '' } }),
      pods: [on('a1', 'node-a'), on('x1', 'node-x'), on('x2', 'node-y'), on('x3', 'node-y')],
      want: { 'node-a': 'Success', 'node-b': 'Success', 'node-x': `Unschedulable: ${SKEW}`, 'node-y': `Unschedulable: ${SKEW}` },
    },
    {
      name: 'minDomains above the domain count makes the global minimum 0',
      pod: incoming([spread(1, 'zone', 'DoNotSchedule', { minDomains: 3 })]),
      pods: [on('a1', 'node-a'), on('x1', 'node-x')],
      want: { 'node-a': `Unschedulable: ${SKEW}`, 'node-b': `Unschedulable: ${SKEW}`, 'node-x': `Unschedulable: ${SKEW}`, 'node-y': `Unschedulable: ${SKEW}` },
    },
    {
      name: 'hostname spreading: a node with 2 matching pods is too skewed at maxSkew 1',
      pod: incoming([spread(1, 'kubernetes.io/hostname', 'DoNotSchedule')]),
      pods: [on('a1', 'node-a'), on('a2', 'node-a'), on('b1', 'node-b'), on('x1', 'node-x')],
      want: { 'node-a': `Unschedulable: ${SKEW}`, 'node-b': `Unschedulable: ${SKEW}`, 'node-x': `Unschedulable: ${SKEW}`, 'node-y': 'Success' },
    },
    {
      name: 'nodeAffinityPolicy Honor (default): zone1 nodes the pod cannot use are not domains',
      pod: incoming([spread(1, 'zone', 'DoNotSchedule')], { spec: { nodeSelector: { big: 'true' } } }),
      nodes: [{ name: 'node-a', labels: zone('zone1') }, { name: 'node-b', labels: zone('zone1') }, { name: 'node-x', labels: zone('zone2', { big: 'true' }) }, { name: 'node-y', labels: zone('zone2', { big: 'true' }) }],
      pods: [on('x1', 'node-x'), on('y1', 'node-y')],
      want: { 'node-a': 'Success', 'node-b': 'Success', 'node-x': 'Success', 'node-y': 'Success' },
    },
    {
      name: 'nodeAffinityPolicy Ignore: the empty zone1 counts, zone2 is too skewed',
      pod: incoming([spread(1, 'zone', 'DoNotSchedule', { nodeAffinityPolicy: 'Ignore' })], { spec: { nodeSelector: { big: 'true' } } }),
      nodes: [{ name: 'node-a', labels: zone('zone1') }, { name: 'node-b', labels: zone('zone1') }, { name: 'node-x', labels: zone('zone2', { big: 'true' }) }, { name: 'node-y', labels: zone('zone2', { big: 'true' }) }],
      pods: [on('x1', 'node-x'), on('y1', 'node-y')],
      want: { 'node-a': 'Success', 'node-b': 'Success', 'node-x': `Unschedulable: ${SKEW}`, 'node-y': `Unschedulable: ${SKEW}` },
    },
    {
      name: 'matchLabelKeys: only pods with the same revision are counted',
      pod: incoming([spread(1, 'zone', 'DoNotSchedule', { matchLabelKeys: ['rev'] })], { labels: { foo: '', rev: '2' } }),
      pods: [on('a1', 'node-a', { foo: '', rev: '1' }), on('a2', 'node-b', { foo: '', rev: '1' }), on('x1', 'node-x', { foo: '', rev: '2' })],
      want: { 'node-a': 'Success', 'node-b': 'Success', 'node-x': `Unschedulable: ${SKEW}`, 'node-y': `Unschedulable: ${SKEW}` },
    },
  ];
  for (const c of cases) {
    const snap = makeCluster(c.nodes ?? fourNodes, c.pods ?? []);
    t.same(filterAll(plugin(snap), snap, c.pod), c.want, c.name);
  }
  // nodeTaintsPolicy: Honor drops tainted nodes from the domains, Ignore (default) keeps them.
  const tainted = [
    { name: 'node-a', labels: zone('zone1'), taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] },
    { name: 'node-x', labels: zone('zone2') },
    { name: 'node-y', labels: zone('zone3') },
  ];
  const pods = [on('x1', 'node-x'), on('y1', 'node-y')];
  for (const [policy, want] of [['Honor', 'Success'], ['Ignore', `Unschedulable: ${SKEW}`]] as const) {
    const snap = makeCluster(tainted, pods);
    const got = filterAll(plugin(snap), snap, incoming([spread(1, 'zone', 'DoNotSchedule', { nodeTaintsPolicy: policy })]));
    t.equal(got['node-x'], want, `nodeTaintsPolicy ${policy}`);
  }
});

t.test('PreFilter extensions (preemption what-ifs)', async (t) => {
  const pods = [on('a1', 'node-a'), on('b1', 'node-b'), on('x1', 'node-x')];
  const snap = makeCluster(fourNodes, pods);
  const p = plugin(snap);
  const pod = newPodInfo(incoming([spread(1, 'zone', 'DoNotSchedule')]));
  const state = new CycleState();
  p.preFilter(state, pod, snap.list());
  t.equal(p.filter(state, pod, snap.get('node-a')!).code, 'Unschedulable');
  const copy = state.clone();
  const a1 = snap.nodes[0]!.pods[0]!;
  p.preFilterExtensions().removePod(copy, pod, a1, snap.nodes[0]!);
  t.equal(p.filter(copy, pod, snap.get('node-a')!).code, 'Success', 'removing a zone1 pod makes zone1 fit');
  t.equal(p.filter(state, pod, snap.get('node-a')!).code, 'Unschedulable', 'the original state is untouched (clone)');
  p.preFilterExtensions().addPod(copy, pod, a1, snap.nodes[0]!);
  t.equal(p.filter(copy, pod, snap.get('node-a')!).code, 'Unschedulable', 'adding it back restores the skew');
});

t.test('Score (raw column + the kernel topologySpread normalization)', async (t) => {
  const cases: { name: string; pod: Pod; nodes: { name: string; labels: Record<string, string> }[]; pods: Pod[]; feasible?: string[]; wantRaw: number[]; want: number[] }[] = [
    {
      // Upstream "one constraint on node, all 4 nodes are candidates": log(4+2) per matching pod.
      name: 'one constraint on a custom node key, 4 candidates',
      pod: incoming([spread(1, 'node', 'ScheduleAnyway')]),
      nodes: ['a', 'b', 'c', 'd'].map((n) => ({ name: `node-${n}`, labels: { node: `node-${n}` } })),
      pods: [on('a1', 'node-a'), on('a2', 'node-a'), on('b1', 'node-b'), on('d1', 'node-d'), on('d2', 'node-d'), on('d3', 'node-d')],
      wantRaw: [4, 2, 0, 5],
      want: [20, 60, 100, 0],
    },
    {
      name: 'hostname key counts pods on the node itself; maxSkew − 1 is added',
      pod: incoming([spread(2, 'kubernetes.io/hostname', 'ScheduleAnyway')]),
      nodes: [{ name: 'node-a', labels: {} }, { name: 'node-b', labels: {} }, { name: 'node-c', labels: {} }],
      pods: [on('a1', 'node-a'), on('a2', 'node-a')],
      // 3 candidates: weight log(5) ≈ 1.609; a: 2·1.609 + 1 = 4.2 → 4, b, c: 1.
      wantRaw: [4, 1, 1],
      want: [25, 100, 100],
    },
    {
      name: 'nodes missing the key are ignored (raw −1 → 0), the others normalized among themselves',
      pod: incoming([spread(1, 'zone', 'ScheduleAnyway')]),
      nodes: [{ name: 'node-a', labels: zone('zone1') }, { name: 'node-b', labels: zone('zone2') }, { name: 'node-c', labels: {} }],
      pods: [on('a1', 'node-a')],
      // 2 domains: weight log(4) ≈ 1.386.
      wantRaw: [1, 0, -1],
      want: [0, 100, 0],
    },
  ];
  for (const c of cases) {
    const snap = makeCluster(c.nodes, c.pods);
    const p = plugin(snap);
    const pod = newPodInfo(c.pod);
    const state = new CycleState();
    const feasible = snap.list();
    t.equal(p.preScore(state, pod, feasible).code, 'Success', `${c.name}: preScore`);
    const raw = new Float64Array(16);
    p.scoreColumn(state, pod, feasible, raw);
    t.same(Array.from(raw.subarray(0, feasible.length)), c.wantRaw, `${c.name}: raw`);
    t.same(normalizeColumn(p.normalization, raw, feasible.length), c.want, `${c.name}: normalized`);
  }
  const snap = makeCluster(fourNodes, []);
  t.equal(plugin(snap).preScore(new CycleState(), newPodInfo(makePod('p')), snap.list()).code, 'Skip', 'no soft constraints and no owner: Skip');
});

t.test('default constraints from the owning ReplicaSet and Services', async (t) => {
  const nodes = [{ name: 'n1', labels: zone('z1') }, { name: 'n2', labels: zone('z2') }];
  const rsPod = (name: string, node?: string) =>
    makePod(name, { labels: { app: 'web' }, node, spec: {} });
  const owned = (p: Pod) => ((p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs', controller: true }]), p);
  const existing = [owned(rsPod('w1', 'n1')), owned(rsPod('w2', 'n1')), owned(rsPod('w3', 'n1'))];
  const snap = makeCluster(nodes, existing);
  const handle = new FakeHandle(snap, { objects: { replicasets: [{ metadata: { name: 'web', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } } } }], services: [] } });
  const p = new PodTopologySpread(podTopologySpreadFactory.validate(undefined), handle);
  const pod = newPodInfo(owned(rsPod('w4')));
  const state = new CycleState();
  t.equal(p.preFilter(state, pod, snap.list()).status.code, 'Skip', 'system defaults are ScheduleAnyway: no filtering');
  t.equal(p.preScore(state, pod, snap.list()).code, 'Success', 'system defaults score pods owned by a ReplicaSet');
  const raw = new Float64Array(4);
  p.scoreColumn(state, pod, snap.list(), raw);
  t.ok(raw[0]! > raw[1]!, 'the node with the ReplicaSet’s pods scores a higher raw count (worse after normalization)');

  const listed = new PodTopologySpread(
    podTopologySpreadFactory.validate({ defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }),
    new FakeHandle(snap, { objects: { services: [{ metadata: { name: 's', namespace: 'default' }, spec: { selector: { app: 'web' } } }] } }),
  );
  t.same(filterAll(listed, snap, rsPod('w5')), { n1: `Unschedulable: ${SKEW}`, n2: 'Success' }, 'List defaults with a Service selector filter');
  const orphan = makePod('lonely', { labels: { other: 'x' } });
  t.same(filterAll(listed, snap, orphan), { n1: 'Success', n2: 'Success' }, 'no Service/owner selects the pod: no default constraints');
});

t.test('args validation names the field', async (t) => {
  t.same(podTopologySpreadFactory.validate(undefined).defaultingType, 'System');
  t.throws(() => podTopologySpreadFactory.validate({ defaultingType: 'Other' }), /PodTopologySpreadArgs\.defaultingType: Unsupported value: "Other"/);
  t.throws(() => podTopologySpreadFactory.validate({ defaultConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }), /defaultingType: Invalid value: "System": when \.defaultConstraints are not empty/);
  t.throws(
    () => podTopologySpreadFactory.validate({ defaultingType: 'List', defaultConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: {} }] }),
    /defaultConstraints\[0\]\.maxSkew: Invalid value: 0: not in valid range.*defaultConstraints\[0\]\.labelSelector: Forbidden/,
  );
  t.throws(() => podTopologySpreadFactory.validate({ unknown: 1 }), /unknown field "unknown"/);
});
